package protocol

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// trickyFrames exercise the corners where a hand-written reader could part from
// encoding/json: case-insensitive envelope names, escaped names, duplicates, nulls, numbers at
// the int64 limits, strings that need unescaping, nesting, whitespace, invalid JSON.
var trickyFrames = []string{
	`{"t":"ping"}`, `{"T":"ping"}`, `{"t":"ping","T":"castle"}`, `{"T":"castle","t":"ping"}`,
	`{"\u0074":"move","d":{"g\u0061me":"g_abcd12","u":"e2e4","ply":1}}`, `{"\u0054":"ping"}`,
	`{"t":"move","d":{"GAME":"g_abcd12","u":"e2e4","ply":1}}`, `{"t":"move","D":{"game":"g_abcd12","u":"e2e4","ply":1},"A":3}`,
	`{"t":null}`, `{"t":null,"a":4}`, `{"t":"ping","a":null}`, `{"t":"ping","A":5}`, `{"t":"ping","a":9223372036854775807}`,
	`{"t":"ping","a":9223372036854775808}`, `{"t":"ping","a":-9223372036854775808}`, `{"t":"ping","a":-0}`,
	`{"t":"ping","a":1e2}`, `{"t":"ping","a":10E1}`, `{"t":"ping","a":[1]}`, `{"t":"ping","a":true}`, `{"t":"ping","a":{}}`,
	`{"t":"ping","a":"7"}`, `{"t":"ping","a":12345678901234567890123}`, `{"a":2}`, `{"a":2,"t":"castle"}`,
	`null`, ` null `, `{}`, `[]`, `true`, `1`, `"x"`, `{"t":"ping"} x`, `{"t":"ping",}`, `{"t":"ping"}}`, ``, ` `,
	`{"t":"pi\u006eg"}`, `{"t":"ping\u0000"}`, `{"t":"\ud800"}`, "{\"t\":\"mo\xffve\"}", "{\"t\xff\":\"ping\"}",
	`{"t":5}`, `{"t":["ping"]}`, `{"t":{"x":1}}`, `{"t":true}`,
	`{"t":"challenge","d":{"to":"alice","tc":"5+0","color":null}}`,
	`{"t":"challenge","d":{"to":"alice","tc":"5+0","color":"white","color":"pink"}}`,
	`{"t":"challenge","d":{"to":"alice","tc":"5+0","color":"pink","color":"white"}}`,
	`{"t":"challenge","d":{"to":"al\u0069ce","tc":"5\u002b0","color":"bl\u0061ck","rated":false}}`,
	`{"t":"challenge","d":{"to":"alice","tc":"05+00"}}`, `{"t":"challenge","d":{"to":"alice","tc":"181+0"}}`,
	`{"t":"challenge","d":{"to":"alice","tc":"5+181"}}`, `{"t":"challenge","d":{"to":"alice","tc":"5+3\n"}}`,
	`{"t":"challenge","d":{"to":null,"tc":"5+0"}}`, `{"t":"challenge","d":{"to":"ab","tc":"5+0"}}`,
	`{"t":"challenge","d":{"to":"alice","tc":5}}`, `{"t":"challenge","d":{"tc":"5+0"}}`,
	`{"t":"seek","d":{"tc":"5+3","rated":null}}`, `{"t":"seek","d":{"tc":"5+3","rated":1}}`, `{"t":"seek","d":"5+3"}`,
	`{"t":"seek","d":[]}`, `{"t":"seek","d":null}`, `{"t":"seek","D":{"tc":"1+0"}}`, `{"t":"seek","d":{"tc":"1+0"},"d":5}`,
	`{"t":"seek","d":{"tc":"1+0","tc":"x"}}`, `{"t":"seek","d":{"tc":"x","tc":"1+0"}}`, `{"t":"seek","d":{"tc":"+0"}}`,
	`{"t":"seek","d":{"tc":"1234+0"}}`, `{"t":"seek","d":{"tc":"0+0"}}`, `{"t":"seek","d":{"tc":"٣+0"}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1.0}}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":10001}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":10000}}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":-1}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1e0}}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":null}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1,"l":null}}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1,"l":1.5}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1,"l":"4"}}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1,"l":10001}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1,"l":-9223372036854775808}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4\u00e9","ply":1}}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4\u0000","ply":1}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"` + strings.Repeat("é", 40) + `","ply":1}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4q","ply":1}}`, `{"t":"move","d":{"game":"g_abcd12","u":"h7h8n","ply":1}}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"i2i4","ply":1}}`, `{"t":"move","d":{"game":"g_abc","u":"e2e4","ply":1}}`,
	`{"t":"move","d":{"game":"g_` + strings.Repeat("a", 24) + `","u":"e2e4","ply":1}}`,
	`{"t":"move","d":{"game":"g_` + strings.Repeat("a", 25) + `","u":"e2e4","ply":1}}`,
	`{"t":"move","d":{"game":"g_abcd12\n","u":"e2e4","ply":1}}`, `{"t":"move","d":{"game":"G_abcd12","u":"e2e4","ply":1}}`,
	` { "t" : "move" , "d" : { "game" : "g_abcd12" , "u" : "e2e4" , "ply" : 1 } , "a" : 2 } `,
	"{\t\"t\"\n:\r\"resign\",\"d\":{\"game\":\"g_abcd12\"}}",
	`{"t":"resign","d":{"x":{"game":"y"},"game":"g_abcd12"}}`, `{"t":"resign","d":{"x":"}{\"","game":"g_abcd12"}}`,
	`{"t":"resign","d":{"x":["]",{"}":"{"}],"game":"g_abcd12"}}`, `{"t":"resign","d":{"game":"bad","game":"g_abcd12"}}`,
	`{"t":"resign","d":{"game":"g_abcd12","game":"bad"}}`, `{"t":"resign","d":{"game":"g_abcd12","game":null}}`,
	`{"t\"":"x","t":"ping"}`, `{"t":"ping","d":5}`, `{"t":"ping","d":{"a":"b"}}`, `{"t":"cancelSeek","d":"x"}`,
	`{"t":"acceptChallenge","d":{"id":"c_abcd"}}`, `{"t":"declineChallenge","d":{"id":"c_abc"}}`,
	`{"t":"acceptChallenge","d":{"id":"g_abcd"}}`, `{"t":"watch","d":{"game":"g_abcd12","v":null}}`,
	`{"t":"watch","d":{"game":"g_abcd12","v":0}}`, `{"t":"watch","d":{"game":"g_abcd12","v":"1"}}`,
	`{"t":"unwatch","d":{"game":"g_abcd12"},"a":1}`, `{"t":"flag","d":{}}`, `{"t":"drawClaim","d":{"game":12}}`,
	`{"t":"ping","pad":"` + strings.Repeat("x", MaxFrame-24) + `"}`, `{"t":"ping","pad":"` + strings.Repeat("x", MaxFrame) + `"}`,
	`{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1},"a":1,"a":0}`, `{"t":"move","d":{"game":"g_abcd12","u":"e2e4","ply":1},"a":0,"a":1}`,
}

func TestDecodeMatchesLegacy(t *testing.T) {
	for _, f := range trickyFrames {
		assertSameDecode(t, []byte(f))
	}
}

// FuzzAgainstLegacyDecode checks that Decode and the decoder it replaced agree on every input:
// the message (also the fields set before a rejection), the error code and the error text.
// (Not named FuzzDecode...: `make fuzz-protocol` selects FuzzDecode by pattern.)
func FuzzAgainstLegacyDecode(f *testing.F) {
	for _, s := range trickyFrames {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		assertSameDecode(t, b)
	})
}

func assertSameDecode(t *testing.T, frame []byte) {
	t.Helper()
	want, wantErr := legacyDecode(frame)
	got, gotErr := Decode(frame)
	if !assert.Equal(t, want, got, "message of %q", frame) {
		return
	}
	if wantErr == nil {
		assert.Nil(t, gotErr, "frame %q", frame)
		return
	}
	if assert.NotNil(t, gotErr, "frame %q: legacy rejected it: %v", frame, wantErr) {
		assert.Equal(t, *wantErr, *gotErr, "frame %q", frame)
	}
}
