package game

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rules"
)

func newTestGame(t testing.TB, tc string) *State {
	t.Helper()
	parsed, err := protocol.ParseTimeControl(tc)
	require.NoError(t, err)
	return New("g_test01", PlayerRef{ID: "p_w", Name: "w"}, PlayerRef{ID: "p_b", Name: "b"}, parsed, true, 1_000_000)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestMoveVersionsAndClocks(t *testing.T) {
	st := newTestGame(t, "1+1")
	now := int64(1_000_000)
	for i, u := range []string{"e2e4", "e7e5", "g1f3"} {
		now += 2000
		out, err := st.Move(st.Turn(), u, i+1, 0, now)
		require.NoError(t, err)
		ev := st.Seal(&out)
		require.Len(t, ev, 1)
		assert.Equal(t, int64(i+1), ev[0].V)
		assert.Equal(t, int64(i+1), st.V)
	}
	// Clocks start after black's first move: only white's third move (2 s) is charged, +1 s.
	assert.Equal(t, int64(60_000-2_000+1_000), st.Clock.RemainingAt(0, now))
	assert.Equal(t, int64(60_000), st.Clock.RemainingAt(1, now))
	assert.Equal(t, now+60_000+st.Clock.GraceMs(1), st.Deadline())
}

func TestErrorsChangeNothing(t *testing.T) {
	st := newTestGame(t, "5+0")
	out, err := st.Move(rules.White, "e2e4", 1, 0, 1_000_100)
	require.NoError(t, err)
	st.Seal(&out)
	before := mustJSON(t, st)
	cases := []struct {
		name string
		run  func() (Outcome, error)
		want error
	}{
		{"wrong turn", func() (Outcome, error) { return st.Move(rules.White, "d2d4", 2, 0, 1_000_200) }, ErrNotYourTurn},
		{"ply skips", func() (Outcome, error) { return st.Move(rules.Black, "e7e5", 3, 0, 1_000_200) }, ErrWrongPly},
		{"illegal", func() (Outcome, error) { return st.Move(rules.Black, "e7e4", 2, 0, 1_000_200) }, ErrIllegal},
		{"duplicate", func() (Outcome, error) { return st.Move(rules.White, "e2e4", 1, 0, 1_000_200) }, ErrDuplicate},
		{"no claim", func() (Outcome, error) { return st.ClaimDraw(rules.White, 0, 1_000_200) }, ErrNoClaim},
		{"accept nothing", func() (Outcome, error) { return st.AcceptDraw(rules.Black, 0, 1_000_200) }, ErrNoDrawOffer},
		{"decline nothing", func() (Outcome, error) { return st.DeclineDraw(rules.Black, 0) }, ErrNoDrawOffer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.run()
			assert.ErrorIs(t, err, tc.want)
			assert.False(t, out.Changed())
			assert.Equal(t, before, mustJSON(t, st))
		})
	}
}

func TestResentActionIsRecognised(t *testing.T) {
	st := newTestGame(t, "5+0")
	out, err := st.OfferDraw(rules.White, 7, 1_000_100)
	require.NoError(t, err)
	st.Seal(&out)
	out, err = st.OfferDraw(rules.White, 7, 1_000_200)
	assert.ErrorIs(t, err, ErrDuplicate)
	assert.False(t, out.Changed())
	// A resign resent after the game ended is still acked, not game_over.
	out, err = st.Resign(rules.White, 9, 1_000_300)
	require.NoError(t, err)
	st.Seal(&out)
	_, err = st.Resign(rules.White, 9, 1_000_400)
	assert.ErrorIs(t, err, ErrDuplicate)
	_, err = st.Resign(rules.White, 10, 1_000_400)
	assert.ErrorIs(t, err, ErrGameOver)
}

func TestCloneIsDeep(t *testing.T) {
	st := newTestGame(t, "5+0")
	out, err := st.Move(rules.White, "e2e4", 1, 0, 1_000_100)
	require.NoError(t, err)
	st.Seal(&out)
	c := st.Clone()
	out, err = c.Move(rules.Black, "e7e5", 2, 0, 1_000_200)
	require.NoError(t, err)
	c.Seal(&out)
	assert.Len(t, st.Moves, 1)
	assert.Len(t, c.Moves, 2)
	assert.NotEqual(t, st.Rules.FEN, c.Rules.FEN)
}

// FuzzMoves drives a game with arbitrary move strings, plies and timings: the state machine
// must never panic, an error must leave the state byte-for-byte unchanged (unless it ended the
// game on time), versions must advance by exactly the number of events, and an accepted move
// must extend the move list by one.
func FuzzMoves(f *testing.F) {
	f.Add("e2e4 e7e5 g1f3 b8c6 f1b5", uint16(0), uint16(500))
	f.Add("f2f3 e7e5 g2g4 d8h4", uint16(1), uint16(100))
	f.Add("b1q1 e2e9 e7e8k a1a1 e2e4", uint16(3), uint16(65000))
	f.Add("e2e4 d7d5 e4d5 d8d5 b1c3 d5a5", uint16(2), uint16(30000))
	f.Fuzz(func(t *testing.T, moves string, plyJitter uint16, stepMs uint16) {
		st := newTestGame(t, "1+0")
		now := int64(1_000_000)
		tokens := splitFields(moves)
		if len(tokens) > 64 {
			tokens = tokens[:64]
		}
		for i, u := range tokens {
			now += int64(stepMs)
			ply := len(st.Moves) + 1
			if plyJitter%5 == uint16(i%5) {
				ply += int(plyJitter%3) - 1
			}
			before := mustJSON(t, st)
			movesBefore, vBefore := len(st.Moves), st.V
			out, err := st.Move(st.Turn(), u, ply, int64(plyJitter), now)
			events := st.Seal(&out)
			if st.V != vBefore+int64(len(events)) {
				t.Fatalf("version %d after %d events from %d", st.V, len(events), vBefore)
			}
			switch {
			case err == nil:
				if len(st.Moves) != movesBefore+1 {
					t.Fatalf("accepted move %q did not extend the game", u)
				}
				if len(events) == 0 {
					t.Fatalf("accepted move %q produced no event", u)
				}
			case len(events) > 0:
				// Only a flag fall may change the state together with an error.
				if !st.Ended() || (st.Reason != ReasonTimeout && st.Reason != ReasonTimeoutVsInsufficient) {
					t.Fatalf("error %v with events but reason %q", err, st.Reason)
				}
			default:
				if after := mustJSON(t, st); after != before {
					t.Fatalf("error %v changed the state:\n%s\n%s", err, before, after)
				}
			}
			if st.Ended() {
				return
			}
		}
	})
}

func splitFields(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// BenchmarkGameLoop measures a whole game through the state machine (load position, validate,
// apply, clock, encode the event): moves per second of one game loop.
func BenchmarkGameLoop(b *testing.B) {
	line := []string{"e2e4", "c7c5", "g1f3", "d7d6", "d2d4", "c5d4", "f3d4", "g8f6", "b1c3", "a7a6",
		"c1e3", "e7e5", "d4b3", "c8e6", "f2f3", "f8e7", "d1d2", "e8g8", "e1c1", "b8d7"}
	b.ReportAllocs()
	moves := 0
	for b.Loop() {
		st := newTestGame(b, "5+0")
		now := int64(1_000_000)
		for i, u := range line {
			now += 1000
			out, err := st.Move(st.Turn(), u, i+1, 0, now)
			if err != nil {
				b.Fatal(err)
			}
			st.Seal(&out)
			moves++
		}
	}
	b.ReportMetric(float64(moves)/b.Elapsed().Seconds(), "moves/s")
}
