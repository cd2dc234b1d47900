package backend_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
)

// TestStaleCachedStateNeverDecidesAMove runs two instances on shared stores. White plays
// through instance A and stops watching, so A (subscribed to nothing for the game) keeps a
// cached copy that black's moves through B make stale. White's next move must still be
// accepted (a rejection is re-decided on the durable state) and an action A would commit on
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

// TestMoveAcceptedWhileLiveIsBehindTheDurableState: a move is committed durably but its
// publication to Live is still pending (as after a Redis outage), so both this instance's copy
// and Live show the previous version. White's next move is legal on the durable state and must
// be accepted: a rejection is only final when decided on the durable state.
func TestMoveAcceptedWhileLiveIsBehindTheDurableState(t *testing.T) {
	durable := memstore.NewDurable()
	e := newEnv(t, func(o *backend.Options) { o.Durable = durable })
	white, black, g := e.pair(e.guest(), e.guest(), "5+0", false)
	e.play(white, black, g, 1, "e2e4")

	// Black's reply reaches the durable store only.
	st, err := durable.LoadGame(ctxT(t), g)
	require.NoError(t, err)
	prevV := st.V
	out, err := st.Move(rules.Black, "e7e5", 2, 0, e.clock.Now().UnixMilli())
	require.NoError(t, err)
	st.Seal(&out)
	require.NoError(t, durable.CommitGame(ctxT(t), store.Commit{PrevV: prevV, State: st, Move: out.Move}))

	assert.Empty(t, e.act(white, "move", map[string]any{"game": g, "u": "g1f3", "ply": 3}),
		"g1f3 is legal after the committed e7e5; stale copies must not reject it")
	assert.Equal(t, "not_your_turn", e.act(white, "move", map[string]any{"game": g, "u": "b1c3", "ply": 4}),
		"a rejection confirmed on the durable state stands")
	stored, err := durable.LoadGame(ctxT(t), g)
	require.NoError(t, err)
	assert.Equal(t, []string{"e2e4", "e7e5", "g1f3"}, stored.Moves)
}
