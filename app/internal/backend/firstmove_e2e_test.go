package backend_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
)

// The first-move deadline reaches clients in the full state (players and spectators, over
// HTTP and `watch`), and the no-first-move abort says whose move was missing.
func TestFirstMoveDeadlineAndNoMoveAbort(t *testing.T) {
	e := newEnv(t)
	start := e.clock.Now().UnixMilli()
	w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)

	gs := e.state(g)
	require.NotZero(t, gs.FirstMoveBy)
	assert.InDelta(t, start+game.AbortWindowMs, gs.FirstMoveBy, 1000, "white's deadline, 30 s after the start")

	e.clock.Advance(5 * time.Second)
	e.play(w, b, g, 1, "e2e4")
	spectator := e.guest()
	seen := e.watch(spectator, g, 0)
	assert.Equal(t, e.clock.Now().UnixMilli()+game.AbortWindowMs, seen.FirstMoveBy, "black's deadline, 30 s after white's move")
	assert.Equal(t, "black", seen.Turn)

	e.clock.Advance(31 * time.Second)
	for _, p := range []*player{w, b, spectator} {
		end := decode[protocol.EndPayload](t, waitEvent(t, p, "end"))
		assert.Equal(t, game.ReasonAbort, end.Reason)
		assert.Equal(t, "black", end.NoMove)
		assert.Empty(t, end.AbortedBy)
	}
	after := e.state(g)
	assert.Equal(t, "black", after.NoMove)
	assert.Zero(t, after.FirstMoveBy)
}

func TestRequestedAbortSaysWhoAborted(t *testing.T) {
	e := newEnv(t)
	w, _, g := e.pair(e.guest(), e.guest(), "5+0", false)
	assert.Empty(t, e.act(w, "abort", map[string]any{"game": g}))
	end := decode[protocol.EndPayload](t, waitEvent(t, w, "end"))
	assert.Equal(t, game.ReasonAbort, end.Reason)
	assert.Equal(t, "white", end.AbortedBy)
	assert.Empty(t, end.NoMove)
	assert.Equal(t, "white", e.state(g).AbortedBy)
}
