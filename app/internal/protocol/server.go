package protocol

import (
	"encoding/json"
	"strconv"
)

// Server message payloads. Field names and shapes follow protocol.md exactly.

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
}

// SeekingPayload is the payload of `seeking`.
type SeekingPayload struct {
	TC    string `json:"tc"`
	Rated bool   `json:"rated"`
}

// ChallengePayload is the payload of a `challenge` sent to its target.
type ChallengePayload struct {
	ID    string `json:"id"`
	From  string `json:"from"`
	TC    string `json:"tc"`
	Color string `json:"color"`
	Rated bool   `json:"rated"`
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

// Pong is the reply to ping.
var pong = []byte(`{"t":"pong"}`)

// PongFrame returns the pong frame (a fresh copy, callers may keep it).
func PongFrame() []byte { return append([]byte(nil), pong...) }

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
func FrameV(b []byte) int64 {
	var f struct {
		V int64 `json:"v"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return 0
	}
	return f.V
}
