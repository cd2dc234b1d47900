package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		want  ClientMessage
	}{
		{"ping", `{"t":"ping"}`, ClientMessage{Type: TPing}},
		{"ping with null d", `{"t":"ping","d":null}`, ClientMessage{Type: TPing}},
		{"seek rated", `{"t":"seek","d":{"tc":"5+3","rated":true},"a":7}`,
			ClientMessage{Type: TSeek, Ack: 7, TC: TimeControl{5, 3}, Rated: true}},
		{"seek casual by default", `{"t":"seek","d":{"tc":"0+1"}}`,
			ClientMessage{Type: TSeek, TC: TimeControl{0, 1}}},
		{"move with lag", `{"t":"move","d":{"game":"g_7Hk2ab","u":"e7e8q","ply":31,"l":40},"a":3}`,
			ClientMessage{Type: TMove, Ack: 3, Game: "g_7Hk2ab", UCI: "e7e8q", Ply: 31, LagMs: 40}},
		{"move lag capped", `{"t":"move","d":{"game":"g_7Hk2ab","u":"e2e4","ply":1,"l":999999}}`,
			ClientMessage{Type: TMove, Game: "g_7Hk2ab", UCI: "e2e4", Ply: 1, LagMs: MaxLagMs}},
		{"unknown payload fields ignored", `{"t":"resign","d":{"game":"g_7Hk2ab","extra":[1,2]}}`,
			ClientMessage{Type: TResign, Game: "g_7Hk2ab"}},
		{"watch default v", `{"t":"watch","d":{"game":"g_7Hk2ab"}}`,
			ClientMessage{Type: TWatch, Game: "g_7Hk2ab"}},
		{"watch v", `{"t":"watch","d":{"game":"g_7Hk2ab","v":12}}`,
			ClientMessage{Type: TWatch, Game: "g_7Hk2ab", V: 12}},
		{"challenge default colour", `{"t":"challenge","d":{"to":"alice","tc":"3+2"}}`,
			ClientMessage{Type: TChallenge, To: "alice", TC: TimeControl{3, 2}, Color: ColorRandom}},
		{"challenge black rated", `{"t":"challenge","d":{"to":"bob_1","tc":"10+0","color":"black","rated":true}}`,
			ClientMessage{Type: TChallenge, To: "bob_1", TC: TimeControl{10, 0}, Color: ColorBlack, Rated: true}},
		{"accept challenge", `{"t":"acceptChallenge","d":{"id":"c_abcd1234"}}`,
			ClientMessage{Type: TAcceptChallenge, ChallengeID: "c_abcd1234"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, perr := Decode([]byte(tt.frame))
			require.Nil(t, perr)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	big := `{"t":"ping","d":{"pad":"` + strings.Repeat("x", MaxFrame) + `"}}`
	tests := []struct {
		name  string
		frame string
		code  Code
		ack   int64
	}{
		{"empty", ``, CodeBadRequest, 0},
		{"not json", `hello`, CodeBadRequest, 0},
		{"array", `[1,2]`, CodeBadRequest, 0},
		{"string", `"ping"`, CodeBadRequest, 0},
		{"truncated", `{"t":"ping"`, CodeBadRequest, 0},
		{"oversized", big, CodeBadRequest, 0},
		{"missing t", `{"d":{}}`, CodeBadRequest, 0},
		{"t number", `{"t":5}`, CodeBadRequest, 0},
		{"unknown type", `{"t":"castle"}`, CodeUnknownType, 0},
		{"unknown type keeps ack", `{"t":"castle","a":4}`, CodeUnknownType, 4},
		{"a zero", `{"t":"ping","a":0}`, CodeBadRequest, 0},
		{"a negative", `{"t":"ping","a":-3}`, CodeBadRequest, 0},
		{"a fraction", `{"t":"ping","a":1.5}`, CodeBadRequest, 0},
		{"a string", `{"t":"ping","a":"1"}`, CodeBadRequest, 0},
		{"move no d", `{"t":"move","a":2}`, CodeBadRequest, 2},
		{"move d array", `{"t":"move","d":[1]}`, CodeBadRequest, 0},
		{"move bad game", `{"t":"move","d":{"game":"x","u":"e2e4","ply":1}}`, CodeBadRequest, 0},
		{"move game number", `{"t":"move","d":{"game":12,"u":"e2e4","ply":1}}`, CodeBadRequest, 0},
		{"move b1q1", `{"t":"move","d":{"game":"g_abcd12","u":"b1q1","ply":1}}`, CodeBadRequest, 0},
		{"move uppercase", `{"t":"move","d":{"game":"g_abcd12","u":"E2E4","ply":1}}`, CodeBadRequest, 0},
		{"move king promo", `{"t":"move","d":{"game":"g_abcd12","u":"e7e8k","ply":1}}`, CodeBadRequest, 0},
		{"move u number", `{"t":"move","d":{"game":"g_abcd12","u":1,"ply":1}}`, CodeBadRequest, 0},
		{"move ply missing", `{"t":"move","d":{"game":"g_abcd12","u":"e2e4"}}`, CodeBadRequest, 0},
		{"move ply string", `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":"1"}}`, CodeBadRequest, 0},
		{"move ply zero", `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":0}}`, CodeBadRequest, 0},
		{"move lag negative", `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1,"l":-5}}`, CodeBadRequest, 0},
		{"seek no tc", `{"t":"seek","d":{}}`, CodeBadRequest, 0},
		{"seek tc 0+0", `{"t":"seek","d":{"tc":"0+0"}}`, CodeBadRequest, 0},
		{"seek tc huge", `{"t":"seek","d":{"tc":"999+0"}}`, CodeBadRequest, 0},
		{"seek tc words", `{"t":"seek","d":{"tc":"blitz"}}`, CodeBadRequest, 0},
		{"seek rated string", `{"t":"seek","d":{"tc":"5+0","rated":"yes"}}`, CodeBadRequest, 0},
		{"challenge bad colour", `{"t":"challenge","d":{"to":"alice","tc":"5+0","color":"green"}}`, CodeBadRequest, 0},
		{"challenge bad name", `{"t":"challenge","d":{"to":"a!","tc":"5+0"}}`, CodeBadRequest, 0},
		{"accept bad id", `{"t":"acceptChallenge","d":{"id":"zzz"}}`, CodeBadRequest, 0},
		{"watch negative v", `{"t":"watch","d":{"game":"g_abcd12","v":-1}}`, CodeBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, perr := Decode([]byte(tt.frame))
			require.NotNil(t, perr)
			assert.Equal(t, tt.code, perr.Code, perr.Msg)
			assert.Equal(t, tt.ack, got.Ack)
			assert.NotEmpty(t, perr.Msg)
		})
	}
}

func TestServerFrames(t *testing.T) {
	assert.JSONEq(t, `{"t":"ack","d":42}`, string(AckFrame(42)))
	assert.JSONEq(t, `{"t":"pong"}`, string(PongFrame()))
	assert.JSONEq(t, `{"t":"error","d":{"code":"illegal_move","msg":"no","ref":3}}`,
		string(ErrorFrame(Errorf(CodeIllegalMove, "no"), 3)))
	assert.JSONEq(t, `{"t":"error","d":{"code":"bad_request","msg":"x","ref":null}}`,
		string(ErrorFrame(Errorf(CodeBadRequest, "x"), 0)))
	f := MustEncode(TMoveEvent, 12, MovePayload{Game: "g_abcd12", UCI: "e2e4", SAN: "e4", FEN: "f", Ply: 1, Clock: Clock{W: 1, B: 2}})
	assert.JSONEq(t, `{"t":"move","v":12,"d":{"game":"g_abcd12","u":"e2e4","san":"e4","fen":"f","ply":1,"clock":{"w":1,"b":2},"check":false}}`, string(f))
	assert.Equal(t, int64(12), FrameV(f))
	assert.Equal(t, int64(0), FrameV([]byte(`{"t":"pong"}`)))
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"t":"ping"}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1},"a":1}`,
		`{"t":"seek","d":{"tc":"5+3","rated":true}}`, `{"t":"challenge","d":{"to":"alice","tc":"3+2","color":"white"}}`,
		`{"t":"watch","d":{"game":"g_abcd12","v":3}}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, perr := Decode(b)
		if perr != nil {
			if perr.Code != CodeBadRequest && perr.Code != CodeUnknownType {
				t.Fatalf("unexpected code %q", perr.Code)
			}
			return
		}
		// A decoded message always has a known type and re-validates its fields.
		if _, ok := clientSpecs[m.Type]; !ok {
			t.Fatalf("decoded unknown type %q", m.Type)
		}
		if m.UCI != "" && !ValidUCI(m.UCI) {
			t.Fatalf("invalid UCI accepted: %q", m.UCI)
		}
		if m.Game != "" && !ValidGameID(m.Game) {
			t.Fatalf("invalid game id accepted: %q", m.Game)
		}
		if m.Ack < 0 {
			t.Fatalf("negative ack")
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON accepted")
		}
	})
}
