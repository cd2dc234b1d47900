package backend_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/store/memstore"
)

// TestStaleCachedStateNeverDecidesAMove runs two instances on shared stores. White plays
// through instance A and stops watching, so A (subscribed to nothing for the game) keeps a
// cached copy that black's moves through B make stale. White's next move must still be
// accepted (a rejection is re-decided on the shared state) and an action A would commit on
// its stale copy must land on the real latest version (the commit is version-checked).
func TestStaleCachedStateNeverDecidesAMove(t *testing.T) {
	clock := &fakeClock{}
	clock.ms.Store(time.Now().UnixMilli())
	durable := memstore.NewDurable()
	live := memstore.NewLive(func() int64 { return clock.Now().UnixMilli() })
	shared := func(o *backend.Options) {
		o.Durable, o.Live = durable, live
		o.Server.Now = clock.Now
		o.Server.SweepInterval = 10 * time.Millisecond // A unsubscribes from the game quickly
	}
	a, b := newEnv(t, shared), newEnv(t, shared)
	onB := b.guest()
	white, black, g := a.pair(a.guest(), onB, "5+0", false)
	if white == onB {
		a, b = b, a // pairing picks the colours; A is whichever instance white is connected to
	}
	stopWatching := func() {
		require.Empty(t, a.act(white, "unwatch", map[string]any{"game": g}))
		time.Sleep(100 * time.Millisecond) // several sweeps: A no longer hears the game's topic
	}

	a.play(white, black, g, 1, "e2e4") // A caches v1
	stopWatching()
	b.play(nil, black, g, 2, "e7e5") // v2, unheard by A
	assert.Empty(t, a.act(white, "move", map[string]any{"game": g, "u": "g1f3", "ply": 3}),
		"white's move is legal on the shared state; A's copy (black to move) must not reject it")

	b.play(nil, black, g, 4, "b8c6") // v4, unheard by A again (A cached v3)
	require.Empty(t, a.act(white, "resign", map[string]any{"game": g}))
	end, err := black.c.WaitType(ctxT(t), "end")
	require.NoError(t, err)
	assert.Equal(t, int64(5), end.V, "the resignation follows black's last move")

	gs := b.state(g)
	assert.Equal(t, []string{"e2e4", "e7e5", "g1f3", "b8c6"}, gs.Moves)
	require.NotNil(t, gs.Result)
	assert.Equal(t, "0-1", *gs.Result)
}
