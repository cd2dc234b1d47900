package game

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"chessplatform/app/internal/rules"
)

// playedState plays plies random legal moves (fixed seed, never a move that ends the game) and
// returns the state, as the stores hold it in the middle of a game of that length.
func playedState(tb testing.TB, plies int) *State {
	tb.Helper()
	st := newTestGame(tb, "180+0")
	rng := rand.New(rand.NewPCG(42, 7))
	now := int64(1_000_000)
	for len(st.Moves) < plies {
		b, err := rules.Load(st.Rules)
		if err != nil {
			tb.Fatal(err)
		}
		legal := b.LegalMoves()
		rng.Shuffle(len(legal), func(i, j int) { legal[i], legal[j] = legal[j], legal[i] })
		played := false
		for _, u := range legal {
			trial := st.Clone()
			now += 100
			out, err := trial.Move(trial.Turn(), u, len(st.Moves)+1, 0, now)
			if err != nil || out.Ended {
				continue
			}
			trial.Seal(&out)
			st, played = trial, true
			break
		}
		if !played {
			tb.Fatalf("no move keeps the game going at ply %d", len(st.Moves))
		}
	}
	return st
}

// BenchmarkStateJSON encodes and decodes the live state at ply 10 and ply 250: what the Redis
// cache (GetGame, PutGame) and PostgreSQL's state column do with it on every move. Unlike the
// rules path, this cost grows with the length of the game (the state carries every move).
func BenchmarkStateJSON(b *testing.B) {
	for _, plies := range []int{10, 250} {
		st := playedState(b, plies)
		enc, err := json.Marshal(st)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("encode/ply=%d", plies), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := json.Marshal(st); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("decode/ply=%d", plies), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				var got State
				if err := json.Unmarshal(enc, &got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPlayedStateReachesPly250(t *testing.T) {
	st := playedState(t, 250)
	if len(st.Moves) != 250 || st.Ended() {
		t.Fatalf("%d moves, ended %v", len(st.Moves), st.Ended())
	}
}
