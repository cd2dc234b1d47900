package integration

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScaleOutSameSequenceEverywhere: three instances, one PostgreSQL, one Redis. White, black
// and a spectator, each connected to a different instance, play a full game to checkmate with a
// draw offer declined in the middle; the players are paired by the shared matchmaking pool.
// Every client receives exactly the same versioned events, byte for byte, v1..v36 without a
// gap or a repeat.
func TestScaleOutSameSequenceEverywhere(t *testing.T) {
	c := newCluster(t)
	insts := c.startAll("a", "b", "c")
	a, b, s := insts[0], insts[1], insts[2]

	p1, p2 := c.guest("p1", a), c.guest("p2", b)
	white, black, game := pair(t, p1, p2, "5+0")
	spectator := c.guest("spectator", s)
	spectator.watch(game)
	require.NotEqual(t, white.current().inst, black.current().inst)

	play(t, white, black, game, operaGame, 1, 20)
	// Black offers a draw before white's 21st ply; white declines and plays on.
	black.act("drawOffer", map[string]any{"game": game})
	white.waitV(game, 21, 5*time.Second) // the offer reached white's instance
	white.act("drawDecline", map[string]any{"game": game})
	play(t, white, black, game, operaGame, 21, len(operaGame))

	const total = 33 + 2 + 1 // moves, offer and decline, end
	for _, cl := range []*client{white, black, spectator} {
		cl.waitV(game, total, 10*time.Second)
	}
	// Let anything late (a duplicate, a stray event) arrive before comparing.
	time.Sleep(300 * time.Millisecond)
	ref := requireCleanSequence(t, spectator, game, total)
	assert.Equal(t, "drawOffered", ref[20].T, eventTypes(ref))
	assert.JSONEq(t, `{"game":"`+game+`","by":"black"}`, string(ref[20].D))
	assert.Equal(t, "drawDeclined", ref[21].T, eventTypes(ref))
	assert.Equal(t, "end", ref[total-1].T)
	for _, cl := range []*client{white, black} {
		evs := requireCleanSequence(t, cl, game, total)
		for i := range evs {
			require.True(t, bytes.Equal(ref[i].Raw, evs[i].Raw), "%s's v%d differs from the spectator's:\n%s\n%s", cl.name, i+1, evs[i].Raw, ref[i].Raw)
		}
	}
	g := spectator.snapshot(game)
	assert.Equal(t, "1-0", g.result)
	assert.Equal(t, "checkmate", g.reason)
	// Nobody lost the connection or had to re-watch: one full state each, from the first watch.
	for _, cl := range []*client{white, black, spectator} {
		assert.Equal(t, []int64{0}, cl.snapshot(game).states, cl.name)
		assert.NoError(t, cl.current().closed())
	}

	rows := requireAckedInDB(t, c, game, white, black)
	requireMovesAre(t, rows, operaGame)
	assert.Equal(t, int64(total), c.dbGame(game).V)
}
