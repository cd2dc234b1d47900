package apigw

// Route keys of the WebSocket API (route selection expression $request.body.t).
const (
	RouteConnect    = "$connect"
	RouteDefault    = "$default"
	RouteDisconnect = "$disconnect"
	// RoutePing takes the client's {"t":"ping"} frames. It is the one two-way route: it has a
	// $default route response, so API Gateway sends the integration's HTTP response body (the
	// backend's pong) back to the client and the backend needs no @connections POST for it.
	RoutePing = "ping"
)

// Routes are the API's routes in creation order.
var Routes = []string{RouteConnect, RouteDefault, RoutePing, RouteDisconnect}

// TwoWayRoutes have a $default route response (routeResponseSelectionExpression "$default"):
// the body of their integration's 2xx response is sent to the client.
var TwoWayRoutes = []string{RoutePing}

// IntegrationPaths are the paths of the HTTP_PROXY integration URIs per route
// (http://<internal NLB DNS name>:<port><path>, method POST, connection type VPC_LINK).
var IntegrationPaths = map[string]string{
	RouteConnect:    PathConnect,
	RouteDefault:    PathMessage,
	RoutePing:       PathMessage,
	RouteDisconnect: PathDisconnect,
}

// RequestParameters are the integration request parameters the route's integration must set,
// with secret as the static value of the shared-secret header. The tests run the emulator with
// exactly these, so they are the reference for the infrastructure code.
func RequestParameters(route, secret string) map[string]string {
	p := map[string]string{
		"integration.request.header." + HeaderConnectionID: "context.connectionId",
		"integration.request.header." + HeaderSecret:       "'" + secret + "'",
	}
	if route == RoutePing {
		// Tells the backend that this request's response body reaches the client (the route
		// response exists), so it answers the ping in the body instead of posting a pong.
		p["integration.request.header."+HeaderRouteResponse] = "'" + RouteResponseBody + "'"
	}
	if route == RouteConnect {
		p["integration.request.header."+HeaderToken] = "context.authorizer.token"
		p["integration.request.header."+HeaderPlayer] = "context.authorizer.principalId"
		p["integration.request.header."+HeaderClientIP] = "context.identity.sourceIp"
	}
	return p
}
