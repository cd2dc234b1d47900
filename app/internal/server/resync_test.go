package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
)

// refusingLive refuses reads while refuse is set, as Redis's command connections do for a
// moment after Redis returns, while the subscription is already back.
type refusingLive struct {
	store.Live
	refuse atomic.Bool
}

func (l *refusingLive) GetGame(ctx context.Context, id string) (*game.State, error) {
	if l.refuse.Load() {
		return nil, errors.New("connection refused")
	}
	return l.Live.GetGame(ctx, id)
}

// stateConn records the versions of the full states a session is sent.
type stateConn struct {
	mu     sync.Mutex
	states []int64
}

func (c *stateConn) Send(frame []byte) bool {
	var f struct {
		T string `json:"t"`
		D struct {
			V int64 `json:"v"`
		} `json:"d"`
	}
	if json.Unmarshal(frame, &f) == nil && f.T == protocol.TState {
		c.mu.Lock()
		c.states = append(c.states, f.D.V)
		c.mu.Unlock()
	}
	return true
}

func (c *stateConn) Close(string) {}

func (c *stateConn) got() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.states...)
}

// TestResyncRetriesACatchUpThatFailed: after a fan-out reconnect, a watcher's catch-up that
// fails (Redis still refusing commands) is tried again until it succeeds. Before, the resync
// logged the failure and left the watcher behind for good: TestRedisDownBetweenCommitAndPublish
// saw a client stay at v12 while the game was at v13 (1 run in 10 under load).
func TestResyncRetriesACatchUpThatFailed(t *testing.T) {
	ctx := context.Background()
	durable := memstore.NewDurable()
	live := &refusingLive{Live: memstore.NewLive(func() int64 { return time.Now().UnixMilli() })}
	cfg := Config{RetryInterval: 20 * time.Millisecond, EpochInterval: time.Hour, ReconcileInterval: time.Hour}
	s, err := New(ctx, durable, live, slog.New(slog.NewJSONHandler(io.Discard, nil)), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		assert.NoError(t, s.Shutdown(sctx, "test over"))
	})
	tc, err := protocol.ParseTimeControl("5+0")
	require.NoError(t, err)
	st := game.New("g_resync1", game.PlayerRef{ID: "p_w"}, game.PlayerRef{ID: "p_b"}, tc, false, time.Now().UnixMilli())
	require.NoError(t, durable.CreateGame(ctx, st))
	require.NoError(t, live.PutGame(ctx, st, nil))
	conn := &stateConn{}
	sess, err := s.Open(ctx, authn.Claims{PlayerID: "p_x", Name: "x", ExpiresAt: time.Now().Add(time.Hour)}, conn, Client{})
	require.NoError(t, err)
	s.Handle(ctx, sess, []byte(`{"t":"watch","d":{"game":"g_resync1","v":0},"a":1}`))
	require.Equal(t, []int64{0}, conn.got(), "the watch's own state")

	live.refuse.Store(true)
	done := make(chan struct{})
	go func() { defer close(done); s.resyncAll(ctx) }()
	time.Sleep(5 * cfg.RetryInterval) // a few failed attempts
	assert.Equal(t, []int64{0}, conn.got(), "no catch-up while Redis refuses")
	live.refuse.Store(false)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the resync never finished")
	}
	assert.Equal(t, []int64{0, 0}, conn.got(), "the watcher was caught up once Redis answered again")
}
