package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrameVPrefix(t *testing.T) {
	// What the server encodes is read from the prefix.
	for _, f := range [][]byte{
		MustEncode(TMoveEvent, 12, benchMoveEvent),
		MustEncode(TState, 1, GameState{Game: "g_abcd12", Moves: []string{"e2e4"}}),
		MustEncode(TEnd, 9_007_199_254_740_993, EndPayload{Game: "g_abcd12", Result: "1-0", Reason: `with "quotes" and } {`}),
		MustEncode(TDrawDeclined, 3, GameRef{Game: "g_abcd12"}),
		MustEncode(TOpponentGone, 4, nil),
	} {
		v, ok := frameVPrefix(f)
		assert.True(t, ok, "%s", f)
		assert.Equal(t, frameVDecode(f), v, "%s", f)
	}
	tests := []struct {
		frame  string
		want   int64
		prefix bool // read from the prefix (else the full decode decides)
	}{
		{`{"t":"move","v":12,"d":{"game":"g_abcd12"}}`, 12, true},
		{`{"t":"x","v":3}`, 3, true},
		{`{"t":"x","v":-3,"d":null}`, -3, true},
		{`{"t":"x","v":0,"d":"}"}`, 0, true},
		{`{"t":"x","v":9223372036854775807,"d":[]}`, 9223372036854775807, true},
		{`{"t":"pong"}`, 0, false},
		{`{"t":"ack","d":42}`, 0, false},
		{`{"t":"x","v":1,"d":{},"v":2}`, 2, false},
		{`{"t":"x","v":1,"d":{},"V":2}`, 2, false},
		{`{"t":"x","v":1,"x":2}`, 1, false},
		{`{"t":"x","v":1.5}`, 0, false},
		{`{"t":"x","v":1e3}`, 0, false},
		{`{"t":"x","v":"3"}`, 0, false},
		{`{"t":"x","v":012}`, 0, false},
		{`{"t":"x","v":9223372036854775808}`, 0, false},
		{`{"t":"x","v":3} `, 3, false},
		{`{"t":"x\"y","v":3}`, 3, false},
		{`{"t":"x","v":3,"d":{"v":4}}`, 3, true},
		{`{"t":"x","v":3`, 0, false},
		{`{"t":"x","v":`, 0, false},
		{``, 0, false},
	}
	for _, tt := range tests {
		_, ok := frameVPrefix([]byte(tt.frame))
		assert.Equal(t, tt.prefix, ok, tt.frame)
		assert.Equal(t, tt.want, FrameV([]byte(tt.frame)), tt.frame)
	}
}

// FuzzFrameV checks that the prefix read agrees with a full decode on every valid JSON frame,
// and that every frame Encode produces yields its v (from the prefix when "t" needs no escape).
func FuzzFrameV(f *testing.F) {
	f.Add([]byte(`{"t":"move","v":12,"d":{}}`), "move", int64(12), []byte(`{"game":"g_abcd12"}`))
	f.Add([]byte(`{"t":"x","v":1,"d":{},"v":2}`), "state", int64(-1), []byte(`[1,"]",{"}":null}]`))
	f.Add([]byte(`{"t":"pong"}`), "a<b", int64(0), []byte(`"x"`))
	f.Fuzz(func(t *testing.T, frame []byte, typ string, v int64, d []byte) {
		if json.Valid(frame) {
			if got, want := FrameV(frame), frameVDecode(frame); got != want {
				t.Fatalf("FrameV(%q) = %d, full decode %d", frame, got, want)
			}
		}
		var payload any
		if json.Valid(d) && string(d) != "null" {
			payload = json.RawMessage(d)
		}
		enc, err := Encode(typ, v, payload)
		require.NoError(t, err)
		if got := FrameV(enc); got != v {
			t.Fatalf("FrameV(%q) = %d, encoded %d", enc, got, v)
		}
		if _, ok := frameVPrefix(enc); !ok && v != 0 && !strings.Contains(string(enc[:len(typ)+8]), `\`) {
			t.Fatalf("frame %q was not read from its prefix", enc)
		}
	})
}

func TestFrameAck(t *testing.T) {
	for frame, want := range map[string]int64{
		`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1},"a":7}`: 7,
		`{"a":9223372036854775807,"t":"ping"}`:                          9223372036854775807,
		`{"t":"nosuchtype","a":3}`:                                      3, // Decode rejects it, and its error references 3
		`{"t":"watch","d":{},"a":4}`:                                    4,
		`{"t":"ping","A":5}`:                                            5, // envelope names match case-insensitively
		`{"t":"ping","a":1,"a":6}`:                                      6, // the last duplicate wins
		`{"t":"ping"}`:                                                  0,
		`{"t":"ping","a":null}`:                                         0,
		`{"t":"ping","a":0}`:                                            0,
		`{"t":"ping","a":-1}`:                                           0,
		`{"t":"ping","a":1.5}`:                                          0,
		`{"t":"ping","a":"2"}`:                                          0,
		`{"t":"ping","a":2`:                                             0,
		`{"t":"ping","d":{"a":2}}`:                                      0,
		`[1,2]`:                                                         0,
		``:                                                              0,
		`{"t":"ping","a":8}` + strings.Repeat(" ", MaxFrame): 0,
	} {
		assert.Equal(t, want, FrameAck([]byte(frame)), frame)
		m, _ := Decode([]byte(frame))
		assert.Equal(t, m.Ack, FrameAck([]byte(frame)), "agrees with Decode: %s", frame)
	}
}

// FuzzFrameAck checks that FrameAck reads the ack id Decode reports, on every frame.
func FuzzFrameAck(f *testing.F) {
	for _, s := range []string{`{"t":"ping","a":1}`, `{"t":"x","a":2}`, `{"a":3,"t":"move","d":{"game":"g_abcd12"}}`, `{"a":null}`, `{"A":4,"a":"5"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _ := Decode(b)
		if got := FrameAck(b); got != m.Ack {
			t.Fatalf("FrameAck(%q) = %d, Decode's ack %d", b, got, m.Ack)
		}
	})
}

func TestIsPing(t *testing.T) {
	for _, f := range []string{
		`{"t":"ping"}`, ` {"t":"ping"} `, "{\n\t\"t\" : \"ping\"\r}", `{"t":"ping","d":null}`, `{"d":null,"t":"ping"}`,
		`{ "d" : null , "t" : "ping" }`,
	} {
		assert.True(t, IsPing([]byte(f)), f)
		m, perr := Decode([]byte(f))
		require.Nil(t, perr, f)
		assert.Equal(t, ClientMessage{Type: TPing}, m, f)
	}
	for _, f := range []string{
		``, `{}`, `{"t":"ping","a":1}`, `{"a":1,"t":"ping"}`, `{"t":"ping","d":{}}`, `{"t":"ping","t":"ping"}`,
		`{"T":"ping"}`, `{"t":"pin\u0067"}`, `{"t":"pong"}`, `{"t":"ping"`, `{"t":"ping"}x`, `{"t":"ping",}`,
		`{"d":null}`, `{"t":"ping","d":null,"d":null}`, `{"t":"ping"}` + strings.Repeat(" ", MaxFrame),
		`{"t" "ping"}`, `{"t":"pingx"}`, `["t","ping"]`, "{\u00a0\"t\":\"ping\"}",
	} {
		assert.False(t, IsPing([]byte(f)), f)
	}
}

// FuzzIsPing checks that whatever IsPing accepts, Decode decodes as a ping with no ack.
func FuzzIsPing(f *testing.F) {
	for _, s := range []string{`{"t":"ping"}`, ` { "t" : "ping" , "d" : null } `, `{"t":"ping","a":1}`, `{"d":null,"t":"ping"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !IsPing(b) {
			return
		}
		m, perr := Decode(b)
		if perr != nil || m != (ClientMessage{Type: TPing}) {
			t.Fatalf("IsPing(%q) but Decode = %+v, %v", b, m, perr)
		}
	})
}

func TestPongFrameIsShared(t *testing.T) {
	a, b := PongFrame(), PongFrame()
	assert.Equal(t, `{"t":"pong"}`, string(a))
	assert.Same(t, &a[0], &b[0], "one shared slice, no copy per ping")
	assert.Equal(t, len(a), cap(a))
	grown := append(a, '!')
	grown[0] = 'X' // a copy: the shared frame is untouched
	assert.Equal(t, `{"t":"pong"}`, string(PongFrame()))
}
