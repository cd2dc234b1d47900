package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// LiveClock lets the contract control the Live's notion of now (challenge expiry).
type LiveClock interface {
	Set(unixMs int64)
}

func liveGame(t *testing.T, now int64) *game.State {
	t.Helper()
	tc, err := protocol.ParseTimeControl("3+0")
	require.NoError(t, err)
	return game.New(unique("g_"), game.PlayerRef{ID: unique("p_"), Name: "w"}, game.PlayerRef{ID: unique("p_"), Name: "b"}, tc, false, now)
}

// step applies one move and returns the sealed events.
func step(t *testing.T, st *game.State, uci string) []game.Event {
	t.Helper()
	out, err := st.Move(st.Turn(), uci, len(st.Moves)+1, 0, st.CreatedAt+int64(len(st.Moves)+1)*100)
	require.NoError(t, err)
	return st.Seal(&out)
}

func recv(t *testing.T, sub store.Subscription) store.Message {
	t.Helper()
	select {
	case m := <-sub.Messages():
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5 s")
		return store.Message{}
	}
}

func nothing(t *testing.T, sub store.Subscription, within time.Duration) {
	t.Helper()
	select {
	case m := <-sub.Messages():
		t.Fatalf("unexpected message on %s: %s", m.Topic, m.Payload)
	case <-time.After(within):
	}
}

// RunLive runs the store.Live contract. newStore returns a fresh Live and a clock that
// controls its notion of now.
func RunLive(t *testing.T, newStore func(t *testing.T) (store.Live, LiveClock)) {
	t.Run("games are cached monotonically with history", func(t *testing.T) {
		l, _ := newStore(t)
		st := liveGame(t, time.Now().UnixMilli())
		_, err := l.GetGame(ctx(t), st.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, l.PutGame(ctx(t), st, nil))
		v0 := st.Clone()
		var all []game.Event
		for _, u := range []string{"e2e4", "e7e5", "g1f3"} {
			ev := step(t, st, u)
			all = append(all, ev...)
			require.NoError(t, l.PutGame(ctx(t), st, ev))
		}
		got, err := l.GetGame(ctx(t), st.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(3), got.V)
		assert.Equal(t, st.Moves, got.Moves)
		versions, err := l.PublishedVersions(ctx(t), []string{st.ID, "g_notcached1"})
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{st.ID: 3}, versions)
		// An older version never overwrites a newer one.
		require.NoError(t, l.PutGame(ctx(t), v0, nil))
		got, err = l.GetGame(ctx(t), st.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(3), got.V)

		frames, complete, err := l.History(ctx(t), st.ID, 1)
		require.NoError(t, err)
		assert.True(t, complete)
		assert.Equal(t, [][]byte{all[1].Frame, all[2].Frame}, frames)
		frames, complete, err = l.History(ctx(t), st.ID, 3)
		require.NoError(t, err)
		assert.True(t, complete)
		assert.Empty(t, frames)

		require.NoError(t, l.DropGame(ctx(t), st.ID))
		_, err = l.GetGame(ctx(t), st.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, complete, err = l.History(ctx(t), st.ID, 1)
		require.NoError(t, err)
		assert.False(t, complete)
	})

	t.Run("history keeps the last events only", func(t *testing.T) {
		l, _ := newStore(t)
		st := liveGame(t, time.Now().UnixMilli())
		require.NoError(t, l.PutGame(ctx(t), st, nil))
		moves := []string{"g1f3", "g8f6", "b1c3", "b8c6", "e2e4", "e7e5", "d2d4", "d7d5", "c1g5", "c8g4",
			"f1b5", "f8b4", "d1d2", "d8d7", "a2a3", "a7a6", "h2h3", "h7h6", "b2b3", "b7b6", "g2g3", "g7g6"}
		for _, u := range moves {
			require.NoError(t, l.PutGame(ctx(t), st, step(t, st, u)))
		}
		frames, complete, err := l.History(ctx(t), st.ID, int64(len(moves)-store.HistorySize))
		require.NoError(t, err)
		assert.True(t, complete)
		assert.Len(t, frames, store.HistorySize)
		_, complete, err = l.History(ctx(t), st.ID, int64(len(moves)-store.HistorySize-1))
		require.NoError(t, err)
		assert.False(t, complete, "events older than the history must not be reported complete")
	})

	t.Run("events are published in order on the game topic", func(t *testing.T) {
		l, _ := newStore(t)
		sub, err := l.Subscribe(ctx(t))
		require.NoError(t, err)
		defer sub.Close()
		st := liveGame(t, time.Now().UnixMilli())
		other := liveGame(t, time.Now().UnixMilli())
		require.NoError(t, sub.Add(ctx(t), store.GameTopic(st.ID)))
		require.NoError(t, l.PutGame(ctx(t), st, nil))
		require.NoError(t, l.PutGame(ctx(t), other, nil))
		var want [][]byte
		for _, u := range []string{"d2d4", "d7d5", "c2c4"} {
			ev := step(t, st, u)
			want = append(want, ev[0].Frame)
			require.NoError(t, l.PutGame(ctx(t), st, ev))
			require.NoError(t, l.PutGame(ctx(t), other, step(t, other, u)))
		}
		for _, w := range want {
			m := recv(t, sub)
			assert.Equal(t, store.GameTopic(st.ID), m.Topic)
			assert.Equal(t, w, m.Payload)
		}
		nothing(t, sub, 100*time.Millisecond)
		// After Remove nothing more arrives; Publish reaches plain topics.
		require.NoError(t, sub.Remove(ctx(t), store.GameTopic(st.ID)))
		require.NoError(t, l.PutGame(ctx(t), st, step(t, st, "e7e6")))
		require.NoError(t, sub.Add(ctx(t), store.PlayerTopic("p_x")))
		require.NoError(t, l.Publish(ctx(t), store.PlayerTopic("p_x"), []byte(`{"t":"challenge"}`)))
		m := recv(t, sub)
		assert.Equal(t, store.PlayerTopic("p_x"), m.Topic)
		assert.Equal(t, []byte(`{"t":"challenge"}`), m.Payload)
		nothing(t, sub, 100*time.Millisecond)
	})

	t.Run("events of a version re-cached without them are still published once", func(t *testing.T) {
		l, _ := newStore(t)
		sub, err := l.Subscribe(ctx(t))
		require.NoError(t, err)
		defer sub.Close()
		st := liveGame(t, time.Now().UnixMilli())
		require.NoError(t, sub.Add(ctx(t), store.GameTopic(st.ID)))
		require.NoError(t, l.PutGame(ctx(t), st, nil))
		ev := step(t, st, "e2e4")
		// A commit-race loser re-caches v1 from the durable store before the winner publishes.
		require.NoError(t, l.PutGame(ctx(t), st, nil))
		_, complete, err := l.History(ctx(t), st.ID, 0)
		require.NoError(t, err)
		assert.False(t, complete, "v1 is cached but its event is not kept: history must not claim completeness")
		published, err := l.PublishedVersions(ctx(t), []string{st.ID})
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{st.ID: 0}, published, "v1 is cached but not published")
		require.NoError(t, l.PutGame(ctx(t), st, ev))
		m := recv(t, sub)
		assert.Equal(t, ev[0].Frame, m.Payload)
		require.NoError(t, l.PutGame(ctx(t), st, ev))
		nothing(t, sub, 100*time.Millisecond)
		frames, complete, err := l.History(ctx(t), st.ID, 0)
		require.NoError(t, err)
		assert.True(t, complete)
		assert.Equal(t, [][]byte{ev[0].Frame}, frames)
	})

	t.Run("events that skip an unpublished version are refused; a full state may skip", func(t *testing.T) {
		l, _ := newStore(t)
		sub, err := l.Subscribe(ctx(t))
		require.NoError(t, err)
		defer sub.Close()
		st := liveGame(t, time.Now().UnixMilli())
		require.NoError(t, sub.Add(ctx(t), store.GameTopic(st.ID)))
		require.NoError(t, l.PutGame(ctx(t), st, nil))
		ev1 := step(t, st, "e2e4")
		require.NoError(t, l.PutGame(ctx(t), st, ev1))
		assert.Equal(t, ev1[0].Frame, recv(t, sub).Payload)
		step(t, st, "e7e5") // v2 is committed, but its committer dies before publishing it
		ev3 := step(t, st, "g1f3")

		err = l.PutGame(ctx(t), st, ev3)
		require.ErrorIs(t, err, store.ErrGap, "v3 after the published v1 would leave watchers a hole")
		nothing(t, sub, 100*time.Millisecond)
		got, err := l.GetGame(ctx(t), st.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(1), got.V, "a refused put changes nothing")
		published, err := l.PublishedVersions(ctx(t), []string{st.ID})
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{st.ID: 1}, published)

		state := game.Event{V: st.V, Frame: []byte(`{"t":"state","d":{"v":3}}`), State: true}
		require.NoError(t, l.PutGame(ctx(t), st, []game.Event{state}))
		assert.Equal(t, state.Frame, recv(t, sub).Payload)
		published, err = l.PublishedVersions(ctx(t), []string{st.ID})
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{st.ID: 3}, published)
		// The next event follows the state; the dead committer's late v2 would be skipped.
		ev4 := step(t, st, "b8c6")
		require.NoError(t, l.PutGame(ctx(t), st, ev4))
		assert.Equal(t, ev4[0].Frame, recv(t, sub).Payload)
		nothing(t, sub, 100*time.Millisecond)
	})

	t.Run("deadlines are leased to one caller", func(t *testing.T) {
		l, _ := newStore(t)
		now := time.Now().UnixMilli()
		st := liveGame(t, now) // AbortAt = now + 30 s
		require.NoError(t, l.PutGame(ctx(t), st, nil))
		due, err := l.DueGames(ctx(t), now, 2000, 100)
		require.NoError(t, err)
		assert.NotContains(t, due, st.ID)
		later := st.Deadline() + 1
		due, err = l.DueGames(ctx(t), later, 2000, 100)
		require.NoError(t, err)
		assert.Contains(t, due, st.ID)
		// Leased: a second caller does not get it until the lease ends.
		due, err = l.DueGames(ctx(t), later+1000, 2000, 100)
		require.NoError(t, err)
		assert.NotContains(t, due, st.ID)
		due, err = l.DueGames(ctx(t), later+2001, 2000, 100)
		require.NoError(t, err)
		assert.Contains(t, due, st.ID)
		// ArmDeadline moves it, unless the game moved on (a stale re-arm); an ended game has none.
		require.NoError(t, l.ArmDeadline(ctx(t), st.ID, st.V, later+100_000))
		due, err = l.DueGames(ctx(t), later+50_000, 2000, 100)
		require.NoError(t, err)
		assert.NotContains(t, due, st.ID)
		require.NoError(t, l.ArmDeadline(ctx(t), st.ID, st.V+1, later+60_000))
		due, err = l.DueGames(ctx(t), later+70_000, 2000, 100)
		require.NoError(t, err)
		assert.NotContains(t, due, st.ID, "a re-arm for another version was applied")
		out, err := st.Abort(0, 0, now+10)
		require.NoError(t, err)
		require.NoError(t, l.PutGame(ctx(t), st, st.Seal(&out)))
		due, err = l.DueGames(ctx(t), later+200_000, 2000, 100)
		require.NoError(t, err)
		assert.NotContains(t, due, st.ID)
	})

	t.Run("seeks pair within rating windows", func(t *testing.T) {
		l, _ := newStore(t)
		now := time.Now().UnixMilli()
		tc := unique("7+")[0:3] // a pool of its own
		seeks := []store.Seek{
			{PlayerID: unique("p_"), Name: "a", Rating: 1500, TC: tc, Since: now},
			{PlayerID: unique("p_"), Name: "b", Rating: 1550, TC: tc, Since: now},
			{PlayerID: unique("p_"), Name: "c", Rating: 2000, TC: tc, Since: now},
			{PlayerID: unique("p_"), Name: "d", Rating: 1520, TC: tc, Rated: true, Since: now},
		}
		for _, s := range seeks {
			require.NoError(t, l.AddSeek(ctx(t), s))
		}
		pairs, err := l.MatchSeeks(ctx(t), now)
		require.NoError(t, err)
		pairs = pairsOf(pairs, seeks)
		require.Len(t, pairs, 1, "only a and b are close enough in the casual pool")
		assert.ElementsMatch(t, []string{"a", "b"}, []string{pairs[0][0].Name, pairs[0][1].Name})
		// The window widens with waiting: after 30 s anyone in the pool.
		e := store.Seek{PlayerID: unique("p_"), Name: "e", Rating: 1200, TC: tc, Since: now}
		require.NoError(t, l.AddSeek(ctx(t), e))
		pairs, err = l.MatchSeeks(ctx(t), now+1000)
		require.NoError(t, err)
		assert.Empty(t, pairsOf(pairs, seeks))
		pairs, err = l.MatchSeeks(ctx(t), now+31_000)
		require.NoError(t, err)
		pairs = pairsOf(pairs, append(seeks, e))
		require.Len(t, pairs, 1)
		assert.ElementsMatch(t, []string{"c", "e"}, []string{pairs[0][0].Name, pairs[0][1].Name})
		// The rated seek is alone in its pool; removing it empties the pool.
		removed, err := l.RemoveSeek(ctx(t), seeks[3].PlayerID)
		require.NoError(t, err)
		assert.True(t, removed)
		removed, err = l.RemoveSeek(ctx(t), seeks[3].PlayerID)
		require.NoError(t, err)
		assert.False(t, removed)
		// A new seek of a player replaces the old one.
		f := store.Seek{PlayerID: unique("p_"), Name: "f", Rating: 1500, TC: tc, Since: now}
		require.NoError(t, l.AddSeek(ctx(t), f))
		f.TC = tc + "x"
		require.NoError(t, l.AddSeek(ctx(t), f))
		g := store.Seek{PlayerID: unique("p_"), Name: "g", Rating: 1500, TC: tc, Since: now}
		require.NoError(t, l.AddSeek(ctx(t), g))
		pairs, err = l.MatchSeeks(ctx(t), now+40_000)
		require.NoError(t, err)
		assert.Empty(t, pairsOf(pairs, []store.Seek{f, g}))
	})

	t.Run("challenges are taken once and expire", func(t *testing.T) {
		l, clock := newStore(t)
		now := time.Now().UnixMilli()
		clock.Set(now)
		c := store.Challenge{ID: unique("c_"), FromID: "p_a", From: "a", ToID: "p_b", To: "b", TC: "5+0", Color: "random", Expires: now + 60_000}
		require.NoError(t, l.PutChallenge(ctx(t), c))
		got, err := l.GetChallenge(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, c, got)
		got, err = l.TakeChallenge(ctx(t), c.ID, "p_b", store.TakeAccept)
		require.NoError(t, err)
		assert.Equal(t, c, got)
		_, err = l.TakeChallenge(ctx(t), c.ID, "p_b", store.TakeAccept)
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = l.GetChallenge(ctx(t), c.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		c.ID = unique("c_")
		require.NoError(t, l.PutChallenge(ctx(t), c))
		clock.Set(now + 61_000)
		_, err = l.TakeChallenge(ctx(t), c.ID, "p_b", store.TakeAccept)
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = l.GetChallenge(ctx(t), c.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("only the right player takes a challenge", func(t *testing.T) {
		l, clock := newStore(t)
		now := time.Now().UnixMilli()
		clock.Set(now)
		direct := store.Challenge{ID: unique("c_"), FromID: "p_a", From: "a", ToID: "p_b", To: "b", TC: "5+0", Color: "white", Expires: now + 60_000, Rematch: "g_abcd1234"}
		open := store.Challenge{ID: unique("c_"), FromID: "p_a", From: "a", TC: "3+2", Color: "random", Rated: true, Expires: now + 60_000}
		require.NoError(t, l.PutChallenge(ctx(t), direct))
		require.NoError(t, l.PutChallenge(ctx(t), open))
		for _, tc := range []struct {
			c      store.Challenge
			player string
			action store.ChallengeAction
		}{
			{direct, "p_a", store.TakeAccept}, {direct, "p_c", store.TakeAccept}, {direct, "p_a", store.TakeDecline},
			{direct, "p_b", store.TakeCancel}, {open, "p_a", store.TakeAccept}, {open, "p_c", store.TakeDecline},
			{open, "p_c", store.TakeCancel}, {open, "", store.TakeDecline},
		} {
			_, err := l.TakeChallenge(ctx(t), tc.c.ID, tc.player, tc.action)
			assert.ErrorIs(t, err, store.ErrNotYours, "%s taking %s for %d", tc.player, tc.c.ID, tc.action)
		}
		// Refusals changed nothing.
		got, err := l.GetChallenge(ctx(t), direct.ID)
		require.NoError(t, err)
		assert.Equal(t, direct, got)
		got, err = l.TakeChallenge(ctx(t), direct.ID, "p_b", store.TakeDecline)
		require.NoError(t, err)
		assert.Equal(t, direct, got)
		got, err = l.TakeChallenge(ctx(t), open.ID, "p_c", store.TakeAccept)
		require.NoError(t, err)
		assert.Equal(t, open, got)
		cancelled := store.Challenge{ID: unique("c_"), FromID: "p_a", From: "a", ToID: "p_b", To: "b", TC: "1+0", Color: "black", Expires: now + 60_000}
		require.NoError(t, l.PutChallenge(ctx(t), cancelled))
		got, err = l.TakeChallenge(ctx(t), cancelled.ID, "p_a", store.TakeCancel)
		require.NoError(t, err)
		assert.Equal(t, cancelled, got)
		_, err = l.TakeChallenge(ctx(t), cancelled.ID, "p_b", store.TakeAccept)
		assert.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("expired challenges go to one caller", func(t *testing.T) {
		l, clock := newStore(t)
		now := time.Now().UnixMilli()
		clock.Set(now)
		soon := store.Challenge{ID: unique("c_"), FromID: "p_a", From: "a", ToID: "p_b", To: "b", TC: "5+0", Color: "random", Expires: now + 1_000}
		later := store.Challenge{ID: unique("c_"), FromID: "p_a", From: "a", TC: "5+0", Color: "random", Expires: now + 60_000}
		taken := store.Challenge{ID: unique("c_"), FromID: "p_a", From: "a", ToID: "p_b", To: "b", TC: "5+0", Color: "random", Expires: now + 1_000}
		for _, c := range []store.Challenge{soon, later, taken} {
			require.NoError(t, l.PutChallenge(ctx(t), c))
		}
		_, err := l.TakeChallenge(ctx(t), taken.ID, "p_b", store.TakeDecline)
		require.NoError(t, err)
		mine := func(cs []store.Challenge) []store.Challenge {
			var out []store.Challenge
			for _, c := range cs {
				if c.ID == soon.ID || c.ID == later.ID || c.ID == taken.ID {
					out = append(out, c)
				}
			}
			return out
		}
		due, err := l.ExpireChallenges(ctx(t), now+500)
		require.NoError(t, err)
		assert.Empty(t, mine(due))
		clock.Set(now + 2_000)
		// Expired: neither accepted nor declined, but still reported once.
		_, err = l.TakeChallenge(ctx(t), soon.ID, "p_b", store.TakeAccept)
		assert.ErrorIs(t, err, store.ErrNotFound)
		due, err = l.ExpireChallenges(ctx(t), now+2_000)
		require.NoError(t, err)
		assert.Equal(t, []store.Challenge{soon}, mine(due))
		due, err = l.ExpireChallenges(ctx(t), now+2_000)
		require.NoError(t, err)
		assert.Empty(t, mine(due))
		_, err = l.GetChallenge(ctx(t), later.ID)
		require.NoError(t, err)
	})

	t.Run("presence and active games", func(t *testing.T) {
		l, _ := newStore(t)
		p := unique("p_")
		on, err := l.Connected(ctx(t), p)
		require.NoError(t, err)
		assert.True(t, on)
		on, err = l.Connected(ctx(t), p)
		require.NoError(t, err)
		assert.False(t, on)
		off, err := l.Disconnected(ctx(t), p)
		require.NoError(t, err)
		assert.False(t, off)
		off, err = l.Disconnected(ctx(t), p)
		require.NoError(t, err)
		assert.True(t, off)

		require.NoError(t, l.AddActive(ctx(t), "g_one1", p, "p_other"))
		require.NoError(t, l.AddActive(ctx(t), "g_two2", p))
		games, err := l.ActiveGamesOf(ctx(t), p)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"g_one1", "g_two2"}, games)
		require.NoError(t, l.RemoveActive(ctx(t), "g_one1", p, "p_other"))
		games, err = l.ActiveGamesOf(ctx(t), p)
		require.NoError(t, err)
		assert.Equal(t, []string{"g_two2"}, games)
	})

	t.Run("connections are counted under caps per player and per address", func(t *testing.T) {
		l, _ := newStore(t)
		p1, p2, p3 := unique("p_"), unique("p_"), unique("p_")
		addr, other := unique("198.51.100."), unique("203.0.113.")
		limits := store.ConnLimits{PerPlayer: 2, PerAddr: 3}
		acquire := func(p, a string, force bool) store.ConnCap {
			t.Helper()
			c, err := l.AcquireConn(ctx(t), p, a, limits, force)
			require.NoError(t, err)
			return c
		}
		assert.Equal(t, store.CapNone, acquire(p1, addr, false))
		assert.Equal(t, store.CapNone, acquire(p1, addr, false))
		assert.Equal(t, store.CapPlayer, acquire(p1, other, false), "a third connection of p1 from anywhere")
		assert.Equal(t, store.CapNone, acquire(p2, addr, false))
		assert.Equal(t, store.CapAddr, acquire(p3, addr, false), "a fourth connection from addr")
		// The refused address did not keep p3's player count: p3 can still open two elsewhere.
		assert.Equal(t, store.CapNone, acquire(p3, other, false))
		assert.Equal(t, store.CapNone, acquire(p3, other, false))
		assert.Equal(t, store.CapPlayer, acquire(p3, other, false))
		// force counts over the cap (a takeover of an existing connection).
		assert.Equal(t, store.CapNone, acquire(p1, addr, true))
		// Releasing makes room again; addr "" is counted per player only.
		require.NoError(t, l.ReleaseConn(ctx(t), p1, addr))
		require.NoError(t, l.ReleaseConn(ctx(t), p1, addr))
		assert.Equal(t, store.CapNone, acquire(p2, addr, false), "addr holds p1's forced one and p2's")
		assert.Equal(t, store.CapAddr, acquire(p1, addr, false), "addr is full again")
		require.NoError(t, l.ReleaseConn(ctx(t), p1, addr))
		assert.Equal(t, store.CapNone, acquire(p1, addr, false))
		assert.Equal(t, store.CapPlayer, acquire(p2, "", false))
		// Releasing more than was counted never goes below zero.
		for range 5 {
			require.NoError(t, l.ReleaseConn(ctx(t), p1, addr))
		}
		assert.Equal(t, store.CapNone, acquire(p1, "", false))
		assert.Equal(t, store.CapNone, acquire(p1, "", false))
		assert.Equal(t, store.CapPlayer, acquire(p1, "", false))
		// No cap: always counted.
		for range 5 {
			c, err := l.AcquireConn(ctx(t), p1, addr, store.ConnLimits{}, false)
			require.NoError(t, err)
			assert.Equal(t, store.CapNone, c)
		}
	})

	t.Run("epoch is created once", func(t *testing.T) {
		l, _ := newStore(t)
		fresh, err := l.EnsureEpoch(ctx(t))
		require.NoError(t, err)
		assert.True(t, fresh, "a new Live is fresh")
		fresh, err = l.EnsureEpoch(ctx(t))
		require.NoError(t, err)
		assert.False(t, fresh)
	})

	t.Run("ping", func(t *testing.T) {
		l, _ := newStore(t)
		assert.NoError(t, l.Ping(ctx(t)))
	})
}

// pairsOf keeps the pairs made only of the given seeks (a shared store may pair others too).
func pairsOf(pairs [][2]store.Seek, seeks []store.Seek) [][2]store.Seek {
	ids := map[string]bool{}
	for _, s := range seeks {
		ids[s.PlayerID] = true
	}
	var out [][2]store.Seek
	for _, p := range pairs {
		if ids[p[0].PlayerID] || ids[p[1].PlayerID] {
			out = append(out, p)
		}
	}
	return out
}
