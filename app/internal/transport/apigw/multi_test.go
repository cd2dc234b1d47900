package apigw_test

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/transport/apigw"
)

// alternate sends every $connect to instance 0 (the owner) and a connection's messages to
// instances 1 and 0 in turn, so every other message has to be forwarded to the owner.
func alternate(r gatewaytest.Request) int {
	switch r.Route {
	case gatewaytest.RouteConnect:
		return 0
	case gatewaytest.RouteDisconnect:
		return 1
	}
	return r.Seq % 2
}

// TestForwardingKeepsOrder spreads one connection's messages over two instances: the owner
// processes all of them, in the order they were sent.
func TestForwardingKeepsOrder(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	e.setRoute(alternate)
	alice := e.guest()
	ctx := ctxT(t)
	const n = 30 // within the rate limiter's burst
	for i := 1; i <= n; i++ {
		require.NoError(t, alice.c.SendWithAck(ctx, "ping", nil, int64(i)))
	}
	for i := 1; i <= n; i++ {
		m := alice.wait(func(m wsclient.Msg) bool { return m.T == "ack" })
		require.Equal(t, int64(i), mustInt(t, m.D), "acks come in the order the messages were sent")
	}
	a, b := e.insts[0], e.insts[1]
	assert.Positive(t, b.messages.Load(), "instance B received messages")
	assert.Positive(t, a.messages.Load(), "instance A received messages")
	assert.Equal(t, 1, a.h.Connections())
	assert.Zero(t, b.h.Connections(), "B forwarded; it owns nothing")
	assert.Zero(t, e.gw.IntegrationErrors())
}

// TestGameAcrossInstances plays a whole game with every player's messages spread over two
// instances; a $disconnect arriving at the non-owner still ends the owner's session.
func TestGameAcrossInstances(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	e.setRoute(alternate)
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	white, black, gs := pair(t, alice, bob)
	game := gs.Game
	white.watch(game, 0)
	black.watch(game, 0)
	carol.watch(game, 0)
	moves := []string{"e2e4", "e7e5", "f1c4", "b8c6", "d1h5", "g8f6", "h5f7"} // scholar's mate
	for i, u := range moves {
		p := white
		if i%2 == 1 {
			p = black
		}
		move(t, p, game, u, i+1)
		if i == 3 {
			// black's last connection closes; the $disconnect goes to B, the owner is A.
			black.c.Close()
			white.waitType("opponentGone")
			black.dial()
			white.waitType("opponentBack")
			black.rewatch(game)
		}
	}
	for _, p := range []*client{white, black, carol} {
		m := p.wait(func(m wsclient.Msg) bool { return m.T == "end" })
		assert.Contains(t, string(m.D), `"reason":"checkmate"`)
		p.requireGapFree(game, int64(len(moves)+1))
	}
	assert.Equal(t, 3, e.insts[0].h.Connections())
	assert.Zero(t, e.gw.IntegrationErrors())
}

// TestOwnerKilledSeamlessTakeover kills the instance that owns every connection mid-game. With a
// registry that remembers watched games, the other instance takes each connection over on its
// next message: the client gets a full state, its message is handled, and the game goes on
// over the same connection.
func TestOwnerKilledSeamlessTakeover(t *testing.T) {
	e := newEnv(t, 2, newShared(true))
	e.setRoute(alternate)
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	white, black, gs := pair(t, alice, bob)
	game := gs.Game
	white.watch(game, 0)
	black.watch(game, 0)
	carol.watch(game, 0)
	move(t, white, game, "f2f3", 1)
	move(t, black, game, "e7e5", 2)
	for _, p := range []*client{white, black, carol} {
		p.waitV(2)
	}

	a, b := e.insts[0], e.insts[1]
	e.killInstance(a)
	e.setRoute(func(gatewaytest.Request) int { return 1 })

	// White's next move reaches B: B waits for A's receipt, finds A's heartbeat expired,
	// claims the connection, re-watches the game (full state) and applies the move.
	move(t, white, game, "g2g4", 3)
	st := white.waitType("state")
	assert.Contains(t, string(st.D), game)
	// Black and the spectator are still registered to the dead A: their next message (a
	// ping, as clients send every 2.5 s) moves them to B, with the state they missed.
	for _, p := range []*client{black, carol} {
		p.ping()
		p.waitType("state")
	}
	move(t, black, game, "d8h4", 4)
	for _, p := range []*client{white, black, carol} {
		m := p.wait(func(m wsclient.Msg) bool { return m.T == "end" })
		assert.Contains(t, string(m.D), `"reason":"checkmate"`)
		p.requireGapFree(game, 5)
		assert.Len(t, p.conns, 1, "%s kept its one connection", p.sess.Player.Name)
	}
	assert.Equal(t, 3, b.h.Connections())
	for _, p := range []*client{white, black, carol} {
		rec, err := e.sh.gw.GetConn(ctxT(t), p.connID())
		require.NoError(t, err)
		assert.Equal(t, b.h.InstanceID(), rec.Owner)
	}
}

// TestOwnerKilledEvictingTakeover is the same failure with a registry that does not remember
// watches: the new owner disconnects each client, whose reconnect (re-watch from its last v,
// resend of the unacked move) carries the game on.
func TestOwnerKilledEvictingTakeover(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	e.setRoute(alternate)
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	white, black, gs := pair(t, alice, bob)
	game := gs.Game
	white.watch(game, 0)
	black.watch(game, 0)
	carol.watch(game, 0)
	move(t, white, game, "f2f3", 1)
	move(t, black, game, "e7e5", 2)
	for _, p := range []*client{white, black, carol} {
		p.waitV(2)
	}
	e.killInstance(e.insts[0])
	e.setRoute(func(gatewaytest.Request) int { return 1 })
	ctx := ctxT(t)

	ack, err := white.c.SendAck(ctx, "move", map[string]any{"game": game, "u": "g2g4", "ply": 3})
	require.NoError(t, err)
	_, err = white.c.WaitClosed(ctx)
	require.NoError(t, err, "the new owner disconnects the client")
	white.dial()
	white.rewatch(game)
	require.NoError(t, white.c.SendWithAck(ctx, "move", map[string]any{"game": game, "u": "g2g4", "ply": 3}, ack))
	require.Empty(t, white.result(ack), "the resent move is applied once")

	for _, p := range []*client{black, carol} {
		require.NoError(t, p.c.Send(ctx, "ping", nil))
		_, err := p.c.WaitClosed(ctx)
		require.NoError(t, err)
		p.dial()
		p.rewatch(game)
		p.waitV(3)
	}
	move(t, black, game, "d8h4", 4)
	for _, p := range []*client{white, black, carol} {
		m := p.wait(func(m wsclient.Msg) bool { return m.T == "end" })
		assert.Contains(t, string(m.D), `"reason":"checkmate"`)
		p.requireGapFree(game, 5)
	}
	assert.Equal(t, 3, e.insts[1].h.Connections())
}

// TestClaimRace sends one message each to two surviving instances at the same moment for a
// connection whose owner died: exactly one claims it, the other forwards to the winner, and
// both messages are handled.
func TestClaimRace(t *testing.T) {
	e := newEnv(t, 3, newShared(true))
	alice := e.guest()
	id := alice.connID()
	e.killInstance(e.insts[0])
	e.setRoute(func(gatewaytest.Request) int { return 1 })
	time.Sleep(400 * time.Millisecond) // A's heartbeat expires (TTL 300 ms)

	var wg sync.WaitGroup
	for i, in := range e.insts[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := []byte(`{"t":"ping","a":` + strconv.Itoa(i+1) + `}`)
			req, err := http.NewRequest(http.MethodPost, in.ts.URL+apigw.PathMessage, bytes.NewReader(body))
			if !assert.NoError(t, err) {
				return
			}
			req.Header.Set(apigw.HeaderConnectionID, id)
			req.Header.Set(apigw.HeaderSecret, testSecret)
			resp, err := http.DefaultClient.Do(req)
			if assert.NoError(t, err) {
				resp.Body.Close()
				assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	got := map[int64]bool{}
	for len(got) < 2 {
		m := alice.wait(func(m wsclient.Msg) bool { return m.T == "ack" })
		got[mustInt(t, m.D)] = true
	}
	assert.Equal(t, map[int64]bool{1: true, 2: true}, got)
	b, c := e.insts[1], e.insts[2]
	assert.Equal(t, 1, b.h.Connections()+c.h.Connections(), "exactly one instance owns the connection")
	rec, err := e.sh.gw.GetConn(ctxT(t), id)
	require.NoError(t, err)
	assert.Contains(t, []string{b.h.InstanceID(), c.h.InstanceID()}, rec.Owner)
	alice.ping()
}
