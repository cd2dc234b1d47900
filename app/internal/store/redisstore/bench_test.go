package redisstore

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/store"
)

// benchGame returns a mid-game state (the openings played) and the frame of its last move.
func benchGame(b *testing.B) (*game.State, []byte) {
	b.Helper()
	st := newGame(b)
	var last []game.Event
	for _, u := range openings {
		last = step(b, st, u)
	}
	return st, last[0].Frame
}

func opsPerSec(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// drain follows topics and discards what arrives, so publishing has a real subscriber.
func drain(b *testing.B, s *Store) *subscription {
	sub := subscribeT(b, s)
	go func() {
		for range sub.Messages() {
		}
	}()
	return sub
}

// BenchmarkPutGame caches one move's state and event per call (the script with its PUBLISH,
// received by a subscriber). seq: one game, one caller; parallel: one game per goroutine.
func BenchmarkPutGame(b *testing.B) {
	s := openT(b, shared.Addr, nil)
	ctx := context.Background()
	sub := drain(b, s)
	b.Run("seq", func(b *testing.B) {
		st, frame := benchGame(b)
		require.NoError(b, sub.Add(ctx, store.GameTopic(st.ID)))
		b.ResetTimer()
		for b.Loop() {
			st.V++
			if err := s.PutGame(ctx, st, []game.Event{{V: st.V, Frame: frame}}); err != nil {
				b.Fatal(err)
			}
		}
		opsPerSec(b)
	})
	b.Run("parallel", func(b *testing.B) {
		games := make(chan *game.State, 256)
		var frame []byte
		for range cap(games) {
			st, f := benchGame(b)
			require.NoError(b, sub.Add(ctx, store.GameTopic(st.ID)))
			games <- st
			frame = f
		}
		b.ResetTimer()
		b.SetParallelism(8) // requests in flight, as many sessions of an instance have
		b.RunParallel(func(pb *testing.PB) {
			st := <-games
			for pb.Next() {
				st.V++
				if err := s.PutGame(ctx, st, []game.Event{{V: st.V, Frame: frame}}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		opsPerSec(b)
	})
}

func BenchmarkGetGame(b *testing.B) {
	s := openT(b, shared.Addr, nil)
	ctx := context.Background()
	st, _ := benchGame(b)
	require.NoError(b, s.PutGame(ctx, st, nil))
	b.Run("seq", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.GetGame(ctx, st.ID); err != nil {
				b.Fatal(err)
			}
		}
		opsPerSec(b)
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8) // requests in flight, as many sessions of an instance have
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.GetGame(ctx, st.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
		opsPerSec(b)
	})
}

// BenchmarkHistory replays the last 5 of 20 kept events (a reconnecting client).
func BenchmarkHistory(b *testing.B) {
	s := openT(b, shared.Addr, nil)
	ctx := context.Background()
	st := newGame(b)
	require.NoError(b, s.PutGame(ctx, st, nil))
	for _, u := range openings {
		require.NoError(b, s.PutGame(ctx, st, step(b, st, u)))
	}
	var bad atomic.Int64
	check := func(frames [][]byte, complete bool, err error) bool {
		if err != nil || !complete || len(frames) != 5 {
			bad.Add(1)
			return false
		}
		return true
	}
	b.Run("seq", func(b *testing.B) {
		for b.Loop() {
			if !check(s.History(ctx, st.ID, st.V-5)) {
				b.Fatal("history: unexpected result")
			}
		}
		opsPerSec(b)
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8) // requests in flight, as many sessions of an instance have
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				check(s.History(ctx, st.ID, st.V-5))
			}
		})
		opsPerSec(b)
	})
	require.Zero(b, bad.Load())
}
