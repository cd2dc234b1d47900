package redisstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// shared is the package's redis-server; tests that stop or restart Redis start their own.
var shared *redisServer

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redisstore-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared, err = newRedisServer(dir, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting redis-server:", err)
		os.Exit(1)
	}
	code := m.Run()
	shared.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var seq atomic.Int64

func uniq(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1_000_000_000, seq.Add(1))
}

// testLogger shows warnings and errors on stderr (background goroutines may log after a test
// ends, so not through t.Log).
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openT opens a store on addr with its own key prefix (unless mod sets one) and closes it at
// cleanup.
func openT(t testing.TB, addr string, mod func(*Config)) *Store {
	t.Helper()
	cfg := Config{Addr: addr, KeyPrefix: uniq("t") + ":", InstanceID: uniq("i-"), Logger: testLogger()}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func subscribeT(t testing.TB, s *Store) *subscription {
	t.Helper()
	sub, err := s.Subscribe(tctx(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	return sub.(*subscription)
}

func recvT(t testing.TB, sub store.Subscription, within time.Duration) store.Message {
	t.Helper()
	select {
	case m, ok := <-sub.Messages():
		require.True(t, ok, "messages closed")
		return m
	case <-time.After(within):
		t.Fatalf("no message within %v", within)
		return store.Message{}
	}
}

func noMessage(t testing.TB, sub store.Subscription, within time.Duration) {
	t.Helper()
	select {
	case m := <-sub.Messages():
		t.Fatalf("unexpected message on %s: %s", m.Topic, m.Payload)
	case <-time.After(within):
	}
}

// openings are legal moves without repetition (from the storetest contract).
var openings = []string{"g1f3", "g8f6", "b1c3", "b8c6", "e2e4", "e7e5", "d2d4", "d7d5", "c1g5", "c8g4",
	"f1b5", "f8b4", "d1d2", "d8d7", "a2a3", "a7a6", "h2h3", "h7h6", "b2b3", "b7b6", "g2g3", "g7g6"}

func newGame(t testing.TB) *game.State {
	t.Helper()
	tc, err := protocol.ParseTimeControl("3+0")
	require.NoError(t, err)
	return game.New(uniq("g_"), game.PlayerRef{ID: uniq("p_"), Name: "w"}, game.PlayerRef{ID: uniq("p_"), Name: "b"}, tc, false, time.Now().UnixMilli())
}

func step(t testing.TB, st *game.State, uci string) []game.Event {
	t.Helper()
	out, err := st.Move(st.Turn(), uci, len(st.Moves)+1, 0, st.CreatedAt+int64(len(st.Moves)+1)*100)
	require.NoError(t, err)
	return st.Seal(&out)
}

// versions plays the openings and returns the state after each version (index = version) and
// the events that produced it.
func versions(t testing.TB) ([]*game.State, [][]game.Event) {
	t.Helper()
	st := newGame(t)
	states, events := []*game.State{st.Clone()}, [][]game.Event{nil}
	for _, u := range openings {
		ev := step(t, st, u)
		require.Len(t, ev, 1)
		states = append(states, st.Clone())
		events = append(events, ev)
	}
	return states, events
}

// proxy is a TCP proxy in front of Redis that can delay what clients send and freeze the
// connections it holds (bytes stop flowing, nothing is closed), as a vanished peer would.
type proxy struct {
	ln     net.Listener
	target string
	delay  atomic.Int64 // ns added before forwarding each client chunk
	closed atomic.Bool
	mu     sync.Mutex
	conns  []*proxyConn
}

type proxyConn struct {
	frozen atomic.Bool
	a, b   net.Conn
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() {
		p.closed.Store(true)
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.a.Close()
			_ = c.b.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			a, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", target)
			if err != nil {
				_ = a.Close()
				continue
			}
			c := &proxyConn{a: a, b: b}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			go p.pump(c, a, b, true)
			go p.pump(c, b, a, false)
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) pump(c *proxyConn, from, to net.Conn, upstream bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			if d := p.delay.Load(); upstream && d > 0 {
				time.Sleep(time.Duration(d))
			}
			for c.frozen.Load() && !p.closed.Load() {
				time.Sleep(10 * time.Millisecond) // hold the bytes, keep the socket open
			}
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				_ = to.Close()
			} else if tc, ok := to.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// freeze stops every connection open now; later connections flow normally.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.frozen.Store(true)
	}
}
