package game

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/cputime"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rules"
)

// awkward are strings encoding/json escapes in every way it can: quotes, backslashes, control
// characters, HTML characters, non-ASCII, invalid UTF-8, U+2028.
var awkward = []string{"", "p_w", "Magnus", `a"b`, `back\slash`, "tab\tnl\n", "<b>&amp;</b>", "Łukasz 🐴",
	"bad\xffutf8", "line\u2028sep", "\x00\x1f\x7f", "e2e4", "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1"}

// fillRandom sets every exported field reachable from v (structs, arrays, slices, pointers,
// strings, integers, bools) to random values, nil and empty included, so a field added to
// State later is exercised without this test knowing its name.
func fillRandom(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillRandom(r, v.Field(i))
			}
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fillRandom(r, v.Index(i))
		}
	case reflect.Slice:
		switch n := r.IntN(5) - 1; {
		case n < 0:
			v.Set(reflect.Zero(v.Type())) // nil
		default:
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := 0; i < n; i++ {
				fillRandom(r, v.Index(i))
			}
		}
	case reflect.Pointer:
		if r.IntN(2) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fillRandom(r, v.Elem())
	case reflect.String:
		v.SetString(awkward[r.IntN(len(awkward))])
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch r.IntN(3) {
		case 0:
			v.SetInt(0)
		case 1:
			v.SetInt(r.Int64N(2000) - 1000)
		default:
			v.SetInt(r.Int64() >> r.IntN(64))
		}
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	default:
		panic("fillRandom: add kind " + v.Kind().String())
	}
}

func requireSameJSON(t *testing.T, s *State) {
	t.Helper()
	want, err := json.Marshal(s)
	require.NoError(t, err)
	require.Equal(t, string(want), string(s.AppendJSON(nil)))
}

func TestAppendJSONEqualsMarshal(t *testing.T) {
	st := newTestGame(t, "3+2")
	requireSameJSON(t, st) // a new game: no moves yet, empty acks
	now := int64(1_000_000)
	for i, u := range keptLine {
		now += 1500
		out, err := st.Move(st.Turn(), u, i+1, 40, now)
		require.NoError(t, err)
		st.Seal(&out)
		requireSameJSON(t, st)
	}
	_, err := st.OfferDraw(st.Turn(), 7, now)
	require.NoError(t, err)
	requireSameJSON(t, st)
	st.SetRatings(protocol.EndRatings{White: protocol.RatingChange{Before: 1500, After: 1512}, Black: protocol.RatingChange{Before: 1490, After: 1478}})
	out, err := st.Resign(rules.Black, 8, now+10)
	require.NoError(t, err)
	st.Seal(&out)
	requireSameJSON(t, st)

	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var s State
		fillRandom(r, reflect.ValueOf(&s).Elem())
		requireSameJSON(t, &s)
	}
}

// FuzzAppendJSON: any state filled from the fuzzer's seed encodes as json.Marshal does.
func FuzzAppendJSON(f *testing.F) {
	f.Add(uint64(0), uint64(0))
	f.Add(uint64(42), uint64(7))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		var s State
		fillRandom(rand.New(rand.NewPCG(a, b)), reflect.ValueOf(&s).Elem())
		requireSameJSON(t, &s)
	})
}

// BenchmarkStateEncode compares encoding/json with AppendJSON on a state after 20 plies.
func BenchmarkStateEncode(b *testing.B) {
	st := newTestGame(b, "5+0")
	now := int64(1_000_000)
	for i, u := range keptLine {
		now += 1000
		out, err := st.Move(st.Turn(), u, i+1, 0, now)
		require.NoError(b, err)
		st.Seal(&out)
	}
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cputime.Now()
		for b.Loop() {
			if _, err := json.Marshal(st); err != nil {
				b.Fatal(err)
			}
		}
		cputime.Report(b, cpu, b.N)
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cputime.Now()
		for b.Loop() {
			_ = st.AppendJSON(make([]byte, 0, 1024))
		}
		cputime.Report(b, cpu, b.N)
	})
}
