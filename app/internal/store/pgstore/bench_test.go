package pgstore

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/store"
)

// dance is a legal move sequence that ends no game (the position repeats three times, fivefold
// would need more): a benchmark plays it in one game, then moves on to a fresh game.
var dance = []string{"g1f3", "g8f6", "f3g1", "f6g8", "b1c3", "b8c6", "c3b1", "c6b8", "g1f3", "g8f6", "f3g1", "f6g8"}

// benchGames creates n games and the commits that play the dance in a game, as templates.
func benchGames(b *testing.B, s *Store, n int) (ids []string, template []store.Commit) {
	b.Helper()
	w, bl := mkPlayer(b, s), mkPlayer(b, s)
	st := mkGame(b, s, w, bl)
	ids = append(ids, st.ID)
	for _, u := range dance {
		var c store.Commit
		st, c = moved(b, st, u)
		template = append(template, c)
	}
	for len(ids) < n {
		g := mkGame(b, s, w, bl)
		ids = append(ids, g.ID)
	}
	return ids, template
}

// forGame returns the template commit retargeted at game id.
func forGame(c store.Commit, id string) store.Commit {
	st := c.State.Clone()
	st.ID = id
	c.State = st
	return c
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkCommitMove: one writer, one move commit after another (each waits for its own
// durable commit: a round trip plus a WAL flush).
func BenchmarkCommitMove(b *testing.B) {
	s := openStore(b, freshDB(b, sharedPG))
	ctx := testCtx(b)
	ids, tmpl := benchGames(b, s, b.N/len(dance)+1)
	commits := make([]store.Commit, b.N)
	for i := range commits {
		commits[i] = forGame(tmpl[i%len(dance)], ids[i/len(dance)])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.CommitGame(ctx, commits[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkCommitMoveParallel: many writers, each playing its own games, as many concurrent
// games on one instance do. PostgreSQL flushes the WAL of commits that wait together at once
// (its own group commit), so throughput grows with concurrency while each commit still returns
// only after its own flush. group=N adds the store's group commit with N committers.
func BenchmarkCommitMoveParallel(b *testing.B) {
	for _, writers := range []int{8, 32} {
		for _, group := range []int{0, 1, 2, 4} {
			b.Run(fmt.Sprintf("writers=%d/group=%d", writers, group), func(b *testing.B) {
				benchParallel(b, writers, group)
			})
		}
	}
}

func benchParallel(b *testing.B, writers, group int) {
	s := openStore(b, freshDB(b, sharedPG), func(c *Config) {
		c.MaxConns, c.GroupCommit = int32(writers+group+1), group
	})
	ctx := testCtx(b)
	ids, tmpl := benchGames(b, s, b.N/len(dance)+writers+1)
	var next atomic.Int64
	b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var id string
		ply := len(dance)
		for pb.Next() {
			if ply == len(dance) {
				id, ply = ids[next.Add(1)-1], 0
			}
			if err := s.CommitGame(ctx, forGame(tmpl[ply], id)); err != nil {
				b.Error(err)
				return
			}
			ply++
		}
	})
	b.StopTimer()
	reportRate(b)
}

// The dance must really be playable without ending the game, or the benchmark measures errors.
func TestBenchDanceIsPlayable(t *testing.T) {
	st := game.New("g", game.PlayerRef{ID: "a"}, game.PlayerRef{ID: "b"}, mustTC(t, "5+3"), false, 1)
	for _, u := range dance {
		var c store.Commit
		st, c = moved(t, st, u)
		require.False(t, st.Ended(), u)
		require.NotNil(t, c.Move)
	}
}
