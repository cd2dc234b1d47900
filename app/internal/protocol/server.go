package protocol

import (
	"encoding/json"
	"strconv"
)

// Server message payloads. Field names and shapes are those of docs/protocol.md.

// PlayerInfo names a player in a game state.
type PlayerInfo struct {
	Name        string `json:"name"`
	Rating      int    `json:"rating"`
	Provisional bool   `json:"provisional,omitempty"`
	Guest       bool   `json:"guest,omitempty"`
}

// Clock is both sides' remaining time in milliseconds.
type Clock struct {
	W int64 `json:"w"`
	B int64 `json:"b"`
}

// GameState is the full game state sent in gameStart and state messages and by GET /api/games/{id}.
type GameState struct {
	Game      string      `json:"game"`
	V         int64       `json:"v"`
	White     PlayerInfo  `json:"white"`
	Black     PlayerInfo  `json:"black"`
	TC        string      `json:"tc"`
	Rated     bool        `json:"rated"`
	FEN       string      `json:"fen"`
	Moves     []string    `json:"moves"`
	Clock     Clock       `json:"clock"`
	Turn      string      `json:"turn"`
	Status    string      `json:"status"`
	Result    *string     `json:"result"`
	Reason    *string     `json:"reason"`
	DrawOffer *string     `json:"drawOffer"`
	Ratings   *EndRatings `json:"ratings,omitempty"`
	// ClockRunning tells clients whether the side to move's clock is ticking (clocks start after
	// each side's first move). An addition to the v1 shape; clients may ignore it.
	ClockRunning bool  `json:"clockRunning"`
	ServerTime   int64 `json:"serverTime"` // Unix ms at which Clock was read
	// FirstMoveBy is the Unix ms by which the side to move must make its first move, or the
	// game is aborted; absent once both sides have moved and after the end. A v1 addition.
	FirstMoveBy int64 `json:"firstMoveBy,omitempty"`
	AbortInfo
}

// AbortInfo says why a game ended with reason `abort` (a v1 addition: older clients see the
// same reason as before). Exactly one field is set on an aborted game, none on any other.
type AbortInfo struct {
	// AbortedBy is the colour that asked for the abort.
	AbortedBy string `json:"abortedBy,omitempty"`
	// NoMove is the colour that did not make its first move in time.
	NoMove string `json:"noMove,omitempty"`
}

// MovePayload is the payload of a `move` event.
type MovePayload struct {
	Game  string `json:"game"`
	UCI   string `json:"u"`
	SAN   string `json:"san"`
	FEN   string `json:"fen"`
	Ply   int    `json:"ply"`
	Clock Clock  `json:"clock"`
	Check bool   `json:"check"`
}

// DrawOfferedPayload is the payload of `drawOffered`.
type DrawOfferedPayload struct {
	Game string `json:"game"`
	By   string `json:"by"`
}

// GameRef is a payload with only the game id (drawDeclined, opponentGone, opponentBack).
type GameRef struct {
	Game string `json:"game"`
}

// RatingChange is one side's rating before and after a rated game.
type RatingChange struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// EndRatings are both sides' rating changes.
type EndRatings struct {
	White RatingChange `json:"white"`
	Black RatingChange `json:"black"`
}

// EndPayload is the payload of `end`.
type EndPayload struct {
	Game    string      `json:"game"`
	Result  string      `json:"result"`
	Reason  string      `json:"reason"`
	Ratings *EndRatings `json:"ratings,omitempty"`
	AbortInfo
}

// SeekingPayload is the payload of `seeking`.
type SeekingPayload struct {
	TC    string `json:"tc"`
	Rated bool   `json:"rated"`
}

// ChallengePayload is the payload of a `challenge` sent to its target and of `challengeSent`
// sent to its creator. To, ExpiresAt and Rematch are additions to the v1 shape.
type ChallengePayload struct {
	ID        string `json:"id"`
	From      string `json:"from"`
	To        string `json:"to,omitempty"` // absent for an open challenge
	TC        string `json:"tc"`
	Color     string `json:"color"`
	Rated     bool   `json:"rated"`
	ExpiresAt int64  `json:"expiresAt,omitempty"` // Unix ms
	Rematch   string `json:"rematch,omitempty"`   // the game this is a rematch of
}

// Reasons a challenge is gone (challengeGone.reason).
const (
	GoneAccepted  = "accepted"
	GoneDeclined  = "declined"
	GoneCancelled = "cancelled"
	GoneExpired   = "expired"
)

// ChallengeGonePayload is the payload of `challengeGone`: the challenge is no longer open.
// Game and By are set when it was accepted (the new game, and who accepted).
type ChallengeGonePayload struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	Game   string `json:"game,omitempty"`
	By     string `json:"by,omitempty"`
}

// ErrorPayload is the payload of `error`.
type ErrorPayload struct {
	Code Code   `json:"code"`
	Msg  string `json:"msg"`
	Ref  *int64 `json:"ref"`
}

type frame struct {
	T string `json:"t"`
	V int64  `json:"v,omitempty"`
	D any    `json:"d,omitempty"`
}

// Encode builds one server frame. v is the game event version (0 for unversioned messages).
func Encode(t string, v int64, d any) ([]byte, error) {
	return json.Marshal(frame{T: t, V: v, D: d})
}

// MustEncode is Encode for payloads that cannot fail to marshal (the types of this package).
func MustEncode(t string, v int64, d any) []byte {
	b, err := Encode(t, v, d)
	if err != nil {
		panic("protocol: encoding " + t + ": " + err.Error())
	}
	return b
}

// pong is the reply to ping; PongFrame hands out this one slice.
var pong = []byte(`{"t":"pong"}`)

// PongFrame returns the pong frame. The slice is shared by every caller and must not be
// modified (transports only write it out); its capacity equals its length, so an append copies
// it instead of writing into the shared array.
func PongFrame() []byte { return pong[:len(pong):len(pong)] }

// IsPing reports whether frame is a plain ping that needs no decoding: {"t":"ping"},
// optionally with "d":null and JSON whitespace between tokens, and no ack id. Everything else
// (a ping with "a", escapes, other spellings) is for Decode. When IsPing is true, Decode would
// return a ping with no ack and no error (FuzzIsPing checks it).
func IsPing(frame []byte) bool {
	if string(frame) == `{"t":"ping"}` {
		return true // what clients send
	}
	if len(frame) > MaxFrame {
		return false
	}
	i := skipSpace(frame, 0)
	if i == len(frame) || frame[i] != '{' {
		return false
	}
	var seenT, seenD bool
	for {
		i = skipSpace(frame, i+1) // past '{' or ','
		var ok bool
		switch {
		case !seenT && hasAt(frame, i, `"t"`):
			seenT = true
			i, ok = member(frame, i+3, `"ping"`)
		case !seenD && hasAt(frame, i, `"d"`):
			seenD = true
			i, ok = member(frame, i+3, `null`)
		}
		if !ok {
			return false
		}
		i = skipSpace(frame, i)
		if i == len(frame) {
			return false
		}
		switch frame[i] {
		case ',':
			continue
		case '}':
			return seenT && skipSpace(frame, i+1) == len(frame)
		}
		return false
	}
}

// member reads `: value` at frame[i:] (whitespace allowed around the colon) and returns the
// index past the value.
func member(frame []byte, i int, value string) (int, bool) {
	i = skipSpace(frame, i)
	if !hasAt(frame, i, ":") {
		return i, false
	}
	i = skipSpace(frame, i+1)
	if !hasAt(frame, i, value) {
		return i, false
	}
	return i + len(value), true
}

func hasAt(b []byte, i int, s string) bool {
	return i <= len(b) && len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

// AckFrame answers an ackable client message.
func AckFrame(a int64) []byte {
	b := make([]byte, 0, 32)
	b = append(b, `{"t":"ack","d":`...)
	b = strconv.AppendInt(b, a, 10)
	return append(b, '}')
}

// ErrorFrame reports a rejected message; ref is the message's ack id or 0.
func ErrorFrame(e *Error, ref int64) []byte {
	p := ErrorPayload{Code: e.Code, Msg: e.Msg}
	if ref > 0 {
		p.Ref = &ref
	}
	return MustEncode(TError, 0, p)
}

// FrameV extracts the "v" of an encoded server frame; 0 when absent or not decodable.
//
// Encode puts "v" right after "t" ({"t":"move","v":12,"d":...}), so FrameV reads it from that
// prefix and only skips over the rest, to be sure no second top-level "v" follows; any other
// shape takes a full decode. Both ways agree on every valid JSON frame (FuzzFrameV); a frame
// that is not valid JSON but starts like one of ours may yield the prefix's v (the server only
// reads frames it encoded itself).
func FrameV(b []byte) int64 {
	if v, ok := frameVPrefix(b); ok {
		return v
	}
	return frameVDecode(b)
}

// frameVPrefix reads v from {"t":"<plain string>","v":<int>} or {"t":"…","v":<int>,"d":<value>};
// ok is false for any other shape.
func frameVPrefix(b []byte) (int64, bool) {
	const head = `{"t":"`
	if !hasAt(b, 0, head) {
		return 0, false
	}
	i := len(head)
	for ; i < len(b) && b[i] != '"'; i++ {
		if b[i] == '\\' || b[i] < 0x20 {
			return 0, false
		}
	}
	const vKey = `","v":`
	if !hasAt(b, i, vKey) {
		return 0, false
	}
	i += len(vKey)
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := i
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	if i == digits || (b[digits] == '0' && i-digits > 1) { // no digits, or a leading zero
		return 0, false
	}
	v, ok := strictInt(b[start:i])
	if !ok {
		return 0, false
	}
	if i == len(b)-1 && b[i] == '}' {
		return v, true
	}
	const dKey = `,"d":`
	if !hasAt(b, i, dKey) || i+len(dKey) >= len(b) {
		return 0, false
	}
	end := skipValue(b, i+len(dKey))
	if end != len(b)-1 || b[end] != '}' {
		return 0, false
	}
	return v, true
}

// frameVDecode is the full decode FrameV falls back to.
func frameVDecode(b []byte) int64 {
	var f struct {
		V int64 `json:"v"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return 0
	}
	return f.V
}
