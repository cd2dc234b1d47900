package redisstore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/storetest"
)

type clock struct{ ms atomic.Int64 }

func (c *clock) Set(ms int64) { c.ms.Store(ms) }

func TestLiveContract(t *testing.T) {
	storetest.RunLive(t, func(t *testing.T) (store.Live, storetest.LiveClock) {
		c := &clock{}
		c.Set(time.Now().UnixMilli())
		return openT(t, shared.Addr, func(cfg *Config) { cfg.Now = c.ms.Load }), c
	})
}

func TestRankingContract(t *testing.T) {
	storetest.RunRankingLive(t, func(t *testing.T) store.Live { return openT(t, shared.Addr, nil) })
}

// TestRankRebuildStartsFromNothing: deleting rank:built (the documented way to force a
// rebuild, e.g. after an update was lost) rebuilds from empty sets, so an entry Durable no
// longer has does not survive the rebuild.
func TestRankRebuildStartsFromNothing(t *testing.T) {
	s := openT(t, shared.Addr, nil)
	ctx := context.Background()
	_, err := s.EnsureEpoch(ctx)
	require.NoError(t, err)
	token, ok, err := s.ClaimRankRebuild(ctx, 60_000)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.FinishRankRebuild(ctx, token))
	st := game.New("g_rankstale", game.PlayerRef{ID: "p_1", Name: "stale"}, game.PlayerRef{ID: "p_2", Name: "other"},
		protocol.TimeControl{Minutes: 3}, true, time.Now().UnixMilli())
	stale := store.RankEntry{PlayerID: "p_1", Name: "stale", Speed: st.Speed, Rating: rating.Rating{R: 2000, RD: 60, Vol: 0.06, Games: 40}, Version: 3}
	require.NoError(t, s.PutResult(ctx, st, nil, []store.RankEntry{stale}))
	lb, err := s.Leaderboard(ctx, st.Speed, 10)
	require.NoError(t, err)
	require.Len(t, lb, 1)

	require.NoError(t, s.rdb.Del(ctx, s.rankBuiltKey()).Err())
	token, ok, err = s.ClaimRankRebuild(ctx, 60_000)
	require.NoError(t, err)
	require.True(t, ok, "a deleted rank:built asks for a rebuild")
	require.NoError(t, s.FinishRankRebuild(ctx, token)) // Durable has nothing to load
	lb, err = s.Leaderboard(ctx, st.Speed, 10)
	require.NoError(t, err)
	assert.Empty(t, lb, "the stale entry survived the rebuild")
}

func TestGatewayContract(t *testing.T) {
	storetest.RunGateway(t, func(t *testing.T) store.Gateway { return openT(t, shared.Addr, nil) })
}

func TestHistoryNeverSpansAGap(t *testing.T) {
	s := openT(t, shared.Addr, nil)
	states, events := versions(t)
	ctx := tctx(t)
	id := states[0].ID
	for v := 0; v <= 3; v++ {
		require.NoError(t, s.PutGame(ctx, states[v], events[v]))
	}
	// v4 is never cached here (another instance's write was lost). v5's event would leave a
	// hole after the published v3, so it is refused; v5 goes out as a full state instead.
	require.ErrorIs(t, s.PutGame(ctx, states[5], events[5]), store.ErrGap)
	require.NoError(t, s.PutGame(ctx, states[5], asState(events[5])))
	_, complete, err := s.History(ctx, id, 2)
	require.NoError(t, err)
	assert.False(t, complete, "event 4 is missing, so history after v2 is incomplete")
	frames, complete, err := s.History(ctx, id, 4)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Equal(t, [][]byte{events[5][0].Frame}, frames)

	// A state that advances without its events (a rebuild) leaves no history to claim.
	require.NoError(t, s.PutGame(ctx, states[7], nil))
	_, complete, err = s.History(ctx, id, 5)
	require.NoError(t, err)
	assert.False(t, complete)
	frames, complete, err = s.History(ctx, id, 7)
	require.NoError(t, err)
	assert.True(t, complete, "nothing after the current version is trivially complete")
	assert.Empty(t, frames)

	// Events already published are neither stored twice nor published again.
	sub := subscribeT(t, s)
	require.NoError(t, sub.Add(ctx, store.GameTopic(id)))
	require.NoError(t, s.PutGame(ctx, states[9], asState(events[9])))
	require.NoError(t, s.PutGame(ctx, states[10], append(append([]game.Event{}, events[9]...), events[10]...)))
	require.NoError(t, s.PutGame(ctx, states[9], events[9]))
	for _, want := range []int64{9, 10} {
		assert.Equal(t, want, protocol.FrameV(recvT(t, sub, 5*time.Second).Payload))
	}
	noMessage(t, sub, 100*time.Millisecond)
	frames, complete, err = s.History(ctx, id, 8)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Equal(t, [][]byte{events[9][0].Frame, events[10][0].Frame}, frames)
}

// TestLateEventsOfARecachedVersion: two instances race to commit the same version; the loser
// drops the cache and re-caches the winner's state from the durable store (no events) before
// the winner's PutGame runs. The winner's events must still be published, once.
func TestLateEventsOfARecachedVersion(t *testing.T) {
	ins := instances(t, 2)
	winner, loser := ins[0], ins[1]
	states, events := versions(t)
	id := states[0].ID
	ctx := tctx(t)
	sub := subscribeT(t, loser)
	require.NoError(t, sub.Add(ctx, store.GameTopic(id)))
	for v := 0; v <= 5; v++ {
		require.NoError(t, winner.PutGame(ctx, states[v], events[v]))
	}
	for v := 1; v <= 5; v++ {
		assert.Equal(t, int64(v), protocol.FrameV(recvT(t, sub, 5*time.Second).Payload))
	}
	require.NoError(t, loser.DropGame(ctx, id))
	require.NoError(t, loser.PutGame(ctx, states[6], nil)) // reloaded from the durable store
	require.NoError(t, winner.PutGame(ctx, states[6], events[6]))
	require.NoError(t, winner.PutGame(ctx, states[6], events[6]))
	assert.Equal(t, events[6][0].Frame, recvT(t, sub, 5*time.Second).Payload)
	noMessage(t, sub, 100*time.Millisecond)
	frames, complete, err := loser.History(ctx, id, 5)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Equal(t, [][]byte{events[6][0].Frame}, frames)
	// An older event whose version the cache has passed is still published if it never was;
	// a newer event never goes out before it (that would leave watchers a hole).
	require.NoError(t, loser.PutGame(ctx, states[8], nil))
	require.ErrorIs(t, winner.PutGame(ctx, states[8], events[8]), store.ErrGap)
	require.NoError(t, winner.PutGame(ctx, states[7], events[7]))
	require.NoError(t, winner.PutGame(ctx, states[8], events[8]))
	assert.Equal(t, events[7][0].Frame, recvT(t, sub, 5*time.Second).Payload)
	assert.Equal(t, events[8][0].Frame, recvT(t, sub, 5*time.Second).Payload)
	noMessage(t, sub, 100*time.Millisecond)
	got, err := loser.GetGame(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, int64(8), got.V)
}

// asState marks a version's events as one full state standing for every version up to it.
func asState(events []game.Event) []game.Event {
	last := events[len(events)-1]
	return []game.Event{{V: last.V, Frame: last.Frame, State: true}}
}

func TestPutGameRejectsBadEvents(t *testing.T) {
	s := openT(t, shared.Addr, nil)
	states, events := versions(t)
	ctx := tctx(t)
	err := s.PutGame(ctx, states[2], []game.Event{events[1][0], events[3][0]})
	require.Error(t, err)
	_, err = s.GetGame(ctx, states[0].ID)
	assert.ErrorIs(t, err, store.ErrNotFound, "a rejected put changes nothing")
	require.Error(t, s.PutGame(ctx, states[1], events[2]), "an event newer than the state")
}

func TestDeadlines(t *testing.T) {
	s := openT(t, shared.Addr, nil)
	ctx := tctx(t)
	st := newGame(t)
	require.NoError(t, s.PutGame(ctx, st, nil))
	// Dropping a stale cache keeps the deadline: whoever gets it due reloads the game.
	require.NoError(t, s.DropGame(ctx, st.ID))
	due, err := s.DueGames(ctx, st.Deadline(), 1000, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{st.ID}, due)
	// Re-arming a game that is not cached does nothing.
	require.NoError(t, s.ArmDeadline(ctx, st.ID, st.V, st.Deadline()+5000))
	due, err = s.DueGames(ctx, st.Deadline()+1001, 1000, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{st.ID}, due, "the lease, not the ignored re-arm, decides")

	// An ended game gets no deadline back from a late re-arm, and expires from the cache.
	require.NoError(t, s.PutGame(ctx, st, nil))
	out, err := st.Abort(0, 0, st.CreatedAt+10)
	require.NoError(t, err)
	require.NoError(t, s.PutGame(ctx, st, st.Seal(&out)))
	require.NoError(t, s.ArmDeadline(ctx, st.ID, st.V, st.CreatedAt+1))
	due, err = s.DueGames(ctx, st.CreatedAt+1_000_000, 1000, 10)
	require.NoError(t, err)
	assert.Empty(t, due)
	ttl, err := s.rdb.PTTL(ctx, s.gameKey(st.ID)).Result()
	require.NoError(t, err)
	assert.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 5)

	// Due games come earliest first, and limit bounds them.
	var ids []string
	for i := range 3 {
		g := newGame(t)
		g.AbortAt = 1000 + int64(3-i)*10
		require.NoError(t, s.PutGame(ctx, g, nil))
		ids = append([]string{g.ID}, ids...)
	}
	due, err = s.DueGames(ctx, 2000, 1000, 2)
	require.NoError(t, err)
	assert.Equal(t, ids[:2], due)
}

func TestErrorsAreClassified(t *testing.T) {
	r := redisServerT(t, false)
	s := openT(t, r.Addr, func(c *Config) { c.OpTimeout = 2 * time.Second })
	ctx := tctx(t)
	_, err := s.GetGame(ctx, "g_missing")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.TakeChallenge(ctx, "c_missing", "p_x", store.TakeAccept)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetConn(ctx, "missing")
	assert.ErrorIs(t, err, store.ErrNotFound)

	r.Stop()
	for _, err := range []error{
		s.Ping(ctx),
		s.PutGame(ctx, newGame(t), nil),
		func() error { _, err := s.GetGame(ctx, "g_x"); return err }(),
		func() error { _, err := s.Connected(ctx, "p_x"); return err }(),
		s.Publish(ctx, "p:x", []byte("x")),
		func() error { _, err := s.TakeChallenge(ctx, "c_x", "p_x", store.TakeCancel); return err }(),
		func() error { _, err := s.ExpireChallenges(ctx, 1); return err }(),
	} {
		assert.ErrorIs(t, err, store.ErrUnavailable)
		assert.False(t, errors.Is(err, store.ErrNotFound))
	}
}
