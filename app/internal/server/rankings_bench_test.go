package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// BenchmarkRankLookup100k compares a player's rank lookup (all four speeds, as the profile
// asks) over 100,000 ranked players per speed, from Redis (one ZRANK per speed in one script)
// and from PostgreSQL (one count of the players ahead per speed), for players drawn uniformly.
// Both sub-benchmarks run on the same data in the same run; each reports its latency
// percentiles. It also logs how long the server's rebuild of the 400,000 entries into Redis
// took. Run: go test -run '^$' -bench BenchmarkRankLookup100k -benchtime 3s ./app/internal/server/
func BenchmarkRankLookup100k(b *testing.B) {
	const players = 100_000
	rs := startRealStores(b)
	d, l := rs.durable, rs.live
	seedRankedSQL(b, rs.pg.DSN, players, true)
	ctx := context.Background()
	start := time.Now()
	startServer(b, d, l, Config{})
	require.Eventually(b, func() bool {
		_, err := l.Ranks(ctx, "seed1")
		return err == nil
	}, 10*time.Minute, 50*time.Millisecond)
	b.Logf("rankings of %d players x 4 speeds rebuilt into Redis in %v", players, time.Since(start).Round(time.Millisecond))
	for _, sp := range store.RankSpeeds {
		lb, err := l.Leaderboard(ctx, sp, players)
		require.NoError(b, err)
		require.Len(b, lb, players, "every seeded player is ranked in %s", sp)
	}
	// The two stores agree on the players the benchmark asks about.
	for i := 1; i <= players; i += players / 50 {
		name := fmt.Sprintf("seed%d", i)
		want, err := d.Ranks(ctx, name)
		require.NoError(b, err)
		got, err := l.Ranks(ctx, name)
		require.NoError(b, err)
		require.Equal(b, want, got, name)
	}

	for _, c := range []struct {
		name  string
		ranks func(context.Context, string) (map[rating.Speed]int, error)
	}{
		{"redis", l.Ranks},
		{"postgres", d.Ranks},
	} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(b.N)))
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				name := fmt.Sprintf("seed%d", 1+rng.IntN(players))
				t0 := time.Now()
				r, err := c.ranks(ctx, name)
				lat = append(lat, time.Since(t0))
				if err != nil || len(r) != 4 {
					b.Fatalf("ranks of %s: %v %v", name, r, err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.5), "p50-ms")
			b.ReportMetric(pct(0.9), "p90-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
