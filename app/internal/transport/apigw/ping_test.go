package apigw_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/transport/apigw"
)

// TestPingAnsweredInRouteResponse: a ping goes to the two-way "ping" route, and the backend's
// HTTP answer (the pong) reaches the client through the route response: no @connections
// POST. Other frames still go to the one-way $default route and are answered by POSTs.
func TestPingAnsweredInRouteResponse(t *testing.T) {
	e := newEnv(t, 1, newShared(false))
	a := e.guest()
	posted, responses := e.postedPongs(), e.gw.RouteResponses()
	for i := 0; i < 3; i++ {
		a.ping()
	}
	assert.Equal(t, posted, e.postedPongs(), "no pong was posted")
	assert.Equal(t, responses+3, e.gw.RouteResponses(), "three pongs in route responses")

	// A ping with an ack id is not a plain ping: decoded by the server as before.
	require.NoError(t, a.c.SendRaw(ctxT(t), []byte(`{"t":"ping","a":7}`)))
	a.waitType("pong")
	assert.Equal(t, posted+1, e.postedPongs(), "answered by a post")
	// Anything else is one-way.
	assert.Equal(t, "not_found", a.act("watch", map[string]any{"game": "g_nosuch", "v": 0}))
	assert.Equal(t, responses+3, e.gw.RouteResponses())
}

// TestPingOnAnotherInstance: a ping reaching an instance that does not hold the session is
// still routed to the owner (which keeps takeover and eviction working), and answered in the
// body as well: the client gets the pong twice.
func TestPingOnAnotherInstance(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	a := e.guest()
	posted := e.postedPongs()
	e.setRoute(func(gatewaytest.Request) int { return 1 })
	a.ping()
	a.waitType("pong")
	require.Eventually(t, func() bool { return e.postedPongs() == posted+1 }, 5*time.Second, 10*time.Millisecond, "the owner posted a pong")
	assert.Equal(t, int64(1), e.insts[0].kill.pongs.Load()-posted, "by the owner")
}

// TestPingHeaderNeedsRouteResponse: without the route-response header (a route without a
// route response, or an older deployment) the backend answers 204 and posts the pong, so a
// client never misses one whatever the API's configuration.
func TestPingHeaderNeedsRouteResponse(t *testing.T) {
	e := newEnv(t, 1, newShared(false), withGatewayConfig(func(c *gatewaytest.Config) {
		c.TwoWayRoutes = nil
		c.RequestParameters[apigw.RoutePing] = apigw.RequestParameters(apigw.RouteDefault, testSecret)
	}))
	a := e.guest()
	posted := e.postedPongs()
	a.ping()
	assert.Equal(t, posted+1, e.postedPongs())
	assert.Zero(t, e.gw.RouteResponses())
}
