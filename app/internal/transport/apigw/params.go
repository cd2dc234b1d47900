package apigw

// Route keys of the WebSocket API.
const (
	RouteConnect    = "$connect"
	RouteDefault    = "$default"
	RouteDisconnect = "$disconnect"
)

// IntegrationPaths are the paths of the HTTP_PROXY integration URIs per route
// (http://<internal NLB DNS name>:<port><path>, method POST, connection type VPC_LINK).
var IntegrationPaths = map[string]string{
	RouteConnect:    PathConnect,
	RouteDefault:    PathMessage,
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
	if route == RouteConnect {
		p["integration.request.header."+HeaderToken] = "context.authorizer.token"
		p["integration.request.header."+HeaderPlayer] = "context.authorizer.principalId"
		p["integration.request.header."+HeaderClientIP] = "context.identity.sourceIp"
	}
	return p
}
