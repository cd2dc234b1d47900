package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
)

// downLive is a shared Live as one instance sees it: PutGame fails while down is set, as it
// does for an instance whose Redis connection is lost.
type downLive struct {
	store.Live
	down atomic.Bool
}

func (l *downLive) PutGame(ctx context.Context, st *game.State, events []game.Event) error {
	if l.down.Load() {
		return errors.New("connection refused")
	}
	return l.Live.PutGame(ctx, st, events)
}

func (l *downLive) PutResult(ctx context.Context, st *game.State, events []game.Event, ranks []store.RankEntry) error {
	if l.down.Load() {
		return errors.New("connection refused")
	}
	return l.Live.PutResult(ctx, st, events, ranks)
}

// frameVersion is the version a published frame stands for: its own v, or the v of the full
// state it carries.
func frameVersion(t *testing.T, frame []byte) (v int64, full bool) {
	t.Helper()
	var f struct {
		T string `json:"t"`
		V int64  `json:"v"`
		D struct {
			V int64 `json:"v"`
		} `json:"d"`
	}
	require.NoError(t, json.Unmarshal(frame, &f))
	if f.T == protocol.TState {
		return f.D.V, true
	}
	return f.V, false
}

// TestHeldEventsThatNoLongerJoinUpArePublishedAsAState is the interleaving behind the stall that
// TestRedisDownBetweenCommitAndPublish saw after a Redis restart, made deterministic with two
// server instances on one shared store:
//
//  1. instance a commits White's v3 while its Live is down, so it holds v3's events;
//  2. Live is back for b, which commits Black's v4 (re-decided on the durable state) and
//     publishes it before a has offered its held v3 again;
//  3. a commits White's v5: the held v3 and the new v5 do not join up.
//
// Before the fix a sent [v3, v5] to Live, which refused that list on every retry, so v5 and
// every later version of a were never published: the game stalled for its watchers.
func TestHeldEventsThatNoLongerJoinUpArePublishedAsAState(t *testing.T) {
	ctx := context.Background()
	d := twoInstances(t, "g_held01")
	a, b, liveA, shared, st, move := d.a, d.b, d.liveA, d.shared, d.st, d.move
	w := listen(t, shared, st.ID)

	move(a, "p_w", "e2e4", 1)
	move(b, "p_b", "e7e5", 2)
	liveA.down.Store(true)
	move(a, "p_w", "g1f3", 3) // durable and acked; its events are held by a
	liveA.down.Store(false)
	move(b, "p_b", "b8c6", 4) // b's cache is at v2: decided again on the durable v3
	move(a, "p_w", "f1b5", 5) // the held v3 and the new v5 do not join up

	a.pendMu.Lock()
	held := len(a.pending)
	a.pendMu.Unlock()
	assert.Zero(t, held, "a still holds events that Live refuses")
	a.retryPending(ctx)
	published, err := shared.PublishedVersions(ctx, []string{st.ID})
	require.NoError(t, err)
	assert.Equal(t, int64(5), published[st.ID], "v5 was never published: the game stalls for its watchers")

	move(b, "p_b", "a7a6", 6) // the game goes on, and its watchers see it
	versions, states := w.until(t, 6)
	assert.Equal(t, []int64{1, 2, 4, 5, 6}, versions, "published versions, in order, once each")
	// v4 follows the unpublished v3, so it goes out as a full state; so does v5, which stands
	// for the held v3 that no longer joins up.
	assert.Equal(t, []int64{4, 5}, states, "versions published as full states")
}

// heard collects what a watcher of one game hears on the shared Live.
type heard struct {
	mu       sync.Mutex
	versions []int64 // the version each frame stands for, in arrival order
	states   []int64 // those that came as full states
	holes    []string
}

// listen subscribes to a game's topic. It records a hole whenever an ordinary event does not
// follow the version heard before it: a watcher would then miss a move without knowing it.
func listen(t *testing.T, live store.Live, gameID string) *heard {
	t.Helper()
	ctx := context.Background()
	sub, err := live.Subscribe(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	require.NoError(t, sub.Add(ctx, store.GameTopic(gameID)))
	h := &heard{}
	go func() {
		for m := range sub.Messages() {
			v, full := frameVersion(t, m.Payload)
			h.mu.Lock()
			if n := len(h.versions); !full && n > 0 && v != h.versions[n-1]+1 {
				h.holes = append(h.holes, fmt.Sprintf("event v%d after v%d", v, h.versions[n-1]))
			}
			h.versions = append(h.versions, v)
			if full {
				h.states = append(h.states, v)
			}
			h.mu.Unlock()
		}
	}()
	return h
}

// until waits for version v and returns what was heard; it fails the test on any hole.
func (h *heard) until(t *testing.T, v int64) (versions, states []int64) {
	t.Helper()
	require.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.versions) > 0 && h.versions[len(h.versions)-1] == v
	}, 5*time.Second, 10*time.Millisecond, "the watcher never heard v%d", v)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Empty(t, h.holes, "the watcher missed versions without being told")
	return append([]int64(nil), h.versions...), append([]int64(nil), h.states...)
}

// TestEventAfterAnUnpublishedCommitGoesOutAsAState is the interleaving TestKillInstanceMidGame
// hit 1 run in 20 under load: instance a commits White's v3 and dies before publishing it;
// White's resend is acknowledged as a duplicate; Black's v4, decided on the durable v3, is
// committed by b before any repair. Before the fix b published v4's event right after the
// published v2, and every watcher saw a hole (v4 after v2) that no later frame filled.
func TestEventAfterAnUnpublishedCommitGoesOutAsAState(t *testing.T) {
	ctx := context.Background()
	d := twoInstances(t, "g_dead01")
	a, b, liveA, shared, st, move := d.a, d.b, d.liveA, d.shared, d.st, d.move
	w := listen(t, shared, st.ID)

	move(a, "p_w", "e2e4", 1)
	move(b, "p_b", "e7e5", 2)
	liveA.down.Store(true) // from here on a is as good as dead: it never publishes again
	move(a, "p_w", "g1f3", 3)
	// White's resend on b: a duplicate, acknowledged without being applied again.
	require.ErrorIs(t, b.gameAction(ctx, "p_w", protocol.ClientMessage{Type: protocol.TMove, Game: st.ID, UCI: "g1f3", Ply: 3}),
		game.ErrDuplicate)
	move(b, "p_b", "b8c6", 4)
	move(b, "p_w", "f1b5", 5)

	versions, states := w.until(t, 5)
	assert.Equal(t, []int64{1, 2, 4, 5}, versions, "published versions, in order, once each")
	assert.Equal(t, []int64{4}, states, "v4 stands for the unpublished v3 as a full state")
}

// TestSlowPublishIsNotPreemptedByARepair: after a lost commit race the loser checks whether the
// winner's change was published; a winner that is merely slow (a busy instance) must get to
// publish its event, so a repair needs the same stale published version seen twice. Before, the
// first check published a full state, and the watchers never got the move's event
// (TestSameMoveOnTwoInstancesAppliedOnce failed 1 run in 13 under load).
func TestSlowPublishIsNotPreemptedByARepair(t *testing.T) {
	ctx := context.Background()
	durable := memstore.NewDurable()
	shared := memstore.NewLive(func() int64 { return time.Now().UnixMilli() })
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	s, err := New(ctx, durable, shared, log, Config{RetryInterval: time.Hour, EpochInterval: time.Hour, ReconcileInterval: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		assert.NoError(t, s.Shutdown(sctx, "test over"))
	})
	type check struct {
		p      int64
		behind bool
	}
	checks := make(chan check, repairChecks)
	s.afterRepairCheck = func(_ string, p int64, behind bool) { checks <- check{p, behind} }

	tc, err := protocol.ParseTimeControl("5+0")
	require.NoError(t, err)
	st := game.New("g_slow01", game.PlayerRef{ID: "p_w"}, game.PlayerRef{ID: "p_b"}, tc, false, time.Now().UnixMilli())
	require.NoError(t, durable.CreateGame(ctx, st))
	require.NoError(t, shared.PutGame(ctx, st, nil))
	// The winner of the race has committed v1 and not yet published it.
	prev := st.V
	out, err := st.Move(0, "e2e4", 1, 0, time.Now().UnixMilli())
	require.NoError(t, err)
	events := st.Seal(&out)
	require.NoError(t, durable.CommitGame(ctx, store.Commit{PrevV: prev, State: st, Move: out.Move}))

	s.repairSoon(st.ID)
	first := <-checks
	require.True(t, first.behind, "the first check must see v1 unpublished")
	require.NoError(t, shared.PutGame(ctx, st, events)) // the slow winner publishes
	select {
	case second := <-checks:
		assert.False(t, second.behind, "the second check sees v1 published")
	case <-time.After(5 * time.Second):
		t.Error("no second check: the first one already decided")
	}

	hist, complete, err := shared.History(ctx, st.ID, 0)
	require.NoError(t, err)
	require.True(t, complete)
	require.Len(t, hist, 1)
	v, full := frameVersion(t, hist[0])
	assert.Equal(t, int64(1), v)
	assert.False(t, full, "a repair replaced the winner's move event with a full state")
}

// duo is two server instances on one shared store, each seeing Live through its own downLive
// (so a test can cut one off), and a game between p_w and p_b created on it.
type duo struct {
	a, b         *Server
	liveA, liveB *downLive
	shared       *memstore.Live
	st           *game.State
	move         func(s *Server, player, uci string, ply int)
}

// twoInstances starts a duo with no background retries, epochs or reconciles: the test decides
// when held events are offered again.
func twoInstances(t *testing.T, gameID string) *duo {
	t.Helper()
	ctx := context.Background()
	durable := memstore.NewDurable()
	d := &duo{shared: memstore.NewLive(func() int64 { return time.Now().UnixMilli() })}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg := Config{RetryInterval: time.Hour, EpochInterval: time.Hour, ReconcileInterval: time.Hour}
	d.liveA, d.liveB = &downLive{Live: d.shared}, &downLive{Live: d.shared}
	var err error
	d.a, err = New(ctx, durable, d.liveA, log, cfg)
	require.NoError(t, err)
	d.b, err = New(ctx, durable, d.liveB, log, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		assert.NoError(t, d.a.Shutdown(sctx, "test over"))
		assert.NoError(t, d.b.Shutdown(sctx, "test over"))
	})
	tc, err := protocol.ParseTimeControl("5+0")
	require.NoError(t, err)
	d.st = game.New(gameID, game.PlayerRef{ID: "p_w"}, game.PlayerRef{ID: "p_b"}, tc, false, time.Now().UnixMilli())
	require.NoError(t, durable.CreateGame(ctx, d.st))
	require.NoError(t, d.shared.PutGame(ctx, d.st, nil))
	d.move = func(s *Server, player, uci string, ply int) {
		t.Helper()
		require.NoError(t, s.gameAction(ctx, player, protocol.ClientMessage{Type: protocol.TMove, Game: d.st.ID, UCI: uci, Ply: ply}),
			"ply %d (%s)", ply, uci)
	}
	return d
}
