package game

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/cputime"
	"chessplatform/app/internal/rules"
)

var keptLine = []string{"e2e4", "c7c5", "g1f3", "d7d6", "d2d4", "c5d4", "f3d4", "g8f6", "b1c3", "a7a6",
	"c1e3", "e7e5", "d4b3", "c8e6", "f2f3", "f8e7", "d1d2", "e8g8", "e1c1", "b8d7"}

func TestMoveKeepsItsBoardAndHandoffMovesIt(t *testing.T) {
	st := newTestGame(t, "5+0")
	_, err := st.Move(rules.White, "e2e4", 1, 0, 1_001_000)
	require.NoError(t, err)
	require.NotNil(t, st.board, "Move keeps the board it played on")
	assert.True(t, st.board.Is(st.Rules))

	assert.Nil(t, st.Clone().board, "a clone must not share the board")
	c := st.Handoff()
	assert.NotNil(t, c.board)
	assert.Nil(t, st.board, "after Handoff only the copy has it")

	// An illegal move keeps the board for the next try.
	_, err = c.Move(rules.Black, "e7e4", 2, 0, 1_002_000)
	require.ErrorIs(t, err, ErrIllegal)
	assert.NotNil(t, c.board)
}

// TestStaleKeptBoardNeverDecidesAMove: a kept board that is not at the state's position (the
// state was replaced under it) is ignored, and the move is decided on the state.
func TestStaleKeptBoardNeverDecidesAMove(t *testing.T) {
	a := newTestGame(t, "5+0")
	now := int64(1_001_000)
	for i, u := range keptLine[:4] {
		now += 1000
		_, err := a.Move(a.Turn(), u, i+1, 0, now)
		require.NoError(t, err)
	}
	stale := a.board // at the position after 4 plies

	b := newTestGame(t, "5+0")
	_, err := b.Move(rules.White, "d2d4", 1, 0, 1_001_000)
	require.NoError(t, err)
	b.board = stale
	// Legal on the stale board's position (black to move there too) but not in b's.
	_, err = b.Move(rules.Black, "g8f6", 2, 0, 1_002_000)
	require.NoError(t, err, "g8f6 is legal in both")
	b.board = stale
	_, err = b.Move(rules.White, "d4d5", 3, 0, 1_003_000)
	require.NoError(t, err, "d4d5 is legal in b's position")

	// And the other way: legal only on the stale board is refused.
	c := newTestGame(t, "5+0")
	_, err = c.Move(rules.White, "g1f3", 1, 0, 1_001_000)
	require.NoError(t, err)
	c.board = stale // white's pawn is on e4 there, black's on d6
	_, err = c.Move(rules.Black, "c8g4", 2, 0, 1_002_000)
	require.ErrorIs(t, err, ErrIllegal, "c8g4 is only legal on the stale board")
	assert.Equal(t, []string{"g1f3"}, c.Moves)
}

// BenchmarkMoveFromCache is the server's move path on a cached state: take a copy, Move, Seal.
// kept hands the rules board over with the copy (Handoff), loaded clones without it, so every
// move loads the position and generates its legal moves again.
func BenchmarkMoveFromCache(b *testing.B) {
	for _, mode := range []string{"loaded", "kept"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			moves := 0
			cpu := cputime.Now()
			for b.Loop() {
				st := newTestGame(b, "5+0")
				now := int64(1_000_000)
				for i, u := range keptLine {
					now += 1000
					if mode == "kept" {
						st = st.Handoff()
					} else {
						st = st.Clone()
					}
					out, err := st.Move(st.Turn(), u, i+1, 0, now)
					if err != nil {
						b.Fatal(err)
					}
					st.Seal(&out)
					moves++
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(moves), "µs/move")
			cputime.Report(b, cpu, moves)
		})
	}
}
