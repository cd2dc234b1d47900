package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/cputime"
	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store/memstore"
)

// signalConn tells the benchmark when a move event arrived.
type signalConn struct{ moves chan struct{} }

func (c *signalConn) Send(frame []byte) bool {
	if bytes.HasPrefix(frame, []byte(`{"t":"move","v":`)) {
		c.moves <- struct{}{}
	}
	return true
}

func (c *signalConn) Close(string) {}

// benchLine is a 20-ply game that does not end.
var benchLine = []string{"e2e4", "c7c5", "g1f3", "d7d6", "d2d4", "c5d4", "f3d4", "g8f6", "b1c3", "a7a6",
	"c1e3", "e7e5", "d4b3", "c8e6", "f2f3", "f8e7", "d1d2", "e8g8", "e1c1", "b8d7"}

// BenchmarkMoveEndToEnd is one move through the whole server in process, on the memory stores:
// the mover's frame is handled (decode, state from the cache, rules, clock, commit, cache,
// publish) until the opponent's connection is handed the move event. It reports the
// allocations and the CPU per move; the transport and the real stores are not in it.
func BenchmarkMoveEndToEnd(b *testing.B) {
	ctx := context.Background()
	durable := memstore.NewDurable()
	live := memstore.NewLive(func() int64 { return time.Now().UnixMilli() })
	// No rate limit to speak of: the benchmark sends as fast as the server answers.
	cfg := Config{RateLimit: RateLimit{Rate: 1e9, Burst: 1e9, MaxViolations: 1 << 30, ViolationWindow: time.Second}}
	s, err := New(ctx, durable, live, slog.New(slog.NewJSONHandler(io.Discard, nil)), cfg)
	require.NoError(b, err)
	b.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = s.Shutdown(sctx, "bench over")
	})
	tc, err := protocol.ParseTimeControl("180+0")
	require.NoError(b, err)
	exp := time.Now().Add(time.Hour)
	wc, bc := &signalConn{moves: make(chan struct{}, 4)}, &signalConn{moves: make(chan struct{}, 4)}
	ws, err := s.Open(ctx, authn.Claims{PlayerID: "p_w", Name: "w", ExpiresAt: exp}, wc, Client{})
	require.NoError(b, err)
	bs, err := s.Open(ctx, authn.Claims{PlayerID: "p_b", Name: "b", ExpiresAt: exp}, bc, Client{})
	require.NoError(b, err)

	games, ack := 0, int64(0)
	newGame := func() string {
		games++
		id := fmt.Sprintf("g_bench%05d", games)
		st := game.New(id, game.PlayerRef{ID: "p_w"}, game.PlayerRef{ID: "p_b"}, tc, false, time.Now().UnixMilli())
		require.NoError(b, durable.CreateGame(ctx, st))
		require.NoError(b, live.PutGame(ctx, st, nil))
		for _, sess := range []*Session{ws, bs} {
			ack++
			s.Handle(ctx, sess, []byte(`{"t":"watch","d":{"game":"`+id+`","v":0},"a":`+strconv.FormatInt(ack, 10)+`}`))
		}
		return id
	}
	frames := make([][]byte, len(benchLine))
	id, ply := newGame(), 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Now()
	for i := 0; i < b.N; i++ {
		if ply == len(benchLine) {
			b.StopTimer()
			id, ply = newGame(), 0
			b.StartTimer()
		}
		ack++
		frames[ply] = append(frames[ply][:0], `{"t":"move","d":{"game":"`+id+`","u":"`+benchLine[ply]+`","ply":`+strconv.Itoa(ply+1)+`},"a":`+strconv.FormatInt(ack, 10)+`}`...)
		mover, opp := ws, bc
		if ply%2 == 1 {
			mover, opp = bs, wc
		}
		s.Handle(ctx, mover, frames[ply])
		// Both players watch the game, so both are sent the move event. No timeout here: a
		// timer per move would be counted as the server's allocation; a lost event hangs
		// until the test binary's -timeout.
		<-opp.moves
		if opp == wc {
			<-bc.moves
		} else {
			<-wc.moves
		}
		ply++
	}
	b.StopTimer()
	cputime.Report(b, cpu, b.N)
}
