package redisstore

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// instances opens n stores sharing one key space, as n server instances would.
func instances(t *testing.T, n int) []*Store {
	prefix := uniq("t") + ":"
	out := make([]*Store, n)
	for i := range out {
		out[i] = openT(t, shared.Addr, func(c *Config) { c.KeyPrefix = prefix })
	}
	return out
}

// TestPutGameRaceLockstep: for each version, many goroutines on several instances put it at
// once. The cache ends at the last version and every version is published exactly once, in
// order.
func TestPutGameRaceLockstep(t *testing.T) {
	ins := instances(t, 4)
	states, events := versions(t)
	id := states[0].ID
	sub := subscribeT(t, ins[0])
	ctx := tctx(t)
	require.NoError(t, sub.Add(ctx, store.GameTopic(id)))
	const perInstance = 4
	for v := range states {
		var wg sync.WaitGroup
		for _, s := range ins {
			for range perInstance {
				wg.Go(func() { assert.NoError(t, s.PutGame(ctx, states[v], events[v])) })
			}
		}
		wg.Wait()
	}
	for v := 1; v < len(states); v++ {
		m := recvT(t, sub, 5*time.Second)
		require.Equal(t, int64(v), protocol.FrameV(m.Payload))
		require.Equal(t, events[v][0].Frame, m.Payload)
	}
	noMessage(t, sub, 200*time.Millisecond)
	got, err := ins[1].GetGame(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, states[len(states)-1].V, got.V)
	frames, complete, err := ins[2].History(ctx, id, int64(len(states)-1-store.HistorySize))
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Len(t, frames, store.HistorySize)
}

// TestPutGameRaceFreeRunning: writers at different speeds replay the versions in order, so
// older versions keep arriving after newer ones. Subscribers still see strictly increasing
// versions, none twice, ending with the last; the cache never goes back.
func TestPutGameRaceFreeRunning(t *testing.T) {
	ins := instances(t, 3)
	states, events := versions(t)
	id := states[0].ID
	subs := []*subscription{subscribeT(t, ins[0]), subscribeT(t, ins[1])}
	ctx := tctx(t)
	for _, sub := range subs {
		require.NoError(t, sub.Add(ctx, store.GameTopic(id)))
	}
	var maxSeen atomic.Int64
	stop := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() { // the cached version never decreases
		for {
			select {
			case <-stop:
				return
			default:
			}
			st, err := ins[2].GetGame(ctx, id)
			if err != nil {
				continue
			}
			if prev := maxSeen.Load(); st.V < prev {
				t.Errorf("cache went back from v%d to v%d", prev, st.V)
				return
			}
			maxSeen.Store(st.V)
		}
	})
	var wg sync.WaitGroup
	for w := range 12 {
		s := ins[w%len(ins)]
		wg.Go(func() {
			for v := range states {
				if rand.IntN(3) == 0 {
					time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
				}
				assert.NoError(t, s.PutGame(ctx, states[v], events[v]))
			}
		})
	}
	wg.Wait()
	close(stop)
	reader.Wait()
	last := int64(len(states) - 1)
	for _, sub := range subs {
		prev := int64(0)
		for prev < last {
			v := protocol.FrameV(recvT(t, sub, 5*time.Second).Payload)
			require.Greater(t, v, prev, "versions arrive strictly increasing")
			prev = v
		}
		noMessage(t, sub, 100*time.Millisecond)
	}
}

// TestMatchSeeksConcurrent: instances match one pool concurrently while players keep
// arriving; no seek is ever returned twice and, once the arrivals stop, every seek is paired.
func TestMatchSeeksConcurrent(t *testing.T) {
	ins := instances(t, 4)
	ctx := tctx(t)
	now := time.Now().UnixMilli()
	var added atomic.Int64
	add := func(s *Store, i int) {
		sk := store.Seek{PlayerID: fmt.Sprintf("p_%d", i), Name: fmt.Sprintf("n%d", i), Rating: 1400 + rand.IntN(60), TC: "3+2", Since: now}
		if assert.NoError(t, s.AddSeek(ctx, sk)) {
			added.Add(1)
		}
	}
	for i := range 200 {
		add(ins[i%len(ins)], i)
	}
	var mu sync.Mutex
	paired := map[string]int{}
	record := func(pairs [][2]store.Seek) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range pairs {
			assert.Equal(t, p[0].TC, p[1].TC)
			paired[p[0].PlayerID]++
			paired[p[1].PlayerID]++
		}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		s := ins[w%len(ins)]
		wg.Go(func() {
			for range 25 {
				pairs, err := s.MatchSeeks(ctx, now)
				assert.NoError(t, err)
				record(pairs)
			}
		})
	}
	wg.Go(func() { // late arrivals
		for i := 200; i < 300; i++ {
			add(ins[i%len(ins)], i)
		}
	})
	wg.Wait()
	for {
		pairs, err := ins[0].MatchSeeks(ctx, now)
		require.NoError(t, err)
		if len(pairs) == 0 {
			break
		}
		record(pairs)
	}
	for id, n := range paired {
		require.Equal(t, 1, n, "seek of %s returned %d times", id, n)
	}
	assert.Len(t, paired, int(added.Load()), "every seek paired (ratings are within 100 of each other)")
	left, err := ins[1].rdb.HLen(ctx, ins[1].seekKey()).Result()
	require.NoError(t, err)
	assert.Zero(t, left)
}

func TestClaimConnConcurrent(t *testing.T) {
	ins := instances(t, 3)
	ctx := tctx(t)
	c := store.GatewayConn{ID: uniq("conn"), Owner: "i-dead", PlayerID: "p_1", Name: "alice", ExpiresAt: time.Now().Add(time.Hour).UnixMilli()}
	require.NoError(t, ins[0].PutConn(ctx, c, time.Hour))
	var wins atomic.Int64
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range 24 {
		s := ins[i%len(ins)]
		wg.Go(func() {
			me := fmt.Sprintf("i-%d", i)
			ok, err := s.ClaimConn(ctx, c.ID, "i-dead", me)
			assert.NoError(t, err)
			if ok {
				wins.Add(1)
				winner.Store(me)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(1), wins.Load())
	got, err := ins[2].GetConn(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, winner.Load(), got.Owner)
	ttl, err := ins[0].rdb.PTTL(ctx, ins[0].connKey(c.ID)).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 59*time.Minute, "claiming keeps the TTL")
}
