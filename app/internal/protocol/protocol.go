// Package protocol implements the v1 wire contract described in docs/protocol.md: the message
// envelope, the typed client payloads with strict validation, the server messages and the error
// codes. It does no I/O and holds no state.
package protocol

import (
	"encoding/json"
	"fmt"
)

// MaxFrame is the largest client frame the server accepts (4 KiB).
const MaxFrame = 4096

// Client message types.
const (
	TPing             = "ping"
	TSeek             = "seek"
	TCancelSeek       = "cancelSeek"
	TChallenge        = "challenge"
	TAcceptChallenge  = "acceptChallenge"
	TDeclineChallenge = "declineChallenge"
	TCancelChallenge  = "cancelChallenge"
	TRematch          = "rematch"
	TWatch            = "watch"
	TUnwatch          = "unwatch"
	TMove             = "move"
	TResign           = "resign"
	TAbort            = "abort"
	TDrawOffer        = "drawOffer"
	TDrawAccept       = "drawAccept"
	TDrawDecline      = "drawDecline"
	TDrawClaim        = "drawClaim"
	TFlag             = "flag"
)

// Server message types.
const (
	TAck          = "ack"
	TError        = "error"
	TPong         = "pong"
	TSeeking      = "seeking"
	TGameStart    = "gameStart"
	TState        = "state"
	TMoveEvent    = "move"
	TDrawOffered  = "drawOffered"
	TDrawDeclined = "drawDeclined"
	TEnd          = "end"
	TOpponentGone = "opponentGone"
	TOpponentBack = "opponentBack"
	// TChallengeSent confirms a challenge to its creator's connections; TChallengeGone tells
	// both sides that a challenge is no longer open, and why.
	TChallengeSent = "challengeSent"
	TChallengeGone = "challengeGone"
)

// Code is a protocol error code.
type Code string

// Error codes of the protocol.
const (
	CodeBadRequest   Code = "bad_request"
	CodeUnknownType  Code = "unknown_type"
	CodeUnauthorized Code = "unauthorized"
	CodeNotFound     Code = "not_found"
	CodeNotYourGame  Code = "not_your_game"
	CodeNotYourTurn  Code = "not_your_turn"
	CodeIllegalMove  Code = "illegal_move"
	CodeGameOver     Code = "game_over"
	CodeNoClaim      Code = "no_claim"
	CodeRateLimited  Code = "rate_limited"
	CodeUnavailable  Code = "unavailable"
)

// Error is a rejection that travels to the client as an `error` message.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Msg }

// Errorf builds a protocol error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// envelope is the top-level shape of a client frame. Decode does not unmarshal into it (it
// reads the frame in one pass, see scanEnvelope); it only names the Go type in the error text
// of a frame that is valid JSON but not an object, exactly as encoding/json words it.
type envelope struct {
	T json.RawMessage `json:"t"`
	D json.RawMessage `json:"d"`
	A json.RawMessage `json:"a"`
}

// ClientMessage is a validated client message. Exactly the fields of its type are set.
type ClientMessage struct {
	Type string
	Ack  int64 // 0 when the client asked for no ack

	Game        string      // watch, unwatch, move, resign, abort, draw*, flag, rematch
	V           int64       // watch
	UCI         string      // move
	Ply         int         // move
	LagMs       int64       // move (optional)
	TC          TimeControl // seek, challenge
	Rated       bool        // seek, challenge
	To          string      // challenge; "" for an open challenge (a link anyone may accept)
	Color       string      // challenge
	ChallengeID string      // acceptChallenge, declineChallenge, cancelChallenge
	Draw        bool        // claimAbandoned: "result":"draw"
}

// Decode parses and validates one client frame. On failure it returns a *Error with code
// bad_request or unknown_type and, when the frame had a usable ack id, that id so the error can
// reference it.
//
// The frame is checked once with json.Valid and then read in a single pass without reflection:
// the envelope's "t", "d" and "a" (matched like encoding/json matches struct fields, that is
// case-insensitively, last duplicate wins), then the payload's known fields of the message's type
// (matched exactly, as map keys are; unknown fields are ignored). Values keep the rules they had
// under encoding/json: strings unescape as json.Unmarshal does, integers are strict (no
// fraction, exponent or quotes), null counts as absent.
func Decode(frame []byte) (ClientMessage, *Error) {
	var m ClientMessage
	if len(frame) > MaxFrame {
		return m, Errorf(CodeBadRequest, "frame of %d bytes exceeds %d", len(frame), MaxFrame)
	}
	if !json.Valid(frame) {
		return m, envelopeError(frame)
	}
	var env rawEnvelope
	if !scanEnvelope(frame, &env) {
		return m, envelopeError(frame)
	}
	a, ok := ackValue(env.a)
	if !ok {
		return m, Errorf(CodeBadRequest, "field \"a\" must be an integer >= 1")
	}
	m.Ack = a
	if env.t == nil {
		return m, Errorf(CodeBadRequest, "field \"t\" is required")
	}
	if !isNull(env.t) { // a null "t" leaves the type empty (an unknown type), as json.Unmarshal did
		t, ok := messageType(env.t)
		if !ok {
			return m, Errorf(CodeBadRequest, "field \"t\" must be a string")
		}
		m.Type = t
	}
	spec, ok := clientSpecs[m.Type]
	if !ok {
		return m, Errorf(CodeUnknownType, "unknown message type %q", m.Type)
	}
	if spec.payload == noPayload {
		return m, nil
	}
	if env.d == nil || isNull(env.d) {
		return m, Errorf(CodeBadRequest, "%s needs a payload \"d\"", m.Type)
	}
	if err := decodePayload(spec.payload, env.d, &m); err != nil {
		return m, Errorf(CodeBadRequest, "%s: %v", m.Type, err)
	}
	return m, nil
}

// FrameAck is the ack id of a client frame as Decode reports it, also when Decode rejects the
// frame (0 when it has none, or none usable), read without decoding the message. A transport
// that answers a frame itself (too many in flight, the service unavailable) references the id
// the client waits on, as the server's own error would.
func FrameAck(frame []byte) int64 {
	if len(frame) > MaxFrame || !json.Valid(frame) {
		return 0
	}
	var env rawEnvelope
	if !scanEnvelope(frame, &env) {
		return 0
	}
	a, _ := ackValue(env.a)
	return a
}

// ackValue reads the envelope's raw "a": absent or null is no ack (0, true); anything but an
// integer >= 1 is not usable (0, false).
func ackValue(raw []byte) (int64, bool) {
	if raw == nil || isNull(raw) {
		return 0, true
	}
	a, ok := strictInt(raw)
	if !ok || a < 1 {
		return 0, false
	}
	return a, true
}

// envelopeError words the rejection of a frame that is not a JSON object exactly as
// encoding/json reports it (syntax error, or the JSON type that is not an object).
func envelopeError(frame []byte) *Error {
	var env envelope
	err := json.Unmarshal(frame, &env)
	if err == nil {
		// A top-level null: encoding/json leaves every field absent.
		return Errorf(CodeBadRequest, "field \"t\" is required")
	}
	return Errorf(CodeBadRequest, "invalid JSON envelope: %v", jsonErrText(err))
}

// payloadKind selects a type's payload decoder; a switch rather than a function value, so
// the message being decoded stays on the caller's stack.
type payloadKind uint8

const (
	noPayload payloadKind = iota
	gameRefPayload
	watchPayload
	movePayload
	seekPayload
	challengePayload
	challengeRefPayload
	claimAbandonedPayload
)

type clientSpec struct {
	name    string // the type, as the interned string every decoded message carries
	payload payloadKind
}

// clientSpecs is the immutable table of client message types and their payloads.
var clientSpecs = map[string]clientSpec{
	TPing:             {TPing, noPayload},
	TCancelSeek:       {TCancelSeek, noPayload},
	TSeek:             {TSeek, seekPayload},
	TChallenge:        {TChallenge, challengePayload},
	TAcceptChallenge:  {TAcceptChallenge, challengeRefPayload},
	TDeclineChallenge: {TDeclineChallenge, challengeRefPayload},
	TCancelChallenge:  {TCancelChallenge, challengeRefPayload},
	TRematch:          {TRematch, gameRefPayload},
	TWatch:            {TWatch, watchPayload},
	TUnwatch:          {TUnwatch, gameRefPayload},
	TMove:             {TMove, movePayload},
	TResign:           {TResign, gameRefPayload},
	TAbort:            {TAbort, gameRefPayload},
	TDrawOffer:        {TDrawOffer, gameRefPayload},
	TDrawAccept:       {TDrawAccept, gameRefPayload},
	TDrawDecline:      {TDrawDecline, gameRefPayload},
	TDrawClaim:        {TDrawClaim, gameRefPayload},
	TFlag:             {TFlag, gameRefPayload},
	TClaimAbandoned:   {TClaimAbandoned, claimAbandonedPayload},
}

func decodePayload(kind payloadKind, raw []byte, m *ClientMessage) error {
	switch kind {
	case gameRefPayload:
		return decodeGameRef(raw, m)
	case watchPayload:
		return decodeWatch(raw, m)
	case movePayload:
		return decodeMove(raw, m)
	case seekPayload:
		return decodeSeek(raw, m)
	case challengePayload:
		return decodeChallenge(raw, m)
	case challengeRefPayload:
		return decodeChallengeRef(raw, m)
	case claimAbandonedPayload:
		return decodeClaimAbandoned(raw, m)
	}
	return nil
}

// Payload field lists: the index of a name is its slot in payloadFields.
var (
	gameRefFields      = []string{"game"}
	watchFields        = []string{"game", "v"}
	moveFields         = []string{"game", "u", "ply", "l"}
	seekFields         = []string{"tc", "rated"}
	challengeFields    = []string{"to", "tc", "color", "rated"}
	challengeRefFields = []string{"id"}
)

// payloadFields holds the raw JSON values of a payload's known fields, in the order of the
// type's field list; nil for a field that is absent. It is the typed view of one payload:
// absent (nil), null ("null") and present are told apart.
type payloadFields [4][]byte

// readPayload reads the known fields of a payload object; anything else is ignored.
func readPayload(raw []byte, names []string) (payloadFields, error) {
	var f payloadFields
	if !scanObject(raw, names, &f) {
		return f, fmt.Errorf("payload must be a JSON object")
	}
	return f, nil
}

func reqString(raw []byte, key string) (string, error) {
	if raw == nil || isNull(raw) {
		return "", fmt.Errorf("field %q is required", key)
	}
	s, ok := jsonString(raw)
	if !ok {
		return "", fmt.Errorf("field %q must be a string", key)
	}
	return s, nil
}

func optBool(raw []byte, key string) (bool, error) {
	switch string(raw) {
	case "", "null":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("field %q must be a boolean", key)
}

func optInt(raw []byte, key string) (int64, bool, error) {
	if raw == nil || isNull(raw) {
		return 0, false, nil
	}
	n, ok := strictInt(raw)
	if !ok {
		return 0, false, fmt.Errorf("field %q must be an integer", key)
	}
	return n, true, nil
}

func gameField(raw []byte) (string, error) {
	g, err := reqString(raw, "game")
	if err != nil {
		return "", err
	}
	if !ValidGameID(g) {
		return "", fmt.Errorf("field \"game\" is not a game id")
	}
	return g, nil
}

func decodeGameRef(raw []byte, m *ClientMessage) error {
	f, err := readPayload(raw, gameRefFields)
	if err != nil {
		return err
	}
	m.Game, err = gameField(f[0])
	return err
}

func decodeWatch(raw []byte, m *ClientMessage) error {
	f, err := readPayload(raw, watchFields)
	if err != nil {
		return err
	}
	if m.Game, err = gameField(f[0]); err != nil {
		return err
	}
	v, _, err := optInt(f[1], "v")
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("field \"v\" must be >= 0")
	}
	m.V = v
	return nil
}

func decodeMove(raw []byte, m *ClientMessage) error {
	f, err := readPayload(raw, moveFields)
	if err != nil {
		return err
	}
	if m.Game, err = gameField(f[0]); err != nil {
		return err
	}
	if m.UCI, err = reqString(f[1], "u"); err != nil {
		return err
	}
	if !ValidUCI(m.UCI) {
		return fmt.Errorf("field \"u\" %q is not a UCI move like e2e4 or e7e8q", truncate(m.UCI, 16))
	}
	ply, ok, err := optInt(f[2], "ply")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("field \"ply\" is required")
	}
	if ply < 1 || ply > 10_000 {
		return fmt.Errorf("field \"ply\" must be between 1 and 10000")
	}
	m.Ply = int(ply)
	lag, _, err := optInt(f[3], "l")
	if err != nil {
		return err
	}
	if lag < 0 {
		return fmt.Errorf("field \"l\" must be >= 0")
	}
	m.LagMs = min(lag, MaxLagMs)
	return nil
}

func decodeSeek(raw []byte, m *ClientMessage) error {
	f, err := readPayload(raw, seekFields)
	if err != nil {
		return err
	}
	tc, err := reqString(f[0], "tc")
	if err != nil {
		return err
	}
	if m.TC, err = ParseTimeControl(tc); err != nil {
		return err
	}
	m.Rated, err = optBool(f[1], "rated")
	return err
}

func decodeChallenge(raw []byte, m *ClientMessage) error {
	f, err := readPayload(raw, challengeFields)
	if err != nil {
		return err
	}
	if f[0] != nil && !isNull(f[0]) { // absent or null: an open challenge
		if m.To, err = reqString(f[0], "to"); err != nil {
			return err
		}
		if !ValidUsername(m.To) {
			return fmt.Errorf("field \"to\" is not a username")
		}
	}
	tc, err := reqString(f[1], "tc")
	if err != nil {
		return err
	}
	if m.TC, err = ParseTimeControl(tc); err != nil {
		return err
	}
	m.Color = ColorRandom
	if f[2] != nil { // present, even as null: then it must be one of the colours
		if m.Color, err = reqString(f[2], "color"); err != nil {
			return err
		}
		switch m.Color {
		case ColorWhite, ColorBlack, ColorRandom:
		default:
			return fmt.Errorf("field \"color\" must be white, black or random")
		}
	}
	m.Rated, err = optBool(f[3], "rated")
	return err
}

func decodeChallengeRef(raw []byte, m *ClientMessage) error {
	f, err := readPayload(raw, challengeRefFields)
	if err != nil {
		return err
	}
	if m.ChallengeID, err = reqString(f[0], "id"); err != nil {
		return err
	}
	if !validChallengeID(m.ChallengeID) {
		return fmt.Errorf("field \"id\" is not a challenge id")
	}
	return nil
}

func isNull(raw []byte) bool { return string(raw) == "null" }

// messageType decodes the "t" string; a known type comes back as the table's own string, so
// decoding a message allocates nothing for its type.
func messageType(raw []byte) (string, bool) {
	if body, ok := plainString(raw); ok {
		if spec, ok := clientSpecs[string(body)]; ok {
			return spec.name, true
		}
	}
	return jsonString(raw)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func jsonErrText(err error) string {
	// json errors can echo attacker-controlled bytes; keep the message short.
	return truncate(err.Error(), 80)
}
