package redisstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPresenceAcrossInstances(t *testing.T) {
	ins := instances(t, 2)
	a, b := ins[0], ins[1]
	ctx := tctx(t)
	p := uniq("p_")
	on, err := a.Connected(ctx, p)
	require.NoError(t, err)
	assert.True(t, on)
	on, err = b.Connected(ctx, p)
	require.NoError(t, err)
	assert.False(t, on, "already online through a")
	off, err := a.Disconnected(ctx, p)
	require.NoError(t, err)
	assert.False(t, off, "still connected through b")
	off, err = a.Disconnected(ctx, p)
	require.NoError(t, err)
	assert.False(t, off, "a had no connection left: nothing changes")
	off, err = b.Disconnected(ctx, p)
	require.NoError(t, err)
	assert.True(t, off)

	// A clean Close of an instance takes its connections offline at once.
	on, err = b.Connected(ctx, p)
	require.NoError(t, err)
	assert.True(t, on)
	require.NoError(t, b.Close())
	on, err = a.Connected(ctx, p)
	require.NoError(t, err)
	assert.True(t, on, "b is gone, so the player comes online again through a")
}

// TestPresenceSurvivesACrash: an instance that dies without cleanup stops counting once its
// heartbeat key expires.
func TestPresenceSurvivesACrash(t *testing.T) {
	prefix := uniq("t") + ":"
	a := openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	b := openT(t, shared.Addr, func(c *Config) {
		c.KeyPrefix = prefix
		c.HeartbeatInterval = 50 * time.Millisecond
		c.HeartbeatTTL = 300 * time.Millisecond
	})
	ctx := tctx(t)
	p := uniq("p_")
	on, err := b.Connected(ctx, p)
	require.NoError(t, err)
	assert.True(t, on)
	// b keeps heartbeating: well past its TTL, p is still online through b.
	time.Sleep(600 * time.Millisecond)
	on, err = a.Connected(ctx, p)
	require.NoError(t, err)
	assert.False(t, on)
	off, err := a.Disconnected(ctx, p)
	require.NoError(t, err)
	assert.False(t, off, "b still holds a connection")

	b.abandon() // crash: no Disconnected, no cleanup
	require.Eventually(t, func() bool {
		alive, err := a.InstanceAlive(ctx, b.InstanceID())
		return err == nil && !alive
	}, 5*time.Second, 20*time.Millisecond)
	on, err = a.Connected(ctx, p)
	require.NoError(t, err)
	assert.True(t, on, "the dead instance's connection no longer counts")
	off, err = a.Disconnected(ctx, p)
	require.NoError(t, err)
	assert.True(t, off)
	n, err := a.rdb.Exists(ctx, a.presenceKey(p)).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the dead instance's count was removed")
}
