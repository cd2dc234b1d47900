package wsdirect_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/transport/wsdirect"
)

type env struct {
	t      *testing.T
	url    string
	signer *authn.Signer
	srv    *server.Server
}

func newEnv(t *testing.T, cfg server.Config, opts wsdirect.Options) *env {
	t.Helper()
	signer, err := authn.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	now := func() int64 { return time.Now().UnixMilli() }
	cfg.MatchInterval = 20 * time.Millisecond
	srv, err := server.New(context.Background(), memstore.NewDurable(), memstore.NewLive(now), log, cfg)
	require.NoError(t, err)
	h := wsdirect.New(srv, signer, log, opts)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", h)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx, "test over")
		_ = h.Wait(ctx)
		ts.Close()
	})
	return &env{t: t, url: ts.URL, signer: signer, srv: srv}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// token signs a session for a player (created on first use); ttl is rounded up to whole
// seconds (tokens carry seconds).
func (e *env) token(id, name string, ttl time.Duration) string {
	e.t.Helper()
	if _, err := e.srv.Durable().PlayerByID(ctxT(e.t), id); err != nil {
		require.NoError(e.t, e.srv.Durable().CreatePlayer(ctxT(e.t), store.Player{ID: id, Name: name, Guest: true, CreatedAt: time.Now()}))
	}
	exp := time.Now().Add(ttl).Add(time.Second - 1).Truncate(time.Second)
	tok, err := e.signer.Sign(authn.Claims{PlayerID: id, Name: name, Guest: true, ExpiresAt: exp})
	require.NoError(e.t, err)
	return tok
}

// dial opens /ws with extra headers; it returns the connection, or the HTTP status and error
// code of a refused handshake.
func (e *env) dial(token string, header http.Header) (*websocket.Conn, int, string) {
	e.t.Helper()
	u := strings.Replace(e.url, "http", "ws", 1) + "/ws?token=" + url.QueryEscape(token)
	c, resp, err := websocket.Dial(ctxT(e.t), u, &websocket.DialOptions{HTTPHeader: header})
	if err == nil {
		e.t.Cleanup(func() { _ = c.CloseNow() })
		return c, http.StatusSwitchingProtocols, ""
	}
	require.NotNil(e.t, resp, "dial failed without an HTTP answer: %v", err)
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return nil, resp.StatusCode, body.Error.Code
}

// TestConnectionCapsAnswer429BeforeTheUpgrade: over the per-player or the per-address cap, /ws
// answers 429 too_many_connections instead of upgrading; a closed connection makes room.
func TestConnectionCapsAnswer429BeforeTheUpgrade(t *testing.T) {
	e := newEnv(t, server.Config{ConnLimits: store.ConnLimits{PerPlayer: 2, PerAddr: 3}}, wsdirect.Options{ForwardedForHops: 1})
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	alice := e.token("p_alice", "alice", time.Hour)
	a1, status, _ := e.dial(alice, from("192.0.2.1"))
	require.Equal(t, http.StatusSwitchingProtocols, status)
	_, status, _ = e.dial(alice, from("198.51.100.1"))
	require.Equal(t, http.StatusSwitchingProtocols, status)
	_, status, code := e.dial(alice, from("203.0.113.1"))
	assert.Equal(t, http.StatusTooManyRequests, status, "a third connection of alice, from a third address")
	assert.Equal(t, wsdirect.CodeTooManyConnections, code)

	// 192.0.2.1 holds alice's first; two more players fill it up.
	_, status, _ = e.dial(e.token("p_bob", "bob", time.Hour), from("192.0.2.1"))
	require.Equal(t, http.StatusSwitchingProtocols, status)
	_, status, _ = e.dial(e.token("p_carol", "carol", time.Hour), from("192.0.2.1"))
	require.Equal(t, http.StatusSwitchingProtocols, status)
	dave := e.token("p_dave", "dave", time.Hour)
	_, status, code = e.dial(dave, from("192.0.2.1"))
	assert.Equal(t, http.StatusTooManyRequests, status, "a fourth connection from 192.0.2.1")
	assert.Equal(t, wsdirect.CodeTooManyConnections, code)
	_, status, _ = e.dial(dave, from("192.0.2.2"))
	assert.Equal(t, http.StatusSwitchingProtocols, status, "dave from elsewhere")

	// Closing alice's first connection gives both counts back.
	require.NoError(t, a1.Close(websocket.StatusNormalClosure, "bye"))
	require.Eventually(t, func() bool {
		c, status, _ := e.dial(dave, from("192.0.2.1"))
		if c != nil {
			_ = c.CloseNow()
		}
		return status == http.StatusSwitchingProtocols
	}, 5*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		c, status, _ := e.dial(alice, from("203.0.113.1"))
		if c != nil {
			_ = c.CloseNow()
		}
		return status == http.StatusSwitchingProtocols
	}, 5*time.Second, 20*time.Millisecond)
}

// TestNoEventLostAfterTheHandshake: a challenge sent the moment the target's handshake
// completes reaches it, 1,000 times in a row (the session subscribes to the player's events
// before the handshake is answered).
func TestNoEventLostAfterTheHandshake(t *testing.T) {
	e := newEnv(t, server.Config{
		ConnLimits: store.ConnLimits{PerPlayer: 1000, PerAddr: 100_000},
		RateLimit:  server.RateLimit{Rate: 1e6, Burst: 1e6, MaxViolations: 1000, ViolationWindow: time.Second},
	}, wsdirect.Options{})
	ctx := ctxT(t)
	challenger, err := wsclient.Dial(ctx, e.url, e.token("p_challenger", "challenger", time.Hour))
	require.NoError(t, err)
	t.Cleanup(challenger.CloseNow)
	target := e.token("p_target", "target", time.Hour)
	const tries = 1000
	lost := 0
	for i := 0; i < tries && lost < 5; i++ {
		c, err := wsclient.Dial(ctx, e.url, target)
		require.NoError(t, err)
		// Sent at once: no ping round trip first, the handshake is all the target has.
		require.NoError(t, challenger.Send(ctx, "challenge", map[string]any{"to": "target", "tc": "5+0", "color": "random", "rated": false}))
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err = c.WaitType(wctx, "challenge")
		cancel()
		if err != nil {
			lost++
			t.Logf("try %d: challenge lost: %v", i, err)
		}
		c.CloseNow()
		challenger.Drain()
	}
	assert.Zero(t, lost, "challenges lost (the test stops at 5)")
}

// TestExpiredTokenClosesTheConnection: with a 1 s token, the connection works until the expiry,
// then gets an unauthorized error and the close code 4001.
func TestExpiredTokenClosesTheConnection(t *testing.T) {
	e := newEnv(t, server.Config{}, wsdirect.Options{})
	ctx := ctxT(t)
	tok := e.token("p_brief", "brief", time.Second)
	claims, err := e.signer.Verify(tok, time.Now())
	require.NoError(t, err)
	c, err := wsclient.Dial(ctx, e.url, tok)
	require.NoError(t, err)
	t.Cleanup(c.CloseNow)
	a, err := c.SendAck(ctx, "seek", map[string]any{"tc": "5+0", "rated": false})
	require.NoError(t, err)
	require.NoError(t, c.WaitAck(ctx, a), "accepted before the expiry")

	status, err := c.WaitClosed(ctx)
	require.NoError(t, err)
	assert.Equal(t, websocket.StatusCode(server.CloseTokenExpired), status)
	assert.WithinDuration(t, claims.ExpiresAt, time.Now(), 500*time.Millisecond, "closed at the expiry")
	var sawError bool
	for _, m := range c.Drain() {
		if m.T == "error" {
			assert.Equal(t, string(protocol.CodeUnauthorized), m.Error().Code)
			sawError = true
		}
	}
	assert.True(t, sawError, "an unauthorized error frame before the close")
	// The token no longer opens a connection.
	_, err = wsclient.Dial(ctx, e.url, tok)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 401")
}
