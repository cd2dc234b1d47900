package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/store"
)

// rankWorld is a store under the ranking contract: how players get ratings in it, and its
// answers. The same cases run against Durable (ratings written by CommitGame) and Live
// (written by PutResult), so memory, Redis and PostgreSQL must all agree.
type rankWorld struct {
	ranking store.Ranking
	// player registers a player (or a guest) with a name.
	player func(t *testing.T, name string, guest bool) store.Player
	// rate records a rated game's end that gives the player r in speed.
	rate func(t *testing.T, p store.Player, speed rating.Speed, r rating.Rating)
}

// RunRankingDurable runs the ranking contract against a Durable; newStore returns a fresh,
// empty store.
func RunRankingDurable(t *testing.T, newStore func(t *testing.T) store.Durable) {
	runRanking(t, func(t *testing.T) rankWorld { return durableWorld(t, newStore(t)) })
}

// RunRankingLive runs the ranking contract against a Live; newStore returns a fresh, empty
// store. The rankings are first rebuilt (from nothing), as a server does at start.
func RunRankingLive(t *testing.T, newStore func(t *testing.T) store.Live) {
	runRanking(t, func(t *testing.T) rankWorld { return liveWorld(t, newStore(t)) })

	t.Run("rankings answer not built until a rebuild finished", func(t *testing.T) {
		l := newStore(t)
		_, err := l.Leaderboard(ctx(t), rating.Blitz, 10)
		assert.ErrorIs(t, err, store.ErrRankingsNotBuilt)
		_, err = l.Ranks(ctx(t), "nobody")
		assert.ErrorIs(t, err, store.ErrRankingsNotBuilt)
		_, err = l.EnsureEpoch(ctx(t))
		require.NoError(t, err)
		token, ok, err := l.ClaimRankRebuild(ctx(t), 60_000)
		require.NoError(t, err)
		require.True(t, ok)
		_, again, err := l.ClaimRankRebuild(ctx(t), 60_000)
		require.NoError(t, err)
		assert.False(t, again, "a second rebuild was leased while the first runs")
		held, err := l.RenewRankRebuild(ctx(t), 60_000)
		require.NoError(t, err)
		assert.True(t, held, "the claimer holds the lease")
		e := store.RankEntry{PlayerID: unique("p_"), Name: unique("n"), Speed: rating.Blitz, Rating: established(1800), Version: 4}
		require.NoError(t, l.LoadRanks(ctx(t), []store.RankEntry{e}))
		_, err = l.Leaderboard(ctx(t), rating.Blitz, 10)
		assert.ErrorIs(t, err, store.ErrRankingsNotBuilt, "a rebuild under way is not an answer")
		require.NoError(t, l.FinishRankRebuild(ctx(t), token))
		lb, err := l.Leaderboard(ctx(t), rating.Blitz, 10)
		require.NoError(t, err)
		assert.Equal(t, []store.LeaderboardEntry{{Name: e.Name, Rating: e.Rating}}, lb)
		held, err = l.RenewRankRebuild(ctx(t), 60_000)
		require.NoError(t, err)
		assert.False(t, held, "the lease ends with the rebuild")
		_, ok, err = l.ClaimRankRebuild(ctx(t), 60_000)
		require.NoError(t, err)
		assert.False(t, ok, "built rankings need no rebuild")
	})

	t.Run("an older entry never replaces a newer one", func(t *testing.T) {
		l := newStore(t)
		w := liveWorld(t, l)
		name := unique("n")
		newer := store.RankEntry{Name: name, Speed: rating.Rapid, Rating: established(2000), Version: 7}
		older := store.RankEntry{Name: name, Speed: rating.Rapid, Rating: established(2400), Version: 6}
		st := rankGame(t, rating.Rapid)
		require.NoError(t, l.PutResult(ctx(t), st, nil, []store.RankEntry{newer}))
		require.NoError(t, l.PutResult(ctx(t), st, nil, []store.RankEntry{older}))
		require.NoError(t, l.LoadRanks(ctx(t), []store.RankEntry{older}))
		lb, err := w.ranking.Leaderboard(ctx(t), rating.Rapid, 10)
		require.NoError(t, err)
		assert.Equal(t, []store.LeaderboardEntry{{Name: name, Rating: newer.Rating}}, lb)
		// A newer provisional rating takes the player off, and an older ranked one cannot
		// put them back.
		gone := store.RankEntry{Name: name, Speed: rating.Rapid, Rating: rating.Rating{R: 2000, RD: 150, Vol: 0.06, Games: 30}, Version: 8}
		require.NoError(t, l.PutResult(ctx(t), st, nil, []store.RankEntry{gone}))
		require.NoError(t, l.LoadRanks(ctx(t), []store.RankEntry{newer}))
		lb, err = w.ranking.Leaderboard(ctx(t), rating.Rapid, 10)
		require.NoError(t, err)
		assert.Empty(t, lb)
	})
}

func established(r float64) rating.Rating { return rating.Rating{R: r, RD: 60, Vol: 0.06, Games: 40} }

func rankGame(t *testing.T, speed rating.Speed) *game.State {
	t.Helper()
	st := liveGame(t, time.Now().UnixMilli())
	st.Speed, st.Rated = speed, true
	return st
}

func durableWorld(t *testing.T, d store.Durable) rankWorld {
	host := newPlayer(t, d, false)
	versions := map[[2]string]int64{}
	return rankWorld{
		ranking: d,
		player: func(t *testing.T, name string, guest bool) store.Player {
			p := store.Player{ID: unique("p_"), Name: name, Guest: guest, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
			require.NoError(t, d.CreatePlayer(ctx(t), p))
			return p
		},
		rate: func(t *testing.T, p store.Player, speed rating.Speed, r rating.Rating) {
			st := newGame(t, p, host, time.Now().UnixMilli())
			st.Speed = speed
			require.NoError(t, d.CreateGame(ctx(t), st))
			out, err := st.Resign(rules.Black, 0, st.CreatedAt+10)
			require.NoError(t, err)
			st.Seal(&out)
			k := [2]string{p.ID, string(speed)}
			require.NoError(t, d.CommitGame(ctx(t), store.Commit{PrevV: 0, State: st, Ratings: []store.RatingWrite{
				{PlayerID: p.ID, Speed: speed, PrevVersion: versions[k], New: r},
			}}))
			versions[k]++
		},
	}
}

func liveWorld(t *testing.T, l store.Live) rankWorld {
	_, err := l.EnsureEpoch(ctx(t))
	require.NoError(t, err)
	token, ok, err := l.ClaimRankRebuild(ctx(t), 60_000)
	require.NoError(t, err)
	require.True(t, ok, "a fresh Live needs its rankings built")
	require.NoError(t, l.FinishRankRebuild(ctx(t), token))
	versions := map[[2]string]int64{}
	return rankWorld{
		ranking: l,
		player: func(_ *testing.T, name string, guest bool) store.Player {
			return store.Player{ID: unique("p_"), Name: name, Guest: guest}
		},
		rate: func(t *testing.T, p store.Player, speed rating.Speed, r rating.Rating) {
			k := [2]string{p.ID, string(speed)}
			versions[k]++
			e := store.RankEntry{PlayerID: p.ID, Name: p.Name, Guest: p.Guest, Speed: speed, Rating: r, Version: versions[k]}
			require.NoError(t, l.PutResult(ctx(t), rankGame(t, speed), nil, []store.RankEntry{e}))
		},
	}
}

func runRanking(t *testing.T, newWorld func(t *testing.T) rankWorld) {
	names := func(lb []store.LeaderboardEntry) []string {
		out := []string{}
		for _, e := range lb {
			out = append(out, e.Name)
		}
		return out
	}
	ranks := func(t *testing.T, w rankWorld, name string) map[rating.Speed]int {
		t.Helper()
		r, err := w.ranking.Ranks(ctx(t), name)
		require.NoError(t, err)
		return r
	}

	t.Run("registered established players by rating, ties by name in byte order", func(t *testing.T) {
		w := newWorld(t)
		speed := rating.Classical
		base := unique("t")
		// Byte order: '-' < '0' < 'B' < '_' < 'a'; a linguistic collation would order them
		// differently (ignoring case and punctuation).
		tied := []string{base + "-", base + "0", base + "B", base + "_", base + "a"}
		for _, i := range []int{3, 0, 4, 2, 1} {
			w.rate(t, w.player(t, tied[i], false), speed, established(2000.25))
		}
		top := w.player(t, unique("top"), false)
		w.rate(t, top, speed, established(2000.2500000001))
		low := w.player(t, unique("low"), false)
		w.rate(t, low, speed, rating.Rating{R: 1900, RD: 109.99, Vol: 0.06, Games: 12})
		prov := w.player(t, unique("prov"), false)
		w.rate(t, prov, speed, rating.Rating{R: 2600, RD: 110, Vol: 0.06, Games: 9})
		guest := w.player(t, unique("guest"), true)
		w.rate(t, guest, speed, established(2700))

		lb, err := w.ranking.Leaderboard(ctx(t), speed, 100)
		require.NoError(t, err)
		want := append(append([]string{top.Name}, tied...), low.Name)
		assert.Equal(t, want, names(lb))
		assert.Equal(t, established(2000.2500000001), lb[0].Rating)
		assert.Equal(t, rating.Rating{R: 1900, RD: 109.99, Vol: 0.06, Games: 12}, lb[len(lb)-1].Rating)
		for i, n := range want {
			assert.Equal(t, map[rating.Speed]int{speed: i + 1}, ranks(t, w, n), n)
		}
		assert.Empty(t, ranks(t, w, prov.Name), "provisional players have no rank")
		assert.Empty(t, ranks(t, w, guest.Name), "guests have no rank")
		assert.Empty(t, ranks(t, w, unique("nobody")))

		lb, err = w.ranking.Leaderboard(ctx(t), speed, 2)
		require.NoError(t, err)
		assert.Equal(t, want[:2], names(lb))
		lb, err = w.ranking.Leaderboard(ctx(t), speed, 0)
		require.NoError(t, err)
		assert.Empty(t, lb)
		_, err = w.ranking.Leaderboard(ctx(t), speed, -1)
		assert.Error(t, err)
		lb, err = w.ranking.Leaderboard(ctx(t), rating.Bullet, 10)
		require.NoError(t, err)
		assert.Empty(t, lb, "another speed")
	})

	t.Run("players cross the provisional threshold both ways", func(t *testing.T) {
		w := newWorld(t)
		speed := rating.Blitz
		a, b, c := w.player(t, unique("a"), false), w.player(t, unique("b"), false), w.player(t, unique("c"), false)
		w.rate(t, a, speed, rating.Rating{R: 1700, RD: 250, Vol: 0.06, Games: 3})
		w.rate(t, b, speed, established(1600))
		w.rate(t, c, speed, established(1500))
		assert.Equal(t, map[rating.Speed]int{speed: 2}, ranks(t, w, c.Name))
		assert.Empty(t, ranks(t, w, a.Name))

		w.rate(t, a, speed, rating.Rating{R: 1650, RD: 109, Vol: 0.06, Games: 14}) // established now
		assert.Equal(t, map[rating.Speed]int{speed: 1}, ranks(t, w, a.Name))
		assert.Equal(t, map[rating.Speed]int{speed: 3}, ranks(t, w, c.Name))

		w.rate(t, b, speed, rating.Rating{R: 1610, RD: 121, Vol: 0.06, Games: 41}) // a long break
		lb, err := w.ranking.Leaderboard(ctx(t), speed, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{a.Name, c.Name}, names(lb))
		assert.Empty(t, ranks(t, w, b.Name))
	})

	t.Run("ranks are per speed", func(t *testing.T) {
		w := newWorld(t)
		p, q := w.player(t, unique("p"), false), w.player(t, unique("q"), false)
		w.rate(t, p, rating.Bullet, established(2100))
		w.rate(t, q, rating.Bullet, established(2200))
		w.rate(t, p, rating.Rapid, established(1800))
		w.rate(t, q, rating.Rapid, established(1700))
		w.rate(t, p, rating.Blitz, rating.Rating{R: 1900, RD: 300, Vol: 0.06, Games: 2})
		assert.Equal(t, map[rating.Speed]int{rating.Bullet: 2, rating.Rapid: 1}, ranks(t, w, p.Name))
		assert.Equal(t, map[rating.Speed]int{rating.Bullet: 1, rating.Rapid: 2}, ranks(t, w, q.Name))
	})
}
