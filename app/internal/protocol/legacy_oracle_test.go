package protocol

// The decoder as it was before the single-pass rewrite (map[string]json.RawMessage, one
// json.Unmarshal per field, regular expressions), kept verbatim as the oracle the new Decode
// must agree with on every input, error messages included. Only names are prefixed "legacy".

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var legacyTcPattern = regexp.MustCompile(`^([0-9]{1,3})\+([0-9]{1,3})$`)

// legacyParseTimeControl parses and validates "minutes+increment".
func legacyParseTimeControl(s string) (TimeControl, error) {
	m := legacyTcPattern.FindStringSubmatch(s)
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

var (
	legacyGameIDPattern      = regexp.MustCompile(`^g_[A-Za-z0-9]{4,24}$`)
	legacyChallengeIDPattern = regexp.MustCompile(`^c_[A-Za-z0-9]{4,24}$`)
	legacyUsernamePattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{3,20}$`)
	legacyUciPattern         = regexp.MustCompile(`^[a-h][1-8][a-h][1-8][qrbn]?$`)
)

// legacyValidUsername reports whether name fits the protocol's username rule.
func legacyValidUsername(name string) bool { return legacyUsernamePattern.MatchString(name) }

// legacyValidGameID reports whether id has the shape of a game id.
func legacyValidGameID(id string) bool { return legacyGameIDPattern.MatchString(id) }

// legacyValidUCI reports whether s is syntactically a UCI move.
func legacyValidUCI(s string) bool { return legacyUciPattern.MatchString(s) }

// legacyDecode parses and validates one client frame. On failure it returns a *Error with code
// bad_request or unknown_type and, when the frame had a usable ack id, that id so the error can
// reference it.
func legacyDecode(frame []byte) (ClientMessage, *Error) {
	var m ClientMessage
	if len(frame) > MaxFrame {
		return m, Errorf(CodeBadRequest, "frame of %d bytes exceeds %d", len(frame), MaxFrame)
	}
	var env envelope
	if err := json.Unmarshal(frame, &env); err != nil {
		return m, Errorf(CodeBadRequest, "invalid JSON envelope: %v", jsonErrText(err))
	}
	if env.A != nil && !legacyIsNull(env.A) {
		a, err := legacyStrictInt(env.A)
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
	spec, ok := legacyClientSpecs[m.Type]
	if !ok {
		return m, Errorf(CodeUnknownType, "unknown message type %q", m.Type)
	}
	if spec.payload == nil {
		return m, nil
	}
	if env.D == nil || legacyIsNull(env.D) {
		return m, Errorf(CodeBadRequest, "%s needs a payload \"d\"", m.Type)
	}
	if err := spec.payload(env.D, &m); err != nil {
		return m, Errorf(CodeBadRequest, "%s: %v", m.Type, err)
	}
	return m, nil
}

type legacyClientSpec struct {
	payload func(raw json.RawMessage, m *ClientMessage) error
}

// legacyClientSpecs is the immutable table of client message types and their payload decoders.
var legacyClientSpecs = map[string]legacyClientSpec{
	TPing:             {},
	TCancelSeek:       {},
	TSeek:             {payload: legacyDecodeSeek},
	TChallenge:        {payload: legacyDecodeChallenge},
	TAcceptChallenge:  {payload: legacyDecodeChallengeRef},
	TDeclineChallenge: {payload: legacyDecodeChallengeRef},
	TCancelChallenge:  {payload: legacyDecodeChallengeRef},
	TRematch:          {payload: legacyDecodeGameRef},
	TWatch:            {payload: legacyDecodeWatch},
	TUnwatch:          {payload: legacyDecodeGameRef},
	TMove:             {payload: legacyDecodeMove},
	TResign:           {payload: legacyDecodeGameRef},
	TAbort:            {payload: legacyDecodeGameRef},
	TDrawOffer:        {payload: legacyDecodeGameRef},
	TDrawAccept:       {payload: legacyDecodeGameRef},
	TDrawDecline:      {payload: legacyDecodeGameRef},
	TDrawClaim:        {payload: legacyDecodeGameRef},
	TFlag:             {payload: legacyDecodeGameRef},
}

// legacyFields decodes a JSON object into raw legacyFields; unknown legacyFields are ignored (forward
// compatibility) but known legacyFields must have the right type.
func legacyFields(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return nil, fmt.Errorf("payload must be a JSON object")
	}
	return f, nil
}

func legacyReqString(f map[string]json.RawMessage, key string) (string, error) {
	raw, ok := f[key]
	if !ok || legacyIsNull(raw) {
		return "", fmt.Errorf("field %q is required", key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("field %q must be a string", key)
	}
	return s, nil
}

func legacyOptBool(f map[string]json.RawMessage, key string) (bool, error) {
	raw, ok := f[key]
	if !ok || legacyIsNull(raw) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("field %q must be a boolean", key)
	}
	return b, nil
}

func legacyOptInt(f map[string]json.RawMessage, key string) (int64, bool, error) {
	raw, ok := f[key]
	if !ok || legacyIsNull(raw) {
		return 0, false, nil
	}
	n, err := legacyStrictInt(raw)
	if err != nil {
		return 0, false, fmt.Errorf("field %q must be an integer", key)
	}
	return n, true, nil
}

func legacyGameField(f map[string]json.RawMessage) (string, error) {
	g, err := legacyReqString(f, "game")
	if err != nil {
		return "", err
	}
	if !legacyValidGameID(g) {
		return "", fmt.Errorf("field \"game\" is not a game id")
	}
	return g, nil
}

func legacyDecodeGameRef(raw json.RawMessage, m *ClientMessage) error {
	f, err := legacyFields(raw)
	if err != nil {
		return err
	}
	m.Game, err = legacyGameField(f)
	return err
}

func legacyDecodeWatch(raw json.RawMessage, m *ClientMessage) error {
	f, err := legacyFields(raw)
	if err != nil {
		return err
	}
	if m.Game, err = legacyGameField(f); err != nil {
		return err
	}
	v, _, err := legacyOptInt(f, "v")
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("field \"v\" must be >= 0")
	}
	m.V = v
	return nil
}

func legacyDecodeMove(raw json.RawMessage, m *ClientMessage) error {
	f, err := legacyFields(raw)
	if err != nil {
		return err
	}
	if m.Game, err = legacyGameField(f); err != nil {
		return err
	}
	if m.UCI, err = legacyReqString(f, "u"); err != nil {
		return err
	}
	if !legacyValidUCI(m.UCI) {
		return fmt.Errorf("field \"u\" %q is not a UCI move like e2e4 or e7e8q", truncate(m.UCI, 16))
	}
	ply, ok, err := legacyOptInt(f, "ply")
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
	lag, _, err := legacyOptInt(f, "l")
	if err != nil {
		return err
	}
	if lag < 0 {
		return fmt.Errorf("field \"l\" must be >= 0")
	}
	m.LagMs = min(lag, MaxLagMs)
	return nil
}

func legacyDecodeSeek(raw json.RawMessage, m *ClientMessage) error {
	f, err := legacyFields(raw)
	if err != nil {
		return err
	}
	tc, err := legacyReqString(f, "tc")
	if err != nil {
		return err
	}
	if m.TC, err = legacyParseTimeControl(tc); err != nil {
		return err
	}
	m.Rated, err = legacyOptBool(f, "rated")
	return err
}

func legacyDecodeChallenge(raw json.RawMessage, m *ClientMessage) error {
	f, err := legacyFields(raw)
	if err != nil {
		return err
	}
	if raw, ok := f["to"]; ok && !legacyIsNull(raw) {
		if m.To, err = legacyReqString(f, "to"); err != nil {
			return err
		}
		if !legacyValidUsername(m.To) {
			return fmt.Errorf("field \"to\" is not a username")
		}
	}
	tc, err := legacyReqString(f, "tc")
	if err != nil {
		return err
	}
	if m.TC, err = legacyParseTimeControl(tc); err != nil {
		return err
	}
	m.Color = ColorRandom
	if _, ok := f["color"]; ok {
		if m.Color, err = legacyReqString(f, "color"); err != nil {
			return err
		}
		switch m.Color {
		case ColorWhite, ColorBlack, ColorRandom:
		default:
			return fmt.Errorf("field \"color\" must be white, black or random")
		}
	}
	m.Rated, err = legacyOptBool(f, "rated")
	return err
}

func legacyDecodeChallengeRef(raw json.RawMessage, m *ClientMessage) error {
	f, err := legacyFields(raw)
	if err != nil {
		return err
	}
	if m.ChallengeID, err = legacyReqString(f, "id"); err != nil {
		return err
	}
	if !legacyChallengeIDPattern.MatchString(m.ChallengeID) {
		return fmt.Errorf("field \"id\" is not a challenge id")
	}
	return nil
}

func legacyIsNull(raw json.RawMessage) bool { return string(raw) == "null" }

// legacyStrictInt accepts only JSON integers (no fractions, no exponents, no strings).
func legacyStrictInt(raw json.RawMessage) (int64, error) {
	s := string(raw)
	if s == "" || strings.ContainsAny(s, ".eE\"") {
		return 0, fmt.Errorf("not an integer")
	}
	return strconv.ParseInt(s, 10, 64)
}

// FuzzValidatorsAgainstRegexp checks the hand-written validators against the regular
// expressions they replaced.
func FuzzValidatorsAgainstRegexp(f *testing.F) {
	for _, s := range []string{"g_abcd", "g_abc", "c_abcd1234", "alice", "a!", "e2e4", "e7e8q", "e7e8k", "5+3", "0+0",
		"999+0", "05+003", "1234+1", "+1", "1+", "g_" + strings.Repeat("Z", 24), "5+3\n", "é+1", "bob_1-x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidUsername(s), legacyValidUsername(s); got != want {
			t.Fatalf("ValidUsername(%q) = %v, regexp %v", s, got, want)
		}
		if got, want := ValidGameID(s), legacyValidGameID(s); got != want {
			t.Fatalf("ValidGameID(%q) = %v, regexp %v", s, got, want)
		}
		if got, want := validChallengeID(s), legacyChallengeIDPattern.MatchString(s); got != want {
			t.Fatalf("validChallengeID(%q) = %v, regexp %v", s, got, want)
		}
		if got, want := ValidUCI(s), legacyValidUCI(s); got != want {
			t.Fatalf("ValidUCI(%q) = %v, regexp %v", s, got, want)
		}
		tc, err := ParseTimeControl(s)
		ltc, lerr := legacyParseTimeControl(s)
		if tc != ltc || fmt.Sprint(err) != fmt.Sprint(lerr) {
			t.Fatalf("ParseTimeControl(%q) = %v, %v; regexp %v, %v", s, tc, err, ltc, lerr)
		}
	})
}
