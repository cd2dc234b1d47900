package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/store"
)

// TestAddWaitsForRedis publishes from another connection right after Add returns: the
// subscriber's connection runs through a proxy that delays every command it sends by 20 ms,
// so an Add that returned before Redis applied the SUBSCRIBE would miss the message.
func TestAddWaitsForRedis(t *testing.T) {
	for _, resp := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", resp), func(t *testing.T) { testAddWaitsForRedis(t, resp) })
	}
}

func testAddWaitsForRedis(t *testing.T, resp int) {
	p := startProxy(t, shared.Addr)
	prefix := uniq("t") + ":"
	subStore := openT(t, p.addr(), func(c *Config) { c.KeyPrefix = prefix; c.protocol = resp })
	pub := openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	sub := subscribeT(t, subStore)
	ctx := tctx(t)
	p.delay.Store(int64(20 * time.Millisecond))
	for i := range 20 {
		topic := store.PlayerTopic(fmt.Sprintf("p_%d", i))
		start := time.Now()
		require.NoError(t, sub.Add(ctx, topic))
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond, "Add returned before Redis could answer")
		require.NoError(t, pub.Publish(ctx, topic, []byte(topic)))
		m := recvT(t, sub, 5*time.Second)
		assert.Equal(t, topic, m.Topic)
		assert.Equal(t, []byte(topic), m.Payload)
	}
}

func TestAddFromManyGoroutines(t *testing.T) {
	prefix := uniq("t") + ":"
	s := openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	pub := openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	sub := subscribeT(t, s)
	ctx := tctx(t)
	const n = 50
	errs := make(chan error, n)
	for i := range n {
		go func() {
			topic := store.GameTopic(fmt.Sprintf("g_%d", i))
			if err := sub.Add(ctx, topic, topic); err != nil {
				errs <- err
				return
			}
			errs <- pub.Publish(ctx, topic, []byte(topic))
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	seen := map[string]bool{}
	for range n {
		m := recvT(t, sub, 5*time.Second)
		assert.False(t, seen[m.Topic], "duplicate %s", m.Topic)
		seen[m.Topic] = true
	}
	assert.Len(t, seen, n)
	assert.Empty(t, sub.waiters)
}

func TestRemoveStopsDeliveryAtOnce(t *testing.T) {
	prefix := uniq("t") + ":"
	s := openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	sub := subscribeT(t, s)
	ctx := tctx(t)
	require.NoError(t, sub.Add(ctx, "p:a", "p:b"))
	require.NoError(t, sub.Remove(ctx, "p:a"))
	require.NoError(t, s.Publish(ctx, "p:a", []byte("a")))
	require.NoError(t, s.Publish(ctx, "p:b", []byte("b")))
	m := recvT(t, sub, 5*time.Second)
	assert.Equal(t, "p:b", m.Topic)
	noMessage(t, sub, 100*time.Millisecond)
	// Another prefix on the same server is another namespace.
	other := openT(t, shared.Addr, nil)
	require.NoError(t, other.Publish(ctx, "p:b", []byte("other stack")))
	noMessage(t, sub, 100*time.Millisecond)
}

func TestSlowReaderLosesNewestNotTheConnection(t *testing.T) {
	s := openT(t, shared.Addr, func(c *Config) { c.SubscriptionBuffer = 10 })
	sub := subscribeT(t, s)
	ctx := tctx(t)
	require.NoError(t, sub.Add(ctx, "p:slow", "p:after"))
	for i := range 50 {
		require.NoError(t, s.Publish(ctx, "p:slow", fmt.Appendf(nil, "%d", i)))
	}
	require.Eventually(t, func() bool { return sub.Dropped() == 40 }, 5*time.Second, 10*time.Millisecond)
	for i := range 10 {
		assert.Equal(t, fmt.Appendf(nil, "%d", i), recvT(t, sub, time.Second).Payload)
	}
	require.NoError(t, s.Publish(ctx, "p:after", []byte("still reading")))
	assert.Equal(t, []byte("still reading"), recvT(t, sub, 5*time.Second).Payload)
}

func TestCloseEndsMessages(t *testing.T) {
	s := openT(t, shared.Addr, nil)
	sub, err := s.Subscribe(tctx(t))
	require.NoError(t, err)
	require.NoError(t, sub.Add(tctx(t), "p:x"))
	require.NoError(t, sub.Close())
	_, ok := <-sub.Messages()
	assert.False(t, ok)
	assert.Error(t, sub.Add(tctx(t), "p:y"))
	assert.NoError(t, sub.Close(), "Close twice is fine")
}

// TestSubscriptionSurvivesRedisRestart: go-redis reconnects and re-subscribes; messages flow
// again without any call, and Add works (and is confirmed) afterwards.
func TestSubscriptionSurvivesRedisRestart(t *testing.T) {
	for _, resp := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", resp), func(t *testing.T) { testSubscriptionSurvivesRedisRestart(t, resp) })
	}
}

func testSubscriptionSurvivesRedisRestart(t *testing.T, resp int) {
	r := redisServerT(t, false)
	s := openT(t, r.Addr, func(c *Config) { c.OpTimeout = 2 * time.Second; c.protocol = resp })
	sub := subscribeT(t, s)
	ctx := tctx(t)
	require.NoError(t, sub.Add(ctx, "g:before"))
	fresh, err := s.EnsureEpoch(ctx)
	require.NoError(t, err)
	require.True(t, fresh)
	fresh, err = s.EnsureEpoch(ctx)
	require.NoError(t, err)
	require.False(t, fresh)

	r.Stop()
	// While Redis is down, Add fails as unavailable and leaves nothing behind.
	actx, cancel := context.WithTimeout(ctx, time.Second)
	err = sub.Add(actx, "g:during")
	cancel()
	require.ErrorIs(t, err, store.ErrUnavailable)
	require.NoError(t, r.Start())

	// Exactly one caller sees the empty Redis as fresh.
	require.Eventually(t, func() bool {
		fresh, err = s.EnsureEpoch(ctx)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
	assert.True(t, fresh, "Redis lost its data: rebuild")
	fresh, err = s.EnsureEpoch(ctx)
	require.NoError(t, err)
	assert.False(t, fresh)

	// The old topic resumes by itself, after a resync marker that tells the consumer messages
	// may have been lost.
	sawResync := false
	require.Eventually(t, func() bool {
		if err := s.Publish(ctx, "g:before", []byte("again")); err != nil {
			return false
		}
		for {
			select {
			case m := <-sub.Messages():
				if m.Topic == store.ResyncTopic {
					sawResync = true
					continue
				}
				return m.Topic == "g:before"
			case <-time.After(100 * time.Millisecond):
				return false
			}
		}
	}, 15*time.Second, 10*time.Millisecond)
	assert.True(t, sawResync, "no resync marker after the reconnect")
	// A new Add is confirmed on the new connection.
	require.NoError(t, sub.Add(ctx, "g:after"))
	require.NoError(t, s.Publish(ctx, "g:after", []byte("new")))
	for {
		m := recvT(t, sub, 5*time.Second)
		if m.Topic == "g:after" {
			break
		}
		assert.Contains(t, []string{"g:before", store.ResyncTopic}, m.Topic) // leftovers of the polling above
	}
	sub.mu.RLock()
	_, during := sub.topics["g:during"]
	sub.mu.RUnlock()
	assert.False(t, during, "the failed Add was rolled back")
}

// TestSilentConnectionIsReplaced: the subscriber's connection stops passing bytes without
// being closed (a vanished peer); the health ping notices and a new connection takes over.
func TestSilentConnectionIsReplaced(t *testing.T) {
	p := startProxy(t, shared.Addr)
	prefix := uniq("t") + ":"
	s := openT(t, p.addr(), func(c *Config) {
		c.KeyPrefix = prefix
		c.PubSubPing = 100 * time.Millisecond
		c.PubSubPingTimeout = 300 * time.Millisecond
	})
	pub := openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	sub := subscribeT(t, s)
	ctx := tctx(t)
	require.NoError(t, sub.Add(ctx, "g:x"))
	p.freeze()
	sawResync := false
	require.Eventually(t, func() bool {
		if err := pub.Publish(ctx, "g:x", []byte("x")); err != nil {
			return false
		}
		for {
			select {
			case m := <-sub.Messages():
				if m.Topic == store.ResyncTopic {
					sawResync = true
					continue
				}
				return m.Topic == "g:x"
			case <-time.After(100 * time.Millisecond):
				return false
			}
		}
	}, 10*time.Second, 10*time.Millisecond)
	assert.True(t, sawResync, "no resync marker after the connection was replaced")
}
