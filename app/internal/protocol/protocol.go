// Package protocol implements the v1 wire contract of ../shared/design/protocol.md: the message
// envelope, the typed client payloads with strict validation, the server messages and the error
// codes. It does no I/O and holds no state.
package protocol

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
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

// TimeControl is minutes+increment as written on the wire ("5+3").
type TimeControl struct {
	Minutes   int
	Increment int // seconds
}

// Limits of accepted time controls: up to 3 hours base and 180 s increment, not 0+0.
const (
	maxMinutes   = 180
	maxIncrement = 180
)

var tcPattern = regexp.MustCompile(`^([0-9]{1,3})\+([0-9]{1,3})$`)

// ParseTimeControl parses and validates "minutes+increment".
func ParseTimeControl(s string) (TimeControl, error) {
	m := tcPattern.FindStringSubmatch(s)
	if m == nil {
		return TimeControl{}, fmt.Errorf("time control %q is not minutes+increment, e.g. \"5+3\"", s)
	}
	mins, _ := strconv.Atoi(m[1])
	inc, _ := strconv.Atoi(m[2])
	if mins > maxMinutes || inc > maxIncrement {
		return TimeControl{}, fmt.Errorf("time control %q out of range (minutes 0-%d, increment 0-%d s)", s, maxMinutes, maxIncrement)
	}
	if mins == 0 && inc == 0 {
		return TimeControl{}, fmt.Errorf("time control %q has no time", s)
	}
	return TimeControl{Minutes: mins, Increment: inc}, nil
}

func (tc TimeControl) String() string {
	return strconv.Itoa(tc.Minutes) + "+" + strconv.Itoa(tc.Increment)
}

// BaseMs is the initial time of each side in milliseconds.
func (tc TimeControl) BaseMs() int64 { return int64(tc.Minutes) * 60_000 }

// IncMs is the increment in milliseconds.
func (tc TimeControl) IncMs() int64 { return int64(tc.Increment) * 1000 }

var (
	gameIDPattern      = regexp.MustCompile(`^g_[A-Za-z0-9]{4,24}$`)
	challengeIDPattern = regexp.MustCompile(`^c_[A-Za-z0-9]{4,24}$`)
	usernamePattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{3,20}$`)
	uciPattern         = regexp.MustCompile(`^[a-h][1-8][a-h][1-8][qrbn]?$`)
)

// ValidUsername reports whether name fits the protocol's username rule.
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }

// ValidGameID reports whether id has the shape of a game id.
func ValidGameID(id string) bool { return gameIDPattern.MatchString(id) }

// ValidUCI reports whether s is syntactically a UCI move.
func ValidUCI(s string) bool { return uciPattern.MatchString(s) }

// Color is a colour preference in a challenge.
const (
	ColorWhite  = "white"
	ColorBlack  = "black"
	ColorRandom = "random"
)

// MaxLagMs caps the client-reported lag (move.d.l).
const MaxLagMs = 10_000

// Raw is a decoded, not yet validated envelope.
type envelope struct {
	T json.RawMessage `json:"t"`
	D json.RawMessage `json:"d"`
	A json.RawMessage `json:"a"`
}

// ClientMessage is a validated client message. Exactly the fields of its type are set.
type ClientMessage struct {
	Type string
	Ack  int64 // 0 when the client asked for no ack

	Game        string      // watch, unwatch, move, resign, abort, draw*, flag
	V           int64       // watch
	UCI         string      // move
	Ply         int         // move
	LagMs       int64       // move (optional)
	TC          TimeControl // seek, challenge
	Rated       bool        // seek, challenge
	To          string      // challenge
	Color       string      // challenge
	ChallengeID string      // acceptChallenge, declineChallenge
}

// Decode parses and validates one client frame. On failure it returns a *Error with code
// bad_request or unknown_type and, when the frame had a usable ack id, that id so the error can
// reference it.
func Decode(frame []byte) (ClientMessage, *Error) {
	var m ClientMessage
	if len(frame) > MaxFrame {
		return m, Errorf(CodeBadRequest, "frame of %d bytes exceeds %d", len(frame), MaxFrame)
	}
	var env envelope
	if err := json.Unmarshal(frame, &env); err != nil {
		return m, Errorf(CodeBadRequest, "invalid JSON envelope: %v", jsonErrText(err))
	}
	if env.A != nil && !isNull(env.A) {
		a, err := strictInt(env.A)
		if err != nil || a < 1 {
			return m, Errorf(CodeBadRequest, "field \"a\" must be an integer >= 1")
		}
		m.Ack = a
	}
	if env.T == nil {
		return m, Errorf(CodeBadRequest, "field \"t\" is required")
	}
	if err := json.Unmarshal(env.T, &m.Type); err != nil {
		return m, Errorf(CodeBadRequest, "field \"t\" must be a string")
	}
	spec, ok := clientSpecs[m.Type]
	if !ok {
		return m, Errorf(CodeUnknownType, "unknown message type %q", m.Type)
	}
	if spec.payload == nil {
		return m, nil
	}
	if env.D == nil || isNull(env.D) {
		return m, Errorf(CodeBadRequest, "%s needs a payload \"d\"", m.Type)
	}
	if err := spec.payload(env.D, &m); err != nil {
		return m, Errorf(CodeBadRequest, "%s: %v", m.Type, err)
	}
	return m, nil
}

type clientSpec struct {
	payload func(raw json.RawMessage, m *ClientMessage) error
}

// clientSpecs is the immutable table of client message types and their payload decoders.
var clientSpecs = map[string]clientSpec{
	TPing:             {},
	TCancelSeek:       {},
	TSeek:             {payload: decodeSeek},
	TChallenge:        {payload: decodeChallenge},
	TAcceptChallenge:  {payload: decodeChallengeRef},
	TDeclineChallenge: {payload: decodeChallengeRef},
	TWatch:            {payload: decodeWatch},
	TUnwatch:          {payload: decodeGameRef},
	TMove:             {payload: decodeMove},
	TResign:           {payload: decodeGameRef},
	TAbort:            {payload: decodeGameRef},
	TDrawOffer:        {payload: decodeGameRef},
	TDrawAccept:       {payload: decodeGameRef},
	TDrawDecline:      {payload: decodeGameRef},
	TDrawClaim:        {payload: decodeGameRef},
	TFlag:             {payload: decodeGameRef},
}

// fields decodes a JSON object into raw fields; unknown fields are ignored (forward
// compatibility) but known fields must have the right type.
func fields(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return nil, fmt.Errorf("payload must be a JSON object")
	}
	return f, nil
}

func reqString(f map[string]json.RawMessage, key string) (string, error) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return "", fmt.Errorf("field %q is required", key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("field %q must be a string", key)
	}
	return s, nil
}

func optBool(f map[string]json.RawMessage, key string) (bool, error) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("field %q must be a boolean", key)
	}
	return b, nil
}

func optInt(f map[string]json.RawMessage, key string) (int64, bool, error) {
	raw, ok := f[key]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	n, err := strictInt(raw)
	if err != nil {
		return 0, false, fmt.Errorf("field %q must be an integer", key)
	}
	return n, true, nil
}

func gameField(f map[string]json.RawMessage) (string, error) {
	g, err := reqString(f, "game")
	if err != nil {
		return "", err
	}
	if !ValidGameID(g) {
		return "", fmt.Errorf("field \"game\" is not a game id")
	}
	return g, nil
}

func decodeGameRef(raw json.RawMessage, m *ClientMessage) error {
	f, err := fields(raw)
	if err != nil {
		return err
	}
	m.Game, err = gameField(f)
	return err
}

func decodeWatch(raw json.RawMessage, m *ClientMessage) error {
	f, err := fields(raw)
	if err != nil {
		return err
	}
	if m.Game, err = gameField(f); err != nil {
		return err
	}
	v, _, err := optInt(f, "v")
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("field \"v\" must be >= 0")
	}
	m.V = v
	return nil
}

func decodeMove(raw json.RawMessage, m *ClientMessage) error {
	f, err := fields(raw)
	if err != nil {
		return err
	}
	if m.Game, err = gameField(f); err != nil {
		return err
	}
	if m.UCI, err = reqString(f, "u"); err != nil {
		return err
	}
	if !ValidUCI(m.UCI) {
		return fmt.Errorf("field \"u\" %q is not a UCI move like e2e4 or e7e8q", truncate(m.UCI, 16))
	}
	ply, ok, err := optInt(f, "ply")
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
	lag, _, err := optInt(f, "l")
	if err != nil {
		return err
	}
	if lag < 0 {
		return fmt.Errorf("field \"l\" must be >= 0")
	}
	m.LagMs = min(lag, MaxLagMs)
	return nil
}

func decodeSeek(raw json.RawMessage, m *ClientMessage) error {
	f, err := fields(raw)
	if err != nil {
		return err
	}
	tc, err := reqString(f, "tc")
	if err != nil {
		return err
	}
	if m.TC, err = ParseTimeControl(tc); err != nil {
		return err
	}
	m.Rated, err = optBool(f, "rated")
	return err
}

func decodeChallenge(raw json.RawMessage, m *ClientMessage) error {
	f, err := fields(raw)
	if err != nil {
		return err
	}
	if m.To, err = reqString(f, "to"); err != nil {
		return err
	}
	if !ValidUsername(m.To) {
		return fmt.Errorf("field \"to\" is not a username")
	}
	tc, err := reqString(f, "tc")
	if err != nil {
		return err
	}
	if m.TC, err = ParseTimeControl(tc); err != nil {
		return err
	}
	m.Color = ColorRandom
	if _, ok := f["color"]; ok {
		if m.Color, err = reqString(f, "color"); err != nil {
			return err
		}
		switch m.Color {
		case ColorWhite, ColorBlack, ColorRandom:
		default:
			return fmt.Errorf("field \"color\" must be white, black or random")
		}
	}
	m.Rated, err = optBool(f, "rated")
	return err
}

func decodeChallengeRef(raw json.RawMessage, m *ClientMessage) error {
	f, err := fields(raw)
	if err != nil {
		return err
	}
	if m.ChallengeID, err = reqString(f, "id"); err != nil {
		return err
	}
	if !challengeIDPattern.MatchString(m.ChallengeID) {
		return fmt.Errorf("field \"id\" is not a challenge id")
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// strictInt accepts only JSON integers (no fractions, no exponents, no strings).
func strictInt(raw json.RawMessage) (int64, error) {
	s := string(raw)
	if s == "" || strings.ContainsAny(s, ".eE\"") {
		return 0, fmt.Errorf("not an integer")
	}
	return strconv.ParseInt(s, 10, 64)
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
