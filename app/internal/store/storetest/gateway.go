package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/store"
)

// RunGateway runs the store.Gateway contract. The clock controls the store's notion of now
// where the implementation uses one; implementations with server-side TTLs (Redis) may ignore
// it, so the expiry checks use real time with short TTLs.
func RunGateway(t *testing.T, newStore func(t *testing.T) store.Gateway) {
	t.Run("connections", func(t *testing.T) {
		g := newStore(t)
		c := store.GatewayConn{ID: unique("conn"), Owner: "i-a", PlayerID: "p_1", Name: "alice", ExpiresAt: time.Now().Add(time.Hour).UnixMilli()}
		_, err := g.GetConn(ctx(t), c.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, g.PutConn(ctx(t), c, time.Hour))
		got, err := g.GetConn(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, c, got)

		ok, err := g.ClaimConn(ctx(t), c.ID, "i-wrong", "i-b")
		require.NoError(t, err)
		assert.False(t, ok)
		ok, err = g.ClaimConn(ctx(t), c.ID, "i-a", "i-b")
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = g.ClaimConn(ctx(t), c.ID, "i-a", "i-c")
		require.NoError(t, err)
		assert.False(t, ok, "only one claimant wins")
		got, err = g.GetConn(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, "i-b", got.Owner)

		require.NoError(t, g.DeleteConn(ctx(t), c.ID))
		_, err = g.GetConn(ctx(t), c.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		ok, err = g.ClaimConn(ctx(t), c.ID, "i-b", "i-c")
		require.NoError(t, err)
		assert.False(t, ok)
	})

	t.Run("connections and instances expire", func(t *testing.T) {
		g := newStore(t)
		c := store.GatewayConn{ID: unique("conn"), Owner: "i-a", PlayerID: "p_1", Name: "alice"}
		require.NoError(t, g.PutConn(ctx(t), c, 200*time.Millisecond))
		inst := unique("i-")
		alive, err := g.InstanceAlive(ctx(t), inst)
		require.NoError(t, err)
		assert.False(t, alive)
		require.NoError(t, g.Heartbeat(ctx(t), inst, 200*time.Millisecond))
		alive, err = g.InstanceAlive(ctx(t), inst)
		require.NoError(t, err)
		assert.True(t, alive)
		assert.Eventually(t, func() bool {
			_, err := g.GetConn(ctx(t), c.ID)
			alive, aerr := g.InstanceAlive(ctx(t), inst)
			return err != nil && aerr == nil && !alive
		}, 5*time.Second, 20*time.Millisecond)
	})
}
