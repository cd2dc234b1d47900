package gatewaytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
)

// authorize runs the Lambda authorizer for a $connect; status 0 means allowed (c then holds the
// principal and the stringified context).
func (g *Gateway) authorize(ctx context.Context, c *clientConn) (int, string) {
	for _, src := range g.cfg.IdentitySources {
		v, _ := g.evaluate(c, RouteConnect, src)
		if v == "" {
			return http.StatusUnauthorized, "Unauthorized" // API Gateway does not invoke the Lambda
		}
	}
	event, err := json.Marshal(g.authorizerEvent(c))
	if err != nil {
		return http.StatusInternalServerError, "Internal server error"
	}
	out, err := g.cfg.Authorizer(ctx, event)
	if err != nil {
		if err.Error() == "Unauthorized" {
			return http.StatusUnauthorized, "Unauthorized"
		}
		g.cfg.Log.Warn("authorizer failed", "conn", c.id, "err", err)
		return http.StatusInternalServerError, "Internal server error"
	}
	if len(out) > MaxAuthorizerOut {
		g.cfg.Log.Warn("authorizer result too large", "conn", c.id, "bytes", len(out))
		return http.StatusInternalServerError, "Internal server error"
	}
	var res struct {
		PrincipalID    string `json:"principalId"`
		PolicyDocument struct {
			Version   string `json:"Version"`
			Statement []struct {
				Action   stringList `json:"Action"`
				Effect   string     `json:"Effect"`
				Resource stringList `json:"Resource"`
			} `json:"Statement"`
		} `json:"policyDocument"`
		Context map[string]any `json:"context"`
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil || res.PrincipalID == "" {
		g.cfg.Log.Warn("authorizer result malformed", "conn", c.id, "err", err, "result", string(out))
		return http.StatusInternalServerError, "Internal server error"
	}
	for k, v := range res.Context {
		switch v := v.(type) {
		case string:
			c.authCtx[k] = v
		case json.Number:
			c.authCtx[k] = v.String()
		case bool:
			c.authCtx[k] = fmt.Sprint(v)
		default:
			// API Gateway refuses context values that are objects, arrays or null.
			g.cfg.Log.Warn("authorizer context value of an unsupported type", "conn", c.id, "key", k)
			return http.StatusInternalServerError, "Internal server error"
		}
	}
	arn := g.methodArn(RouteConnect)
	allowed := false
	for _, st := range res.PolicyDocument.Statement {
		if !matchesAny(st.Action, "execute-api:Invoke") || !matchesAny(st.Resource, arn) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return http.StatusForbidden, "Forbidden"
		case "Allow":
			allowed = true
		}
	}
	if !allowed {
		return http.StatusForbidden, "Forbidden"
	}
	c.principal = res.PrincipalID
	return 0, ""
}

// stringList reads an IAM field that may be a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// matchesAny reports whether one of the IAM patterns (with * and ? wildcards) matches s.
func matchesAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00")); err == nil && ok {
			return true
		}
	}
	return false
}

// authorizerEvent is the REQUEST authorizer input of a WebSocket $connect, shaped as in the API
// Gateway developer guide's example.
func (g *Gateway) authorizerEvent(c *clientConn) map[string]any {
	headers := map[string]string{}
	mvHeaders := map[string][]string{}
	for k, vs := range c.headers {
		headers[k] = strings.Join(vs, ",")
		mvHeaders[k] = vs
	}
	query := map[string]string{}
	mvQuery := map[string][]string{}
	for k, vs := range c.query {
		if len(vs) > 0 {
			query[k] = vs[len(vs)-1]
		}
		mvQuery[k] = vs
	}
	now := time.Now()
	stageVars := g.cfg.StageVariables
	if stageVars == nil {
		stageVars = map[string]string{}
	}
	return map[string]any{
		"type":                            "REQUEST",
		"methodArn":                       g.methodArn(RouteConnect),
		"headers":                         headers,
		"multiValueHeaders":               mvHeaders,
		"queryStringParameters":           query,
		"multiValueQueryStringParameters": mvQuery,
		"stageVariables":                  stageVars,
		"requestContext": map[string]any{
			"routeKey":          RouteConnect,
			"eventType":         "CONNECT",
			"extendedRequestId": newID(),
			"requestTime":       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			"messageDirection":  "IN",
			"stage":             g.cfg.Stage,
			"connectedAt":       c.connectedAt.UnixMilli(),
			"requestTimeEpoch":  now.UnixMilli(),
			"identity":          map[string]any{"sourceIp": c.sourceIP, "userAgent": c.userAgent},
			"requestId":         newID(),
			"domainName":        strings.TrimPrefix(g.url, "http://"),
			"connectionId":      c.id,
			"apiId":             g.cfg.APIID,
		},
	}
}
