package loadgen

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/store/memstore"
)

// startBackend runs the real backend handler in memory mode on a loopback port.
func startBackend(t *testing.T) string {
	t.Helper()
	signer, err := authn.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	now := func() int64 { return time.Now().UnixMilli() }
	be, err := backend.New(ctx, backend.Options{Durable: memstore.NewDurable(), Live: memstore.NewLive(now),
		Signer: signer, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(be.Handler)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = be.Shutdown(sctx)
		ts.Close()
		cancel()
	})
	return ts.URL
}

func quickConfig(url string) Config {
	c := DefaultConfig()
	c.URLs = []string{url}
	c.Games, c.Spectators, c.Warmup, c.StepDuration, c.LibrarySize = 6, 0.5, 2*time.Second, 2*time.Second, 10
	c.MaxPlies, c.DrainTimeout = 12, 5*time.Second // short games: several end by resignation within the run
	c.ServerPIDs = []int{os.Getpid()}
	return c
}

func TestOpenLoopRunPlaysAndMeasures(t *testing.T) {
	if testing.Short() {
		t.Skip("plays for several seconds")
	}
	url := startBackend(t)
	c := quickConfig(url)
	c.Rates = []float64{60, 90}
	res, err := Run(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, res.Steps, 2)
	assert.Equal(t, 15, res.Connections) // 6 games × 2 players + 3 spectators
	assert.Equal(t, 15, res.Setup.SessionsCreated)
	for i, s := range res.Steps {
		assert.Empty(t, s.Errors, "step %d", i)
		assert.Equal(t, 15, s.ConnectionsHeld, "step %d", i)
		assert.Positive(t, s.MovesAcked, "step %d", i)
		assert.Positive(t, s.Push.Count, "step %d", i)
		assert.Positive(t, s.Spectator.Count, "step %d", i)
		assert.Positive(t, s.Server.CPUCores, "step %d", i)
		assert.Positive(t, s.Server.RSSBytes, "step %d", i)
		// An open loop offers what was asked: within a generous band for a 2 s step.
		assert.InDelta(t, c.Rates[i], s.AchievedMovesPerSec, c.Rates[i]*0.6, "step %d", i)
	}
	var endings uint64
	for _, s := range res.Steps {
		endings += sum(s.Endings)
	}
	assert.Positive(t, endings, "12-ply games end by resignation and new ones start")
	in := res.Integrity
	assert.False(t, in.Checked)
	assert.Positive(t, in.MovesAcked)
	assert.Zero(t, in.Unanswered)
	assert.Zero(t, in.MovesFailed)
	assert.Equal(t, in.MovesSent, in.MovesAcked)
}

func TestClosedLoopRunIsBoundedByThePlayerRate(t *testing.T) {
	if testing.Short() {
		t.Skip("plays for several seconds")
	}
	url := startBackend(t)
	c := quickConfig(url)
	c.Mode, c.Rates, c.Steps, c.Spectators, c.MaxPlayerRate = ModeClosed, nil, 1, 0, 10
	c.IPOffset = 1000
	res, err := Run(context.Background(), c)
	require.NoError(t, err)
	s := res.Steps[0]
	assert.Empty(t, s.Errors)
	// 6 games, each player at most 10 moves/s: at most 120 moves/s, and a loopback server in
	// memory mode keeps well above half of that.
	assert.LessOrEqual(t, s.AchievedMovesPerSec, 125.0)
	assert.Greater(t, s.AchievedMovesPerSec, 40.0)
}

func TestRunFailsClearlyWithoutAServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + l.Addr().String()
	l.Close()
	c := quickConfig(url)
	c.Rates = []float64{50}
	_, err = Run(context.Background(), c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/api/sessions")
}

func TestIdleHoldsConnectionsAndMeasuresMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("holds connections for seconds")
	}
	url := startBackend(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	ps := httptest.NewServer(mux)
	t.Cleanup(ps.Close)
	c := DefaultIdleConfig()
	c.URL, c.Conns, c.Hold, c.PingInterval, c.Settle = url, 200, 2*time.Second, time.Second, 0
	c.ServerPID, c.PprofURL, c.IPOffset = os.Getpid(), ps.URL, 5000
	res, err := RunIdle(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, 200, res.Held)
	assert.Zero(t, res.PongsMissed)
	require.NotNil(t, res.MemBefore)
	require.NotNil(t, res.MemAfter)
	assert.Positive(t, res.MemAfter.HeapInuse)
	assert.Positive(t, res.MemAfter.Goroutines)
	// Client and server share this process: each connection costs goroutines on both sides.
	assert.Greater(t, res.GoroutinesPer, 1.0)
}
