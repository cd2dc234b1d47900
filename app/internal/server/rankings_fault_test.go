package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// rankRebuildBound is the documented time (docs/design/backend.md, "Rankings") within which
// the rankings in Redis match PostgreSQL again after Redis restarted without its data: up to
// one EpochInterval (2 s) to notice, then the rebuild, which reads and loads about 15,000
// ranked entries per second on the test machine.
const rankRebuildBound = 10 * time.Second

// TestRankingsRebuiltAfterRedisRestart restarts redis-server (no persistence: it comes back
// empty) under a server with 5,000 players (about 14,600 ranked entries over four speeds) and
// requires the leaderboards and ranks in Redis to match PostgreSQL again within
// rankRebuildBound; a rated game played right after the restart, while the rankings are
// rebuilt, goes through and is ranked.
func TestRankingsRebuiltAfterRedisRestart(t *testing.T) {
	rs := startRealStores(t)
	d, l := rs.durable, rs.live
	const seeded = 5000
	seedRankedSQL(t, rs.pg.DSN, seeded, false)
	host := newStorePlayer(t, d, "host_player", false)
	now := time.Now().UnixMilli()
	var players []store.Player
	for i := range 4 {
		p := newStorePlayer(t, d, fmt.Sprintf("fault_%d", i), false)
		seedRating(t, d, p, host, rating.Blitz, rating.Rating{R: 1600 + float64(i), RD: 70, Vol: 0.06, Games: 40, LastRated: time.Now().UTC()}, now)
		players = append(players, p)
	}
	names := []string{host.Name}
	for _, p := range players {
		names = append(names, p.Name)
	}
	for i := 1; i <= seeded; i += seeded / 100 {
		names = append(names, fmt.Sprintf("seed%d", i))
	}

	s := startServer(t, d, l, Config{})
	ctx := context.Background()
	const limit = seeded + 10
	require.Eventually(t, func() bool { return rankDiff(ctx, d, l, nil, limit) == "" }, 30*time.Second, 100*time.Millisecond,
		"the rankings were not built at start")
	playRated(t, s, d, players[0], players[1], "3+0", 1, time.Now().UnixMilli())
	require.Empty(t, rankDiff(ctx, d, l, names, limit))

	rs.redis.Stop()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, rs.redis.Start(rctx))
	restarted := time.Now()

	// Play goes on while the rankings are rebuilt; the game's rating change is ranked.
	playRated(t, s, d, players[2], players[3], "3+0", 0, time.Now().UnixMilli())
	played := time.Since(restarted)

	// Poll cheaply until Redis answers again, then compare everything; the time is when the
	// comparison that found them equal began (it takes a while itself).
	var (
		diff = "not compared"
		took time.Duration
	)
	for time.Since(restarted) <= rankRebuildBound {
		if _, err := l.Ranks(ctx, host.Name); err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		took = time.Since(restarted)
		if diff = rankDiff(ctx, d, l, names, limit); diff == "" {
			break
		}
	}
	require.Empty(t, diff, "rankings still differ from PostgreSQL %v after the restart", took)
	t.Logf("rankings equal PostgreSQL again %v after the restart (a rated game took %v meanwhile)", took.Round(time.Millisecond), played.Round(time.Millisecond))
}
