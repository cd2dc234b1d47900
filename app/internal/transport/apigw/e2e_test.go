package apigw_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/transport/apigw"
)

// TestGameThroughGateway plays a game to checkmate with two players and a spectator whose
// connections all go through the emulated API Gateway: authorizer, HTTP_PROXY integrations and
// @connections, against one backend instance.
func TestGameThroughGateway(t *testing.T) {
	e := newEnv(t, 1, newShared(false))
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	white, black, gs := pair(t, alice, bob)
	game := gs.Game
	white.watch(game, 0)
	black.watch(game, 0)
	carol.watch(game, 0)

	// Errors keep the connection open and change nothing.
	assert.Equal(t, "illegal_move", white.act("move", map[string]any{"game": game, "u": "e2e5", "ply": 1}))
	assert.Equal(t, "not_your_turn", black.act("move", map[string]any{"game": game, "u": "e7e5", "ply": 1}))
	assert.Equal(t, "not_your_game", carol.act("resign", map[string]any{"game": game}))
	assert.Equal(t, "not_found", carol.act("watch", map[string]any{"game": "g_nosuch", "v": 0}))
	require.NoError(t, carol.c.SendRaw(ctxT(t), []byte(`{"t":"dance"}`)))
	assert.Equal(t, "unknown_type", carol.waitType("error").Error().Code)
	require.NoError(t, carol.c.SendRaw(ctxT(t), []byte(`{not json`)))
	assert.Equal(t, "bad_request", carol.waitType("error").Error().Code)
	big := `{"t":"ping","d":{"pad":"` + strings.Repeat("x", protocol.MaxFrame) + `"}}`
	require.NoError(t, carol.c.SendRaw(ctxT(t), []byte(big)))
	e1 := carol.waitType("error").Error()
	assert.Equal(t, "bad_request", e1.Code)
	assert.Contains(t, e1.Msg, "exceeds")
	carol.ping()

	// Fool's mate, with a resend of an already applied move on the way (acked, not re-applied).
	move(t, white, game, "f2f3", 1)
	for _, p := range []*client{white, black, carol} {
		p.waitV(1)
	}
	require.Empty(t, white.act("move", map[string]any{"game": game, "u": "f2f3", "ply": 1}), "a resend is acked")
	move(t, black, game, "e7e5", 2)

	// The spectator leaves and comes back: watch from its last v replays what it missed.
	carol.waitV(2)
	carol.c.Close()
	move(t, white, game, "g2g4", 3)
	carol.dial()
	carol.rewatch(game)
	m := carol.waitV(3)
	assert.Equal(t, "move", m.T)

	// A player's last connection closing ($disconnect) tells the opponent.
	black.c.Close()
	gone := white.waitType("opponentGone")
	assert.Contains(t, string(gone.D), game)
	black.dial()
	white.waitType("opponentBack")
	black.rewatch(game)

	move(t, black, game, "d8h4", 4)
	for _, p := range []*client{white, black, carol} {
		end := p.wait(func(m wsclient.Msg) bool { return m.T == "end" })
		var ep protocol.EndPayload
		require.NoError(t, json.Unmarshal(end.D, &ep))
		assert.Equal(t, "0-1", ep.Result)
		assert.Equal(t, "checkmate", ep.Reason)
		assert.Equal(t, int64(5), end.V)
	}
	for _, p := range []*client{white, black, carol} {
		p.requireGapFree(game, 5)
	}
	assert.Zero(t, e.gw.IntegrationErrors(), "no integration request failed")
	assert.LessOrEqual(t, e.gw.MaxPostBytes(), int64(4096), "no frame of this game is large")
}

// TestGoneConnectionIsCleanedUp drops a client without a $disconnect (as API Gateway may):
// the next post to it gets 410, which closes the session and deletes the registry entry.
func TestGoneConnectionIsCleanedUp(t *testing.T) {
	e := newEnv(t, 1, newShared(false), withHandlerOptions(func(o *apigw.Options) { o.ConnectGrace = 50 * time.Millisecond }))
	in := e.insts[0]
	alice, bob := e.guest(), e.guest()
	id := alice.connID()
	_, err := e.sh.gw.GetConn(ctxT(t), id)
	require.NoError(t, err, "registered at connect")
	require.Equal(t, 2, in.h.Connections())
	require.Equal(t, 2, in.srv.Sessions())

	require.True(t, e.gw.Drop(id))
	// Something for alice: bob challenges her; posting it finds the connection gone.
	require.Empty(t, bob.act("challenge", map[string]any{"to": alice.sess.Player.Name, "tc": "3+2", "color": "white", "rated": false}))
	require.Eventually(t, func() bool { return in.h.Connections() == 1 && in.srv.Sessions() == 1 }, 5*time.Second, 10*time.Millisecond)
	_, err = e.sh.gw.GetConn(ctxT(t), id)
	assert.ErrorIs(t, err, store.ErrNotFound)
	bob.ping()
}

// TestSilentConnectionIsProbed drops a client without $disconnect and with nothing to post to
// it: the sweeper's probe (GET @connections) finds it gone.
func TestSilentConnectionIsProbed(t *testing.T) {
	e := newEnv(t, 1, newShared(false), withHandlerOptions(func(o *apigw.Options) {
		o.ProbeAfter = 200 * time.Millisecond
		o.SweepInterval = 50 * time.Millisecond
	}))
	in := e.insts[0]
	alice, bob := e.guest(), e.guest()
	id := alice.connID()
	require.True(t, e.gw.Drop(id))
	// bob keeps talking, so only alice goes silent.
	deadline := time.Now().Add(5 * time.Second)
	for in.h.Connections() != 1 && time.Now().Before(deadline) {
		bob.ping()
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, 1, in.h.Connections())
	_, err := e.sh.gw.GetConn(ctxT(t), id)
	assert.ErrorIs(t, err, store.ErrNotFound)
	bob.ping()
	assert.Equal(t, 1, in.h.Connections(), "a talking connection is not dropped")
}

// TestAuthorizerAndBackendRefuse covers refusals at the gateway and at the backend.
func TestAuthorizerAndBackendRefuse(t *testing.T) {
	e := newEnv(t, 1, newShared(false))
	ctx := ctxT(t)
	_, err := wsclient.Dial(ctx, e.gw.URL(), "")
	require.ErrorContains(t, err, "401", "no token: refused by the identity source check")
	_, err = wsclient.Dial(ctx, e.gw.URL(), "forged.token")
	require.ErrorContains(t, err, "401", "bad token: refused by the authorizer")
	assert.Zero(t, e.insts[0].h.Connections())

	// Frames posted to the client come in order and the queue is per connection.
	alice := e.guest()
	for i := 0; i < 20; i++ {
		require.NoError(t, alice.c.SendWithAck(ctx, "ping", nil, int64(100+i)))
	}
	for i := 0; i < 20; i++ {
		m := alice.wait(func(m wsclient.Msg) bool { return m.T == "ack" })
		assert.Equal(t, int64(100+i), mustInt(t, m.D), "acks in order")
	}
}

func mustInt(t *testing.T, raw json.RawMessage) int64 {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal(raw, &n))
	return n
}

// TestSubprotocolToken connects with the token in Sec-WebSocket-Protocol: the authorizer takes
// it from there and the backend's $connect answer selects the subprotocol.
func TestSubprotocolToken(t *testing.T) {
	// This carrier needs an authorizer without the query-string identity source.
	e := newEnv(t, 1, newShared(false), withGatewayConfig(func(c *gatewaytest.Config) { c.IdentitySources = nil }))
	s := e.guest().sess
	ws, _, err := websocket.Dial(ctxT(t), e.gw.WebSocketURL(), &websocket.DialOptions{Subprotocols: []string{"chess.v1", s.Token}})
	require.NoError(t, err)
	defer ws.CloseNow()
	assert.Equal(t, "chess.v1", ws.Subprotocol())
	require.NoError(t, ws.Write(ctxT(t), websocket.MessageText, []byte(`{"t":"ping"}`)))
	_, b, err := ws.Read(ctxT(t))
	require.NoError(t, err)
	assert.JSONEq(t, `{"t":"pong"}`, string(b))
}

// TestGoneRightAfterConnectIsRetried: API Gateway may answer 410 for a moment after $connect
// (the connection is still being opened); such a 410 is retried, not taken as a disconnect.
func TestGoneRightAfterConnectIsRetried(t *testing.T) {
	e := newEnv(t, 1, newShared(false))
	e.gw.FailPosts("", http.StatusGone, 2)
	alice := e.guest() // its first frame (the pong) meets two 410s
	alice.ping()
	assert.Equal(t, 1, e.insts[0].h.Connections())
}

// TestRegistryDownAnswersUnavailable: a message that reaches an instance that cannot read the
// registry is answered `unavailable` (with its ack id), so the client retries it.
func TestRegistryDownAnswersUnavailable(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	alice := e.guest()
	e.insts[1].kill.registryDown.Store(true)
	e.setRoute(func(r gatewaytest.Request) int { return 1 })
	assert.Equal(t, "unavailable", alice.act("ping", nil))
	e.insts[1].kill.registryDown.Store(false)
	assert.Empty(t, alice.act("ping", nil), "served again once the registry is back")
}
