package backend_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store/memstore"
)

// fakeClock is the server's notion of now; tests advance it to make flags fall instantly.
type fakeClock struct{ ms atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

type env struct {
	t     *testing.T
	url   string
	hc    *http.Client
	clock *fakeClock
	be    *backend.Backend
}

type envOption func(*backend.Options)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	return newEnvSndBuf(t, 0, opts...)
}

// newEnvSndBuf is newEnv with SO_SNDBUF set on the server's accepted connections (0: default).
func newEnvSndBuf(t *testing.T, sndbuf int, opts ...envOption) *env {
	t.Helper()
	clock := &fakeClock{}
	clock.ms.Store(time.Now().UnixMilli())
	signer, err := authn.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	o := backend.Options{
		Durable: memstore.NewDurable(),
		Live:    memstore.NewLive(func() int64 { return clock.Now().UnixMilli() }),
		Signer:  signer,
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Server:  server.Config{Now: clock.Now, TickInterval: 10 * time.Millisecond, MatchInterval: 20 * time.Millisecond},
	}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	be, err := backend.New(ctx, o)
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(be.Handler)
	if sndbuf > 0 {
		ts.Listener = &sndBufListener{Listener: ts.Listener, size: sndbuf}
	}
	ts.Start()
	t.Cleanup(func() {
		ts.Config.SetKeepAlivesEnabled(false)
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = be.Shutdown(sctx)
		ts.Close()
		cancel()
	})
	return &env{t: t, url: ts.URL, hc: ts.Client(), clock: clock, be: be}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// player is one connected client of a player.
type player struct {
	sess wsclient.Session
	c    *wsclient.Client
}

func (e *env) guest() *player {
	e.t.Helper()
	ctx := ctxT(e.t)
	s, err := wsclient.Guest(ctx, e.hc, e.url)
	require.NoError(e.t, err)
	return e.connect(s)
}

func (e *env) registered(name string) *player {
	e.t.Helper()
	s, err := wsclient.Register(ctxT(e.t), e.hc, e.url, name, "correct horse battery")
	require.NoError(e.t, err)
	return e.connect(s)
}

func (e *env) connect(s wsclient.Session) *player {
	e.t.Helper()
	c, err := wsclient.Dial(ctxT(e.t), e.url, s.Token)
	require.NoError(e.t, err)
	e.t.Cleanup(c.CloseNow)
	// A ping round trip proves the session is registered, so nothing published from now on
	// (e.g. a gameStart) can be missed.
	require.NoError(e.t, c.Send(ctxT(e.t), "ping", nil))
	_, err = c.WaitType(ctxT(e.t), "pong")
	require.NoError(e.t, err)
	return &player{sess: s, c: c}
}

// pair seeks tc with both players and returns them as (white, black) and the game id.
func (e *env) pair(a, b *player, tc string, rated bool) (*player, *player, string) {
	e.t.Helper()
	ctx := ctxT(e.t)
	for _, p := range []*player{a, b} {
		a, err := p.c.SendAck(ctx, "seek", map[string]any{"tc": tc, "rated": rated})
		require.NoError(e.t, err)
		require.NoError(e.t, p.c.WaitAck(ctx, a))
	}
	var gs protocol.GameState
	for _, p := range []*player{a, b} {
		m, err := p.c.WaitType(ctx, "gameStart")
		require.NoError(e.t, err)
		require.NoError(e.t, json.Unmarshal(m.D, &gs))
	}
	white, black := a, b
	if gs.White.Name == b.sess.Player.Name {
		white, black = b, a
	}
	e.watch(white, gs.Game, 0)
	e.watch(black, gs.Game, 0)
	return white, black, gs.Game
}

// startFrom starts a game from a position directly through the service.
func (e *env) startFrom(white, black *player, tc, fen string) string {
	e.t.Helper()
	parsed, err := protocol.ParseTimeControl(tc)
	require.NoError(e.t, err)
	st, err := e.be.Server.StartGame(ctxT(e.t), white.sess.Player.ID, black.sess.Player.ID, parsed, false, fen)
	require.NoError(e.t, err)
	for _, p := range []*player{white, black} {
		_, err := p.c.WaitType(ctxT(e.t), "gameStart")
		require.NoError(e.t, err)
		e.watch(p, st.ID, 0)
	}
	return st.ID
}

// watch subscribes and consumes the resulting state message.
func (e *env) watch(p *player, game string, v int64) protocol.GameState {
	e.t.Helper()
	ctx := ctxT(e.t)
	a, err := p.c.SendAck(ctx, "watch", map[string]any{"game": game, "v": v})
	require.NoError(e.t, err)
	require.NoError(e.t, p.c.WaitAck(ctx, a))
	var gs protocol.GameState
	if v == 0 {
		m, err := p.c.WaitType(ctx, "state")
		require.NoError(e.t, err)
		require.NoError(e.t, json.Unmarshal(m.D, &gs))
	}
	return gs
}

// act sends an ackable game message and returns the error code ("" when acked).
func (e *env) act(p *player, t string, d map[string]any) string {
	e.t.Helper()
	ctx := ctxT(e.t)
	a, err := p.c.SendAck(ctx, t, d)
	require.NoError(e.t, err)
	m, err := p.c.Wait(ctx, func(m wsclient.Msg) bool { return wsclient.IsAck(m, a) || wsclient.IsErrorFor(m, a) })
	require.NoError(e.t, err)
	if m.T == "ack" {
		return ""
	}
	return m.Error().Code
}

// play makes moves alternately starting with white, requiring each to be acked.
func (e *env) play(white, black *player, game string, firstPly int, ucis ...string) {
	e.t.Helper()
	for i, u := range ucis {
		p := white
		if (firstPly+i)%2 == 0 {
			p = black
		}
		require.NotNil(e.t, p, "no client for ply %d", firstPly+i)
		code := e.act(p, "move", map[string]any{"game": game, "u": u, "ply": firstPly + i})
		require.Empty(e.t, code, "move %d %s", firstPly+i, u)
	}
}

func (e *env) state(game string) protocol.GameState {
	e.t.Helper()
	var gs protocol.GameState
	require.NoError(e.t, wsclient.GetJSON(ctxT(e.t), e.hc, e.url+"/api/games/"+game, http.StatusOK, &gs))
	return gs
}

// waitEvent waits for the next versioned event of type t on a client.
func waitEvent(t *testing.T, p *player, typ string) wsclient.Msg {
	t.Helper()
	m, err := p.c.WaitType(ctxT(t), typ)
	require.NoError(t, err)
	return m
}

func decode[T any](t *testing.T, m wsclient.Msg) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(m.D, &v), string(m.Raw))
	return v
}
