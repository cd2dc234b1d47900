package apigwwebsocket_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/apigwwebsocket"
	"chessplatform/infra/awsenv"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
)

// TestPingRouteResponse: in a preview and in an update, the ping route is two-way (route
// response selection "$default" and a $default route response), its integration marks the
// requests for the backend, and no other route has a route response.
func TestPingRouteResponse(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"up", nil}, {"preview", []pulumi.RunOption{infratest.DryRun()}}} {
		t.Run(mode.name, func(t *testing.T) {
			zipPath := zipFile(t)
			m := infratest.Run(t, func(ctx *pulumi.Context) error {
				a, err := awsenv.Lookup(ctx)
				if err != nil {
					return err
				}
				f, err := newFixture(ctx, a)
				if err != nil {
					return err
				}
				api, err := apigwwebsocket.New(ctx, "websocket", apiArgs(a, f, zipPath))
				if err != nil {
					return err
				}
				return api.Connect(ctx, &apigwwebsocket.ConnectArgs{NLBARN: f.nlbArn, NLBDNSName: f.nlbDNS, BackendPort: 8080})
			}, mode.opts...)
			responses := m.ByType(controls.TRouteResp)
			require.Len(t, responses, 1)
			var ping infratest.Resource
			for _, r := range m.ByType(controls.TApiRoute) {
				if str(r, "routeKey") == apigwwebsocket.RoutePing {
					ping = r
				} else {
					assert.Empty(t, str(r, "routeResponseSelectionExpression"), str(r, "routeKey"))
				}
			}
			require.NotEmpty(t, ping.ID, "a ping route")
			assert.Equal(t, "$default", str(ping, "routeResponseSelectionExpression"))
			assert.Equal(t, "$default", str(responses[0], "routeResponseKey"))
			assert.Equal(t, ping.ID, str(responses[0], "routeId"))
			assert.Equal(t, m.One(t, controls.TApi).ID, str(responses[0], "apiId"))
			assert.Equal(t, "'body'", apigwwebsocket.RequestParameters(apigwwebsocket.RoutePing, "s")["integration.request.header.X-Chess-Route-Response"])
			assert.NotContains(t, apigwwebsocket.RequestParameters(apigwwebsocket.RouteDefault, "s"), "integration.request.header.X-Chess-Route-Response")
		})
	}
}
