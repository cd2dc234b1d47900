// Package wsauth is the API Gateway WebSocket $connect Lambda REQUEST authorizer: it checks the
// session token with the shared authn package and answers with an IAM policy for the route's
// methodArn. The Lambda binary (app/cmd/ws-authorizer) wires it to the runtime; tests and the
// in-test gateway call Handle directly with the JSON event API Gateway sends.
//
// The token comes from the `token` query parameter (docs/protocol.md) or, for clients that cannot
// set a query string, from Sec-WebSocket-Protocol ("chess.v1, <token>"). Allowed connections
// get principalId = the player id and the context {playerId, name, guest, token}; the
// integration maps context.authorizer.token to a header so the backend can verify the token
// again. A missing, malformed, forged or expired token is refused with the error
// "Unauthorized", which API Gateway turns into HTTP 401.
package wsauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"chessplatform/app/internal/authn"
)

// Event is the input of a WebSocket REQUEST authorizer. It is the REST-style request authorizer
// event (events.APIGatewayCustomAuthorizerRequestTypeRequest: type, methodArn, headers, query
// string, stage variables) whose requestContext has the WebSocket fields (connectionId,
// routeKey "$connect", eventType "CONNECT", ...).
type Event struct {
	events.APIGatewayCustomAuthorizerRequestTypeRequest
	RequestContext events.APIGatewayWebsocketProxyRequestContext `json:"requestContext"`
}

// Response is the authorizer's answer.
type Response = events.APIGatewayCustomAuthorizerResponse

// ErrUnauthorized is the error API Gateway maps to HTTP 401; its text must stay exactly this.
var ErrUnauthorized = errors.New("Unauthorized") //nolint:staticcheck // API Gateway matches this exact text

// MaxResultBytes is API Gateway's limit on an authorizer result.
const MaxResultBytes = 8 << 10

// Subprotocol is the protocol name a client offers next to its token in Sec-WebSocket-Protocol.
const Subprotocol = "chess.v1"

// KeySource yields the signer that verifies tokens (its keys may be refreshed).
type KeySource interface {
	Signer(ctx context.Context) (*authn.Signer, error)
}

// Authorizer checks $connect requests. Safe for concurrent use.
type Authorizer struct {
	keys KeySource
	log  *slog.Logger
	now  func() time.Time
}

// New returns an authorizer; now nil means time.Now.
func New(keys KeySource, log *slog.Logger, now func() time.Time) *Authorizer {
	if now == nil {
		now = time.Now
	}
	return &Authorizer{keys: keys, log: log, now: now}
}

// Handle answers one authorization request.
func (a *Authorizer) Handle(ctx context.Context, ev Event) (Response, error) {
	conn := ev.RequestContext.ConnectionID
	if ev.Type != "REQUEST" || !strings.HasPrefix(ev.MethodArn, "arn:") {
		// Not a REQUEST authorizer event: a configuration mistake, not a client's fault.
		a.log.ErrorContext(ctx, "unexpected authorizer event", "type", ev.Type, "methodArn", ev.MethodArn)
		return Response{}, fmt.Errorf("wsauth: unexpected event type %q", ev.Type)
	}
	token, source := findToken(ev)
	if token == "" {
		a.log.InfoContext(ctx, "connect without a token", "conn", conn)
		return Response{}, ErrUnauthorized
	}
	signer, err := a.keys.Signer(ctx)
	if err != nil {
		// No keys: fail closed, visibly (500 to the client, an error in the logs).
		a.log.ErrorContext(ctx, "loading token keys", "err", err)
		return Response{}, fmt.Errorf("wsauth: token keys unavailable: %w", err)
	}
	claims, err := signer.Verify(token, a.now())
	if err != nil {
		a.log.InfoContext(ctx, "connect with a bad token", "conn", conn, "source", source, "err", err)
		return Response{}, ErrUnauthorized
	}
	resp := Response{
		PrincipalID: claims.PlayerID,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{ev.MethodArn},
			}},
		},
		Context: map[string]any{
			"playerId": claims.PlayerID,
			"name":     claims.Name,
			"guest":    claims.Guest,
			"token":    token,
		},
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return Response{}, fmt.Errorf("wsauth: encoding result: %w", err)
	}
	if len(b) > MaxResultBytes {
		a.log.WarnContext(ctx, "authorizer result over the limit", "conn", conn, "bytes", len(b))
		return Response{}, ErrUnauthorized
	}
	a.log.InfoContext(ctx, "connect allowed", "conn", conn, "player", claims.PlayerID, "source", source)
	return resp, nil
}

// findToken takes the token from the query string, else from Sec-WebSocket-Protocol.
func findToken(ev Event) (token, source string) {
	if t := ev.QueryStringParameters["token"]; t != "" {
		return t, "query"
	}
	if ts := ev.MultiValueQueryStringParameters["token"]; len(ts) > 0 && ts[0] != "" {
		return ts[0], "query"
	}
	for _, v := range headerValues(ev, "Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && p != Subprotocol {
				return p, "subprotocol"
			}
		}
	}
	return "", ""
}

// headerValues looks a header up case-insensitively (API Gateway keeps the client's spelling).
func headerValues(ev Event, name string) []string {
	for k, vs := range ev.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs
		}
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return []string{v}
		}
	}
	return nil
}
