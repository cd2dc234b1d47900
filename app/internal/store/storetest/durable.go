// Package storetest holds the contract tests every implementation of store.Durable and
// store.Live must pass. Implementations call RunDurable / RunLive from their own tests with a
// constructor that returns a fresh, empty store.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/store"
)

var seq struct {
	mu sync.Mutex
	n  int
}

// unique returns a name no other test of this process uses (stores may be shared).
func unique(prefix string) string {
	seq.mu.Lock()
	defer seq.mu.Unlock()
	seq.n++
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1_000_000, seq.n)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func newPlayer(t *testing.T, d store.Durable, guest bool) store.Player {
	t.Helper()
	p := store.Player{ID: unique("p_"), Name: unique("n"), Guest: guest, PasswordHash: "$argon2id$x", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if guest {
		p.PasswordHash = ""
	}
	require.NoError(t, d.CreatePlayer(ctx(t), p))
	return p
}

func newGame(t *testing.T, white, black store.Player, createdAt int64) *game.State {
	t.Helper()
	tc, err := protocol.ParseTimeControl("5+3")
	require.NoError(t, err)
	return game.New(unique("g_"), game.PlayerRef{ID: white.ID, Name: white.Name, Rating: 1500},
		game.PlayerRef{ID: black.ID, Name: black.Name, Rating: 1500}, tc, true, createdAt)
}

// playMoves applies moves to st (one commit per move) and returns the records.
func playMoves(t *testing.T, d store.Durable, st *game.State, ucis ...string) {
	t.Helper()
	for _, u := range ucis {
		prev := st.V
		out, err := st.Move(st.Turn(), u, len(st.Moves)+1, 0, st.CreatedAt+int64(len(st.Moves))*1000)
		require.NoError(t, err)
		st.Seal(&out)
		require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: prev, State: st, Move: out.Move}))
	}
}

// RunDurable runs the store.Durable contract.
func RunDurable(t *testing.T, newStore func(t *testing.T) store.Durable) {
	t.Run("players", func(t *testing.T) {
		d := newStore(t)
		p := newPlayer(t, d, false)
		got, err := d.PlayerByName(ctx(t), p.Name)
		require.NoError(t, err)
		assert.Equal(t, p.ID, got.ID)
		assert.Equal(t, p.PasswordHash, got.PasswordHash)
		assert.False(t, got.Guest)
		assert.WithinDuration(t, p.CreatedAt, got.CreatedAt, time.Millisecond)
		got, err = d.PlayerByID(ctx(t), p.ID)
		require.NoError(t, err)
		assert.Equal(t, p.Name, got.Name)
		// Names are unique regardless of case.
		dup := store.Player{ID: unique("p_"), Name: upper(p.Name), CreatedAt: time.Now()}
		assert.ErrorIs(t, d.CreatePlayer(ctx(t), dup), store.ErrNameTaken)
		got, err = d.PlayerByName(ctx(t), upper(p.Name))
		require.NoError(t, err)
		assert.Equal(t, p.ID, got.ID)
		_, err = d.PlayerByName(ctx(t), "nobody_"+unique(""))
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = d.PlayerByID(ctx(t), "p_missing")
		assert.ErrorIs(t, err, store.ErrNotFound)
		g := newPlayer(t, d, true)
		got, err = d.PlayerByID(ctx(t), g.ID)
		require.NoError(t, err)
		assert.True(t, got.Guest)
	})

	t.Run("game commits are version checked and atomic", func(t *testing.T) {
		d := newStore(t)
		w, b := newPlayer(t, d, false), newPlayer(t, d, false)
		st := newGame(t, w, b, time.Now().UnixMilli())
		require.NoError(t, d.CreateGame(ctx(t), st))
		playMoves(t, d, st, "e2e4", "e7e5")

		loaded, err := d.LoadGame(ctx(t), st.ID)
		require.NoError(t, err)
		assert.Equal(t, st.V, loaded.V)
		assert.Equal(t, []string{"e2e4", "e7e5"}, loaded.Moves)
		assert.Equal(t, st.Rules.FEN, loaded.Rules.FEN)
		assert.Equal(t, st.Clock, loaded.Clock)

		// A stale writer (wrong PrevV) changes nothing.
		stale := loaded.Clone()
		out, err := stale.Move(rules.White, "g1f3", 3, 0, stale.CreatedAt+5000)
		require.NoError(t, err)
		stale.Seal(&out)
		err = d.CommitGame(ctx(t), store.Commit{PrevV: stale.V - 2, State: stale, Move: out.Move})
		assert.ErrorIs(t, err, store.ErrConflict)
		// A second writer of the same ply with the right version wins once only.
		ok := loaded.Clone()
		out1, err := ok.Move(rules.White, "d2d4", 3, 0, ok.CreatedAt+5000)
		require.NoError(t, err)
		ok.Seal(&out1)
		require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: loaded.V, State: ok, Move: out1.Move}))
		err = d.CommitGame(ctx(t), store.Commit{PrevV: loaded.V, State: stale, Move: out.Move})
		assert.ErrorIs(t, err, store.ErrConflict)

		again, err := d.LoadGame(ctx(t), st.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"e2e4", "e7e5", "d2d4"}, again.Moves)
		moves, err := d.GameMoves(ctx(t), st.ID)
		require.NoError(t, err)
		require.Len(t, moves, 3)
		for i, m := range moves {
			assert.Equal(t, i+1, m.Ply)
		}
		assert.Equal(t, "d4", moves[2].SAN)
		assert.Equal(t, "d2d4", moves[2].UCI)

		_, err = d.LoadGame(ctx(t), "g_missing1")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("concurrent commits of one version: exactly one wins", func(t *testing.T) {
		d := newStore(t)
		w, b := newPlayer(t, d, false), newPlayer(t, d, false)
		st := newGame(t, w, b, time.Now().UnixMilli())
		require.NoError(t, d.CreateGame(ctx(t), st))
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := st.Clone()
				out, err := c.Move(rules.White, []string{"e2e4", "d2d4", "c2c4", "g1f3", "b1c3", "f2f4", "b2b3", "g2g3"}[i], 1, 0, c.CreatedAt+10)
				if err != nil {
					errs[i] = err
					return
				}
				c.Seal(&out)
				errs[i] = d.CommitGame(ctx(t), store.Commit{PrevV: 0, State: c, Move: out.Move})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				assert.ErrorIs(t, err, store.ErrConflict)
			}
		}
		assert.Equal(t, 1, wins)
		moves, err := d.GameMoves(ctx(t), st.ID)
		require.NoError(t, err)
		assert.Len(t, moves, 1)
	})

	t.Run("rating writes are version checked with the game", func(t *testing.T) {
		d := newStore(t)
		w, b := newPlayer(t, d, false), newPlayer(t, d, false)
		st := newGame(t, w, b, time.Now().UnixMilli())
		require.NoError(t, d.CreateGame(ctx(t), st))
		rs, err := d.Ratings(ctx(t), w.ID)
		require.NoError(t, err)
		assert.Empty(t, rs)

		out, err := st.Resign(rules.White, 0, st.CreatedAt+100)
		require.NoError(t, err)
		newW, newB := rating.New(), rating.New()
		newW.R, newW.Games = 1400, 1
		newB.R, newB.Games = 1600, 1
		st.SetRatings(protocol.EndRatings{White: protocol.RatingChange{Before: 1500, After: 1400}, Black: protocol.RatingChange{Before: 1500, After: 1600}})
		st.Seal(&out)
		writes := []store.RatingWrite{
			{PlayerID: w.ID, Speed: st.Speed, PrevVersion: 0, New: newW},
			{PlayerID: b.ID, Speed: st.Speed, PrevVersion: 1, New: newB}, // wrong version
		}
		err = d.CommitGame(ctx(t), store.Commit{PrevV: 0, State: st, Ratings: writes})
		assert.ErrorIs(t, err, store.ErrConflict)
		loaded, err := d.LoadGame(ctx(t), st.ID)
		require.NoError(t, err)
		assert.False(t, loaded.Ended(), "a failed rating write must not end the game")
		rs, err = d.Ratings(ctx(t), w.ID)
		require.NoError(t, err)
		assert.Empty(t, rs, "a failed commit must not write any rating")
		hist, err := d.RatingHistory(ctx(t), w.ID, st.Speed, 10)
		require.NoError(t, err)
		assert.Empty(t, hist, "a failed commit must not record any rating point")

		writes[1].PrevVersion = 0
		require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: 0, State: st, Ratings: writes}))
		rs, err = d.Ratings(ctx(t), b.ID)
		require.NoError(t, err)
		require.Contains(t, rs, st.Speed)
		assert.InDelta(t, 1600, rs[st.Speed].Rating.R, 1e-9)
		assert.Equal(t, int64(1), rs[st.Speed].Version)
		assert.Equal(t, 1, rs[st.Speed].Rating.Games)
		loaded, err = d.LoadGame(ctx(t), st.ID)
		require.NoError(t, err)
		assert.True(t, loaded.Ended())
		require.NotNil(t, loaded.Ratings)
		assert.Equal(t, 1600, loaded.Ratings.Black.After)
	})

	t.Run("rating history: a point per rated game, newest first, per speed", func(t *testing.T) {
		d := newStore(t)
		w, b := newPlayer(t, d, false), newPlayer(t, d, false)
		versions := map[string]int64{}
		var (
			gameIDs []string
			speed   rating.Speed
		)
		start := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		for i := range 3 {
			st := newGame(t, w, b, start.Add(time.Duration(i)*time.Minute).UnixMilli())
			require.NoError(t, d.CreateGame(ctx(t), st))
			out, err := st.Resign(rules.Black, 0, st.CreatedAt+1000)
			require.NoError(t, err)
			st.Seal(&out)
			var writes []store.RatingWrite
			for j, p := range []store.Player{w, b} {
				r := rating.New()
				r.R, r.RD, r.Games = 1500+float64(10*(i+1)*(1-2*j)), 300-float64(20*i), i+1
				r.LastRated = time.UnixMilli(st.CreatedAt + 1000).UTC()
				writes = append(writes, store.RatingWrite{PlayerID: p.ID, Speed: st.Speed, PrevVersion: versions[p.ID], New: r})
				versions[p.ID]++
			}
			require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: 0, State: st, Ratings: writes}))
			gameIDs, speed = append(gameIDs, st.ID), st.Speed
		}
		hist, err := d.RatingHistory(ctx(t), w.ID, speed, 10)
		require.NoError(t, err)
		require.Len(t, hist, 3)
		for i, p := range hist {
			n := 3 - i // newest first
			assert.Equal(t, gameIDs[n-1], p.GameID)
			assert.InDelta(t, 1500+float64(10*n), p.Rating.R, 1e-9)
			assert.InDelta(t, 300-float64(20*(n-1)), p.Rating.RD, 1e-9)
			assert.Equal(t, n, p.Rating.Games)
			assert.True(t, start.Add(time.Duration(n-1)*time.Minute+time.Second).Equal(p.Rating.LastRated), "%v", p.Rating.LastRated)
		}
		two, err := d.RatingHistory(ctx(t), b.ID, speed, 2)
		require.NoError(t, err)
		require.Len(t, two, 2)
		assert.Equal(t, gameIDs[2], two[0].GameID)
		assert.InDelta(t, 1470, two[0].Rating.R, 1e-9)
		none, err := d.RatingHistory(ctx(t), w.ID, rating.Bullet, 10)
		require.NoError(t, err)
		assert.Empty(t, none, "another speed has no points")
		none, err = d.RatingHistory(ctx(t), w.ID, speed, 0)
		require.NoError(t, err)
		assert.Empty(t, none)
		_, err = d.RatingHistory(ctx(t), w.ID, speed, -1)
		assert.Error(t, err)
	})

	t.Run("history, records and active games", func(t *testing.T) {
		d := newStore(t)
		me, other := newPlayer(t, d, false), newPlayer(t, d, false)
		base := time.Now().Add(-time.Hour).UnixMilli()
		var ids []string
		for i := 0; i < 5; i++ {
			w, b := me, other
			if i%2 == 1 {
				w, b = other, me
			}
			st := newGame(t, w, b, base+int64(i)*60_000)
			require.NoError(t, d.CreateGame(ctx(t), st))
			ids = append(ids, st.ID)
			if i < 3 { // three ended games: me wins, me loses (resigns as black? see below), draw
				var out game.Outcome
				var err error
				switch i {
				case 0:
					out, err = st.Resign(rules.Black, 0, st.CreatedAt+1000) // other (black) resigns: me wins
				case 1:
					out, err = st.Resign(rules.Black, 0, st.CreatedAt+1000) // me (black) resigns: me loses
				case 2:
					o1, e1 := st.OfferDraw(rules.White, 0, st.CreatedAt+500)
					require.NoError(t, e1)
					st.Seal(&o1)
					require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: 0, State: st}))
					out, err = st.AcceptDraw(rules.Black, 0, st.CreatedAt+1000)
				}
				require.NoError(t, err)
				prev := st.V
				st.Seal(&out)
				require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: prev, State: st}))
			}
		}
		games, err := d.PlayerGames(ctx(t), me.ID, time.Time{}, 3)
		require.NoError(t, err)
		require.Len(t, games, 3)
		assert.Equal(t, []string{ids[4], ids[3], ids[2]}, []string{games[0].ID, games[1].ID, games[2].ID}, "newest first")
		assert.Equal(t, "started", games[0].Status)
		assert.Equal(t, "ended", games[2].Status)
		assert.Equal(t, "agreement", games[2].Reason)
		assert.False(t, games[2].EndedAt.IsZero())
		next, err := d.PlayerGames(ctx(t), me.ID, games[2].CreatedAt, 10)
		require.NoError(t, err)
		require.Len(t, next, 2)
		assert.Equal(t, []string{ids[1], ids[0]}, []string{next[0].ID, next[1].ID})

		rec, err := d.Record(ctx(t), me.ID)
		require.NoError(t, err)
		assert.Equal(t, store.Record{Games: 3, Wins: 1, Draws: 1, Losses: 1}, rec)

		activeVersions, err := d.ActiveGames(ctx(t))
		require.NoError(t, err)
		var active []string
		for _, g := range activeVersions {
			active = append(active, g.ID)
			assert.Equal(t, int64(0), g.V, "running games of this test have no events")
		}
		assert.Subset(t, active, []string{ids[3], ids[4]})
		assert.NotContains(t, active, ids[0])
	})

	t.Run("leaderboard ranks established registered players", func(t *testing.T) {
		d := newStore(t)
		speed := rating.Speed("classical")
		type entry struct {
			r, rd float64
			guest bool
		}
		var names []string
		entries := []entry{{2100, 60, false}, {1900, 80, false}, {2500, 200, false}, {2300, 70, true}, {2000, 109.9, false}}
		for _, en := range entries {
			p := newPlayer(t, d, en.guest)
			names = append(names, p.Name)
			opp := newPlayer(t, d, false)
			st := newGame(t, p, opp, time.Now().UnixMilli())
			st.Speed = speed
			require.NoError(t, d.CreateGame(ctx(t), st))
			out, err := st.Resign(rules.Black, 0, st.CreatedAt+10)
			require.NoError(t, err)
			st.Seal(&out)
			r := rating.Rating{R: en.r, RD: en.rd, Vol: 0.06, Games: 30}
			opR := rating.Rating{R: 1000, RD: 300, Vol: 0.06, Games: 1}
			require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: 0, State: st, Ratings: []store.RatingWrite{
				{PlayerID: p.ID, Speed: speed, New: r}, {PlayerID: opp.ID, Speed: speed, New: opR},
			}}))
		}
		lb, err := d.Leaderboard(ctx(t), speed, 100)
		require.NoError(t, err)
		var got []string
		for _, e := range lb {
			got = append(got, e.Name)
		}
		// Provisional (RD ≥ 110) and guests are left out; the rest by rating, highest first.
		want := []string{names[0], names[4], names[1]}
		assert.Equal(t, want, filter(got, names))
		lb, err = d.Leaderboard(ctx(t), speed, 1)
		require.NoError(t, err)
		assert.Len(t, lb, 1)
	})

	t.Run("ping", func(t *testing.T) {
		assert.NoError(t, newStore(t).Ping(ctx(t)))
	})
}

func filter(got, keep []string) []string {
	set := map[string]bool{}
	for _, k := range keep {
		set[k] = true
	}
	var out []string
	for _, g := range got {
		if set[g] {
			out = append(out, g)
		}
	}
	return out
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
