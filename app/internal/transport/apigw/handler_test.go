package apigw_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/transport/apigw"
)

func post(t *testing.T, url string, headers map[string]string, body string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header
}

// TestEndpointsRequireSecretAndConnectionID: the /apigw/* endpoints answer nothing useful to a
// caller without the gateway secret (e.g. a request that reached them through a misrouted ALB
// rule) or without a connection id.
func TestEndpointsRequireSecretAndConnectionID(t *testing.T) {
	e := newEnv(t, 1, newShared(false))
	base := e.insts[0].ts.URL
	for _, p := range []string{apigw.PathConnect, apigw.PathMessage, apigw.PathDisconnect} {
		t.Run(p, func(t *testing.T) {
			st, _ := post(t, base+p, map[string]string{apigw.HeaderConnectionID: "abc="}, `{"t":"ping"}`)
			assert.Equal(t, http.StatusForbidden, st, "no secret")
			st, _ = post(t, base+p, map[string]string{apigw.HeaderConnectionID: "abc=", apigw.HeaderSecret: testSecret + "x"}, `{"t":"ping"}`)
			assert.Equal(t, http.StatusForbidden, st, "wrong secret")
			st, _ = post(t, base+p, map[string]string{apigw.HeaderSecret: testSecret}, `{"t":"ping"}`)
			assert.Equal(t, http.StatusBadRequest, st, "no connection id")
			st, _ = post(t, base+p, map[string]string{apigw.HeaderSecret: testSecret, apigw.HeaderConnectionID: "not an id!"}, `{"t":"ping"}`)
			assert.Equal(t, http.StatusBadRequest, st, "malformed connection id")
			req, err := http.NewRequest(http.MethodGet, base+p, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		})
	}
	assert.Zero(t, e.insts[0].h.Connections())
}

func TestConnectVerifiesToken(t *testing.T) {
	e := newEnv(t, 1, newShared(false))
	base := e.insts[0].ts.URL + apigw.PathConnect
	good, err := e.signer.Sign(authn.Claims{PlayerID: "p_1", Name: "alice", ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	other, err := authn.NewSigner([]byte("another key, 32 bytes long......"))
	require.NoError(t, err)
	forged, err := other.Sign(authn.Claims{PlayerID: "p_1", Name: "alice", ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	h := func(id, token, principal string) map[string]string {
		m := map[string]string{apigw.HeaderSecret: testSecret, apigw.HeaderConnectionID: id, apigw.HeaderToken: token}
		if principal != "" {
			m[apigw.HeaderPlayer] = principal
		}
		return m
	}
	st, _ := post(t, base, h("c1=", "", ""), "")
	assert.Equal(t, http.StatusUnauthorized, st, "no token")
	st, _ = post(t, base, h("c2=", forged, ""), "")
	assert.Equal(t, http.StatusUnauthorized, st, "token from another key")
	st, _ = post(t, base, h("c3=", good, "p_2"), "")
	assert.Equal(t, http.StatusUnauthorized, st, "principal and token disagree")
	_, err = e.sh.gw.GetConn(ctxT(t), "c3=")
	assert.ErrorIs(t, err, store.ErrNotFound, "nothing registered for refused connects")

	hs := h("c4=", good, "p_1")
	hs["Sec-WebSocket-Protocol"] = "chess.v1, " + good
	st, hdr := post(t, base, hs, "")
	assert.Equal(t, http.StatusOK, st)
	assert.Equal(t, "chess.v1", hdr.Get("Sec-WebSocket-Protocol"))
	rec, err := e.sh.gw.GetConn(ctxT(t), "c4=")
	require.NoError(t, err)
	assert.Equal(t, store.GatewayConn{ID: "c4=", Owner: e.insts[0].h.InstanceID(), PlayerID: "p_1", Name: "alice", ExpiresAt: rec.ExpiresAt}, rec)
	assert.Positive(t, rec.ExpiresAt)
	assert.Equal(t, 1, e.insts[0].h.Connections())
}

func TestOptionsValidation(t *testing.T) {
	e := newEnv(t, 1, newShared(false))
	in := e.insts[0]
	deps := apigw.Deps{
		Server: in.srv, Gateway: memstore.NewGateway(func() int64 { return time.Now().UnixMilli() }), Bus: e.sh.live,
		Signer: e.signer, Poster: killablePoster{k: &killSwitch{}}, Log: testLog(t),
	}
	for name, o := range map[string]apigw.Options{
		"no secret":          {},
		"short secret":       {Secrets: []string{"short"}},
		"quote in secret":    {Secrets: []string{strings.Repeat("a", 40) + "'"}},
		"heartbeat too slow": {Secrets: []string{testSecret}, HeartbeatInterval: time.Second, HeartbeatTTL: 1500 * time.Millisecond},
	} {
		_, err := apigw.New(context.Background(), deps, o)
		assert.Error(t, err, name)
	}
	deps.Poster = nil
	_, err := apigw.New(context.Background(), deps, apigw.Options{Secrets: []string{testSecret}})
	assert.Error(t, err, "missing dependency")
}

// TestGracefulShutdownMovesClients: an instance that shuts down disconnects its clients through
// @connections after flushing; their reconnect lands on another instance, and new connects to
// the stopping instance are refused.
func TestGracefulShutdownMovesClients(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	alice, bob := e.guest(), e.guest()
	white, black, gs := pair(t, alice, bob)
	game := gs.Game
	white.watch(game, 0)
	black.watch(game, 0)
	move(t, white, game, "e2e4", 1)
	black.waitV(1)

	a, b := e.insts[0], e.insts[1]
	e.setRoute(func(gatewaytest.Request) int { return 1 })
	e.stop(a)
	for _, p := range []*client{white, black} {
		st, err := p.c.WaitClosed(ctxT(t))
		require.NoError(t, err)
		assert.Equal(t, websocket.StatusNormalClosure, st, "closed by a DELETE on @connections")
		p.dial()
		p.rewatch(game)
	}
	move(t, black, game, "e7e5", 2)
	white.waitV(2)
	black.waitV(2)
	assert.Equal(t, 2, b.h.Connections())
	assert.Zero(t, a.h.Connections())
	alive, err := e.sh.gw.InstanceAlive(ctxT(t), a.h.InstanceID())
	require.NoError(t, err)
	assert.False(t, alive, "a stopped instance clears its heartbeat")
	for _, p := range []*client{white, black} {
		p.requireGapFree(game, 2)
	}

	// A connect that reaches the stopped instance's handler is refused.
	e.setRoute(func(r gatewaytest.Request) int { return 0 })
	_, err = wsclient.Dial(ctxT(t), e.gw.URL(), alice.sess.Token)
	assert.Error(t, err)
}

// TestSlowConsumerIsDisconnected: when posts to a connection keep failing, its queue fills and
// the connection is dropped instead of holding frames (the server never waits for it).
func TestSlowConsumerIsDisconnected(t *testing.T) {
	e := newEnv(t, 1, newShared(false), withHandlerOptions(func(o *apigw.Options) { o.SendQueue = 4 }))
	alice := e.guest()
	id := alice.connID()
	e.gw.FailPosts(id, http.StatusTooManyRequests, 1000)
	ctx := ctxT(t)
	for i := 0; i < 30; i++ {
		// Pings with an ack id: plain pings are answered in the route response, not posted.
		require.NoError(t, alice.c.SendRaw(ctx, []byte(fmt.Sprintf(`{"t":"ping","a":%d}`, i+1))))
	}
	st, err := alice.c.WaitClosed(ctx)
	require.NoError(t, err)
	assert.Equal(t, websocket.StatusNormalClosure, st)
	require.Eventually(t, func() bool { return e.insts[0].h.Connections() == 0 }, 5*time.Second, 10*time.Millisecond)
	_, err = e.sh.gw.GetConn(ctx, id)
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// TestRegistryLossEvicts: when the registry loses a connection (Redis restarted without its
// data), a message that reaches a non-owner disconnects the client, whose reconnect registers
// it again.
func TestRegistryLossEvicts(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	e.setRoute(alternate)
	alice := e.guest()
	id := alice.connID()
	require.NoError(t, e.sh.gw.DeleteConn(ctxT(t), id))
	// Messages alternate: the one that reaches B finds no entry and evicts.
	require.NoError(t, alice.c.Send(ctxT(t), "ping", nil))
	require.NoError(t, alice.c.Send(ctxT(t), "ping", nil))
	_, err := alice.c.WaitClosed(ctxT(t))
	require.NoError(t, err)
	alice.dial()
	_, err = e.sh.gw.GetConn(ctxT(t), alice.connID())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return e.insts[0].h.Connections() == 1 }, 5*time.Second, 10*time.Millisecond,
		"the old session is released once its connection is found gone")
}
