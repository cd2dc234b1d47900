package apigw_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/protocol"
)

// TestRegistryFollowsTheServersWatches: the transport learns a connection's watched games from
// the server (server.WatchObserver) instead of reading the client's frames. The registry holds
// them, oldest watch first, by the time the client has its ack; a watch the server refuses and
// an unwatch of a game not watched change nothing; a takeover restores them without rewriting
// them, and the next change on the new owner is recorded again.
func TestRegistryFollowsTheServersWatches(t *testing.T) {
	sh := newShared(true)
	reg := sh.gw.(*watchGateway)
	e := newEnv(t, 2, sh)
	alice, bob, carol, dave, eve := e.guest(), e.guest(), e.guest(), e.guest(), e.guest()
	_, _, g1 := pair(t, alice, bob)
	_, _, g2 := pair(t, carol, dave)
	id := eve.connID()
	recorded := func() []string {
		t.Helper()
		got, err := reg.ConnWatches(ctxT(t), id)
		require.NoError(t, err)
		return got
	}

	eve.watch(g2.Game, 0)
	assert.Equal(t, []string{g2.Game}, recorded(), "recorded before the watch was acked")
	eve.watch(g1.Game, 0)
	assert.Equal(t, []string{g2.Game, g1.Game}, recorded(), "oldest watch first")

	writes := reg.writeCount()
	eve.watch(g1.Game, 0) // already watched
	assert.Equal(t, string(protocol.CodeNotFound), eve.act("watch", map[string]any{"game": "g_nosuch1", "v": 0}))
	require.Empty(t, eve.act("unwatch", map[string]any{"game": "g_nosuch2"}))
	assert.Equal(t, writes, reg.writeCount(), "nothing changed, nothing written")
	assert.Equal(t, []string{g2.Game, g1.Game}, recorded())

	require.Empty(t, eve.act("unwatch", map[string]any{"game": g2.Game}))
	assert.Equal(t, []string{g1.Game}, recorded())
	eve.watch(g2.Game, 0)
	assert.Equal(t, []string{g1.Game, g2.Game}, recorded())

	// The owner dies; eve's next message reaches the other instance, which takes the
	// connection over and re-watches both games (a full state each) without rewriting them.
	writes = reg.writeCount()
	e.killInstance(e.insts[0])
	e.setRoute(func(gatewaytest.Request) int { return 1 })
	eve.ping()
	eve.waitType("state")
	eve.waitType("state")
	assert.Equal(t, writes, reg.writeCount(), "a takeover does not rewrite what it restored")
	assert.Equal(t, []string{g1.Game, g2.Game}, recorded())
	require.Empty(t, eve.act("unwatch", map[string]any{"game": g1.Game}))
	assert.Equal(t, []string{g2.Game}, recorded(), "the new owner records changes")
}
