package apigw_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
)

func withConnLimits(l store.ConnLimits) envOpt { return func(e *env) { e.srvConfig.ConnLimits = l } }

// TestGatewayConnectionCaps: over the per-player or per-address cap, $connect is refused. With
// a gateway that honours the 429 (as AWS documents) the client's upgrade fails; with one that
// opens the connection whatever the integration answered (as reported for HTTP integrations)
// the backend closes it through @connections at once. A closed connection makes room.
func TestGatewayConnectionCaps(t *testing.T) {
	for _, ignored := range []bool{false, true} {
		name := map[bool]string{false: "gateway refuses on 429", true: "gateway opens regardless"}[ignored]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, 1, newShared(true), withConnLimits(store.ConnLimits{PerPlayer: 2, PerAddr: 3}),
				withGatewayConfig(func(c *gatewaytest.Config) { c.ConnectStatusIgnored = ignored }))
			ctx := ctxT(t)
			session := func() wsclient.Session {
				s, err := wsclient.Guest(ctx, e.hc, e.insts[0].ts.URL)
				require.NoError(t, err)
				return s
			}
			open := func(s wsclient.Session) *wsclient.Client {
				t.Helper()
				c, err := wsclient.Dial(ctx, e.gw.URL(), s.Token)
				require.NoError(t, err)
				t.Cleanup(c.CloseNow)
				require.NoError(t, c.Send(ctx, "ping", nil))
				_, err = c.WaitType(ctx, "pong")
				require.NoError(t, err)
				return c
			}
			refused := func(s wsclient.Session, why string) {
				t.Helper()
				c, err := wsclient.Dial(ctx, e.gw.URL(), s.Token)
				if !ignored {
					require.Error(t, err, why)
					assert.Contains(t, err.Error(), "HTTP 429", why)
					return
				}
				require.NoError(t, err, "this gateway opens the connection: %s", why)
				defer c.CloseNow()
				wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				defer cancel()
				_, err = c.WaitClosed(wctx)
				require.NoError(t, err, "the backend closes the refused connection: %s", why)
				assert.Empty(t, c.Drain(), "nothing reached the refused connection")
			}
			alice := session()
			a1 := open(alice)
			open(alice)
			refused(alice, "a third connection of alice")
			// Every client here comes from 127.0.0.1: alice's two and bob's fill the address.
			open(session())
			carol := session()
			refused(carol, "a fourth connection from the address")
			require.Eventually(t, func() bool { return len(e.gw.ConnectionsOf(alice.Player.ID)) == 2 }, 5*time.Second, 10*time.Millisecond)

			a1.Close()
			require.Eventually(t, func() bool {
				c, err := wsclient.Dial(ctx, e.gw.URL(), carol.Token)
				if err != nil {
					return false
				}
				defer c.CloseNow()
				if err := c.Send(ctx, "ping", nil); err != nil {
					return false
				}
				wctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				_, err = c.WaitType(wctx, "pong")
				return err == nil
			}, 5*time.Second, 50*time.Millisecond, "carol connects once alice's first connection is gone")
		})
	}
}

// TestGatewaySessionExpires: a connection through API Gateway whose 1 s token expires gets an
// unauthorized error frame and is disconnected through @connections.
func TestGatewaySessionExpires(t *testing.T) {
	e := newEnv(t, 1, newShared(true))
	ctx := ctxT(t)
	exp := time.Now().Add(2*time.Second - 1).Truncate(time.Second) // 1-2 s from now, whole seconds
	tok, err := e.signer.Sign(authn.Claims{PlayerID: "p_brief", Name: "brief", Guest: true, ExpiresAt: exp})
	require.NoError(t, err)
	c, err := wsclient.Dial(ctx, e.gw.URL(), tok)
	require.NoError(t, err)
	t.Cleanup(c.CloseNow)
	a, err := c.SendAck(ctx, "seek", map[string]any{"tc": "5+0", "rated": false})
	require.NoError(t, err)
	require.NoError(t, c.WaitAck(ctx, a), "accepted before the expiry")

	m, err := c.Wait(ctx, func(m wsclient.Msg) bool { return m.T == "error" })
	require.NoError(t, err)
	assert.Equal(t, string(protocol.CodeUnauthorized), m.Error().Code)
	assert.Equal(t, server.ReasonTokenExpired, m.Error().Msg)
	assert.WithinDuration(t, exp, time.Now(), 500*time.Millisecond, "at the expiry")
	_, err = c.WaitClosed(ctx)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(e.gw.ConnectionsOf("p_brief")) == 0 }, 5*time.Second, 10*time.Millisecond)
	_, err = wsclient.Dial(ctx, e.gw.URL(), tok)
	require.Error(t, err, "the expired token no longer connects")
}

// TestGatewayNoEventLostAfterTheHandshake: through API Gateway too, a challenge sent the moment
// the target's connection opens reaches it (the session subscribes before the $connect answer).
func TestGatewayNoEventLostAfterTheHandshake(t *testing.T) {
	e := newEnv(t, 1, newShared(true), withConnLimits(store.ConnLimits{PerPlayer: 1000, PerAddr: 100_000}), func(e *env) {
		e.srvConfig.RateLimit = server.RateLimit{Rate: 1e6, Burst: 1e6, MaxViolations: 1000, ViolationWindow: time.Second}
	})
	ctx := ctxT(t)
	challenger := e.guest()
	target, err := wsclient.Guest(ctx, e.hc, e.insts[0].ts.URL)
	require.NoError(t, err)
	const tries = 300
	lost := 0
	for i := 0; i < tries && lost < 5; i++ {
		c, err := wsclient.Dial(ctx, e.gw.URL(), target.Token)
		require.NoError(t, err)
		require.NoError(t, challenger.c.Send(ctx, "challenge", map[string]any{"to": target.Player.Name, "tc": "5+0", "color": "random", "rated": false}))
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err = c.WaitType(wctx, "challenge")
		cancel()
		if err != nil {
			lost++
			t.Logf("try %d: challenge lost: %v", i, err)
		}
		c.CloseNow()
		challenger.c.Drain()
	}
	assert.Zero(t, lost, "challenges lost (the test stops at 5)")
}
