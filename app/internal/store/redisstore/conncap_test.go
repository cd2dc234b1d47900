package redisstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/store"
)

// TestConnCapsAcrossInstances: the caps count the connections of every live instance, and the
// connections of an instance that crashed stop counting once its heartbeat expires.
func TestConnCapsAcrossInstances(t *testing.T) {
	prefix := uniq("t") + ":"
	a := openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	b := openT(t, shared.Addr, func(c *Config) {
		c.KeyPrefix = prefix
		c.HeartbeatInterval = 50 * time.Millisecond
		c.HeartbeatTTL = 300 * time.Millisecond
	})
	ctx := tctx(t)
	p, addr := uniq("p_"), uniq("192.0.2.")
	limits := store.ConnLimits{PerPlayer: 2, PerAddr: 3}
	acquire := func(s *Store, player string) store.ConnCap {
		t.Helper()
		c, err := s.AcquireConn(ctx, player, addr, limits, false)
		require.NoError(t, err)
		return c
	}
	assert.Equal(t, store.CapNone, acquire(a, p))
	assert.Equal(t, store.CapNone, acquire(b, p))
	assert.Equal(t, store.CapPlayer, acquire(a, p), "two instances hold p's two connections")
	assert.Equal(t, store.CapNone, acquire(b, uniq("p_")))
	assert.Equal(t, store.CapAddr, acquire(a, uniq("p_")), "the address is full over both instances")

	b.abandon() // crash: no release, no cleanup
	require.Eventually(t, func() bool {
		alive, err := a.InstanceAlive(ctx, b.InstanceID())
		return err == nil && !alive
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, store.CapNone, acquire(a, p), "b's connection of p no longer counts")
	assert.Equal(t, store.CapPlayer, acquire(a, p))
	ttl, err := a.rdb.TTL(ctx, a.capAddrKey(addr)).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, time.Hour, "the counts expire a day after their last change")
	require.NoError(t, a.ReleaseConn(ctx, p, addr))
	require.NoError(t, a.ReleaseConn(ctx, p, addr))
	n, err := a.rdb.HLen(ctx, a.capPlayerKey(p)).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the dead instance's count was removed and a's released")
}
