package gatewaytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
)

// backend records the integration requests it gets and answers with status[route] (200).
type backend struct {
	mu     sync.Mutex
	reqs   []recorded
	status map[string]int
	ts     *httptest.Server
}

type recorded struct {
	path   string
	header http.Header
	query  string
	body   string
}

func newBackend(t *testing.T) *backend {
	b := &backend{status: map[string]int{}}
	b.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.reqs = append(b.reqs, recorded{path: r.URL.Path, header: r.Header.Clone(), query: r.URL.RawQuery, body: string(body)})
		st := b.status[r.URL.Path]
		b.mu.Unlock()
		if st == 0 {
			st = http.StatusOK
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(b.ts.Close)
	return b
}

func (b *backend) requests(path string) []recorded {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []recorded
	for _, r := range b.reqs {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

func (b *backend) setStatus(path string, st int) {
	b.mu.Lock()
	b.status[path] = st
	b.mu.Unlock()
}

var paths = map[string]string{
	gatewaytest.RouteConnect: "/c", gatewaytest.RouteDefault: "/m", gatewaytest.RouteDisconnect: "/d",
}

// allow is an authorizer that allows with a fixed context, counting its calls.
func allow(calls *atomic.Int32, result string) gatewaytest.Authorizer {
	return func(_ context.Context, event []byte) ([]byte, error) {
		calls.Add(1)
		var ev map[string]any
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, err
		}
		return []byte(strings.ReplaceAll(result, "METHOD_ARN", ev["methodArn"].(string))), nil
	}
}

const allowResult = `{"principalId":"p1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":["execute-api:Invoke"],"Effect":"Allow","Resource":["METHOD_ARN"]}]},"context":{"token":"tok","n":7,"guest":true}}`

func newGateway(t *testing.T, b *backend, mod func(*gatewaytest.Config)) *gatewaytest.Gateway {
	t.Helper()
	cfg := gatewaytest.Config{
		Backend: func(gatewaytest.Request) string { return b.ts.URL },
		Paths:   paths,
		RequestParameters: map[string]map[string]string{
			gatewaytest.RouteConnect: {
				"integration.request.header.connectionId": "context.connectionId",
				"integration.request.header.X-Token":      "context.authorizer.token",
				"integration.request.header.X-N":          "context.authorizer.n",
				"integration.request.header.X-Principal":  "context.authorizer.principalId",
				"integration.request.header.X-Static":     "'s3cret'",
				"integration.request.querystring.q":       "route.request.querystring.token",
			},
			gatewaytest.RouteDefault:    {"integration.request.header.connectionId": "context.connectionId", "integration.request.header.X-Event": "context.eventType"},
			gatewaytest.RouteDisconnect: {"integration.request.header.connectionId": "context.connectionId"},
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := gatewaytest.New(cfg)
	require.NoError(t, err)
	t.Cleanup(g.Close)
	return g
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, g *gatewaytest.Gateway, query string) (*websocket.Conn, *http.Response, error) {
	ws, resp, err := websocket.Dial(ctxT(t), g.WebSocketURL()+query, nil)
	if ws != nil {
		t.Cleanup(func() { _ = ws.CloseNow() })
	}
	return ws, resp, err
}

func TestIntegrationRequests(t *testing.T) {
	b := newBackend(t)
	var calls atomic.Int32
	g := newGateway(t, b, func(c *gatewaytest.Config) { c.Authorizer = allow(&calls, allowResult) })
	ws, _, err := dial(t, g, "?token=tok")
	require.NoError(t, err)
	ids := g.Connections()
	require.Len(t, ids, 1)
	id := ids[0]
	assert.Equal(t, []string{id}, g.ConnectionsOf("p1"))

	con := b.requests("/c")
	require.Len(t, con, 1)
	h := con[0].header
	assert.Equal(t, id, h.Get("connectionId"))
	assert.Equal(t, "tok", h.Get("X-Token"))
	assert.Equal(t, "7", h.Get("X-N"), "numbers are stringified")
	assert.Equal(t, "p1", h.Get("X-Principal"))
	assert.Equal(t, "s3cret", h.Get("X-Static"))
	assert.Equal(t, "q=tok", con[0].query)
	assert.NotEmpty(t, h.Get("Sec-WebSocket-Key"), "$connect passes the client's headers through")
	assert.Empty(t, h.Get("Upgrade"))

	for _, msg := range []string{`{"t":"ping"}`, "not json at all"} {
		require.NoError(t, ws.Write(ctxT(t), websocket.MessageText, []byte(msg)))
	}
	require.Eventually(t, func() bool { return len(b.requests("/m")) == 2 }, 2*time.Second, 5*time.Millisecond)
	msgs := b.requests("/m")
	assert.Equal(t, `{"t":"ping"}`, msgs[0].body, "the body is the frame, as is")
	assert.Equal(t, "not json at all", msgs[1].body)
	assert.Equal(t, id, msgs[0].header.Get("connectionId"))
	assert.Equal(t, "MESSAGE", msgs[0].header.Get("X-Event"))

	require.NoError(t, ws.Close(websocket.StatusNormalClosure, ""))
	require.Eventually(t, func() bool { return len(b.requests("/d")) == 1 }, 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, id, b.requests("/d")[0].header.Get("connectionId"))
	assert.Empty(t, g.Connections())
}

func TestAuthorizerOutcomes(t *testing.T) {
	arnAny := `{"principalId":"p1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:emu0000001/*"}]}}`
	tests := []struct {
		name   string
		auth   gatewaytest.Authorizer
		query  string
		status int // 0: connected
		called bool
	}{
		{"allow", nil, "?token=x", 0, true},
		{"wildcard resource", func(context.Context, []byte) ([]byte, error) { return []byte(arnAny), nil }, "?token=x", 0, true},
		{"identity source missing", nil, "", 401, false},
		{"unauthorized", func(context.Context, []byte) ([]byte, error) { return nil, errors.New("Unauthorized") }, "?token=x", 401, true},
		{"lambda error", func(context.Context, []byte) ([]byte, error) { return nil, errors.New("boom") }, "?token=x", 500, true},
		{"deny", func(context.Context, []byte) ([]byte, error) {
			return []byte(strings.ReplaceAll(allowResult, `"Allow"`, `"Deny"`)), nil
		}, "?token=x", 403, true},
		{"other resource", func(context.Context, []byte) ([]byte, error) {
			return []byte(strings.ReplaceAll(allowResult, "METHOD_ARN", "arn:aws:execute-api:us-east-1:123456789012:other/ws/$connect")), nil
		}, "?token=x", 403, true},
		{"object in context", func(context.Context, []byte) ([]byte, error) {
			return []byte(strings.ReplaceAll(allowResult, `"n":7`, `"n":{"a":1}`)), nil
		}, "?token=x", 500, true},
		{"result over 8 KB", func(context.Context, []byte) ([]byte, error) {
			return []byte(strings.ReplaceAll(allowResult, `"tok"`, `"`+strings.Repeat("x", 9000)+`"`)), nil
		}, "?token=x", 500, true},
		{"no principal", func(context.Context, []byte) ([]byte, error) {
			return []byte(strings.ReplaceAll(allowResult, `"p1"`, `""`)), nil
		}, "?token=x", 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t)
			var calls atomic.Int32
			auth := tt.auth
			if auth == nil {
				auth = allow(&calls, allowResult)
			}
			counted := func(ctx context.Context, ev []byte) ([]byte, error) {
				calls.Add(1)
				return auth(ctx, ev)
			}
			g := newGateway(t, b, func(c *gatewaytest.Config) {
				c.Authorizer = counted
				c.IdentitySources = []string{"route.request.querystring.token"}
			})
			_, resp, err := dial(t, g, tt.query)
			if tt.status == 0 {
				require.NoError(t, err)
				assert.Len(t, g.Connections(), 1)
			} else {
				require.Error(t, err)
				require.NotNil(t, resp)
				assert.Equal(t, tt.status, resp.StatusCode)
				assert.Empty(t, b.requests("/c"), "the integration is not called")
			}
			assert.Equal(t, tt.called, calls.Load() > 0)
		})
	}
}

func TestAuthorizerEventShape(t *testing.T) {
	b := newBackend(t)
	var got map[string]any
	g := newGateway(t, b, func(c *gatewaytest.Config) {
		c.Authorizer = func(_ context.Context, ev []byte) ([]byte, error) {
			require.NoError(t, json.Unmarshal(ev, &got))
			return []byte(strings.ReplaceAll(allowResult, "METHOD_ARN", got["methodArn"].(string))), nil
		}
	})
	_, _, err := dial(t, g, "?token=abc&x=1&x=2")
	require.NoError(t, err)
	assert.Equal(t, "REQUEST", got["type"])
	assert.Equal(t, "arn:aws:execute-api:us-east-1:123456789012:emu0000001/ws/$connect", got["methodArn"])
	assert.Equal(t, map[string]any{"token": "abc", "x": "2"}, got["queryStringParameters"])
	assert.Equal(t, []any{"1", "2"}, got["multiValueQueryStringParameters"].(map[string]any)["x"])
	rc := got["requestContext"].(map[string]any)
	assert.Equal(t, "$connect", rc["routeKey"])
	assert.Equal(t, "CONNECT", rc["eventType"])
	assert.Equal(t, "IN", rc["messageDirection"])
	assert.Equal(t, g.Connections()[0], rc["connectionId"])
	assert.Equal(t, "13", got["headers"].(map[string]any)["Sec-Websocket-Version"])
}

func TestManagementAPI(t *testing.T) {
	b := newBackend(t)
	g := newGateway(t, b, nil)
	ws, _, err := dial(t, g, "")
	require.NoError(t, err)
	id := g.Connections()[0]
	do := func(method, path string, sign bool, body string) (int, string, http.Header) {
		req, err := http.NewRequest(method, g.URL()+path, strings.NewReader(body))
		require.NoError(t, err)
		if sign {
			sdkSign(t, req, []byte(body), gatewaytest.TestSecretAccessKey, time.Now())
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(rb), resp.Header
	}
	const sig = true
	escaped := "/ws/@connections/" + strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(id)

	st, _, _ := do(http.MethodPost, escaped, false, "x")
	assert.Equal(t, http.StatusForbidden, st, "unsigned")
	st, _, _ = do(http.MethodPost, "/other/@connections/abc", sig, "x")
	assert.Equal(t, http.StatusForbidden, st, "wrong stage")
	for _, m := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		st, _, hdr := do(m, "/ws/@connections/unknown", sig, "x")
		assert.Equal(t, http.StatusGone, st, m)
		assert.Equal(t, "GoneException", hdr.Get("X-Amzn-ErrorType"))
	}
	st, _, _ = do(http.MethodPost, escaped, sig, `{"t":"pong"}`)
	require.Equal(t, http.StatusOK, st)
	_, data, err := ws.Read(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, `{"t":"pong"}`, string(data))
	st, _, hdr := do(http.MethodPost, escaped, sig, strings.Repeat("x", gatewaytest.MaxMessageBytes+1))
	assert.Equal(t, http.StatusRequestEntityTooLarge, st)
	assert.Equal(t, "PayloadTooLargeException", hdr.Get("X-Amzn-ErrorType"))
	st, body, _ := do(http.MethodGet, escaped, sig, "")
	assert.Equal(t, http.StatusOK, st)
	assert.Contains(t, body, `"connectedAt"`)

	g.FailPosts(id, http.StatusTooManyRequests, 1)
	st, _, hdr = do(http.MethodPost, escaped, sig, "x")
	assert.Equal(t, http.StatusTooManyRequests, st)
	assert.Equal(t, "LimitExceededException", hdr.Get("X-Amzn-ErrorType"))
	st, _, _ = do(http.MethodPost, escaped, sig, "x")
	assert.Equal(t, http.StatusOK, st, "only the injected number of failures")

	// Drain what the earlier posts sent, so the client answers the close handshake.
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	st, _, _ = do(http.MethodDelete, escaped, sig, "")
	assert.Equal(t, http.StatusNoContent, st)
	st, _, _ = do(http.MethodPost, escaped, sig, "x")
	assert.Equal(t, http.StatusGone, st, "gone right after the delete")
	require.Eventually(t, func() bool { return len(b.requests("/d")) == 1 }, 2*time.Second, 5*time.Millisecond, "a delete is followed by $disconnect")
}

func TestDropSkipsDisconnect(t *testing.T) {
	b := newBackend(t)
	g := newGateway(t, b, nil)
	ws, _, err := dial(t, g, "")
	require.NoError(t, err)
	id := g.Connections()[0]
	require.True(t, g.Drop(id))
	_, _, err = ws.Read(ctxT(t))
	require.Error(t, err, "the client's connection is gone")
	time.Sleep(100 * time.Millisecond)
	assert.Empty(t, b.requests("/d"), "no $disconnect")
	assert.False(t, g.Drop(id))
}

func TestFailuresReachTheClient(t *testing.T) {
	b := newBackend(t)
	g := newGateway(t, b, func(c *gatewaytest.Config) { c.IdleTimeout = 300 * time.Millisecond })

	b.setStatus("/c", http.StatusUnauthorized)
	_, resp, err := dial(t, g, "")
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a non-2xx $connect answer refuses the connection")
	b.setStatus("/c", 0)

	b.setStatus("/m", http.StatusInternalServerError)
	ws, _, err := dial(t, g, "")
	require.NoError(t, err)
	require.NoError(t, ws.Write(ctxT(t), websocket.MessageText, []byte("hi")))
	_, data, err := ws.Read(ctxT(t))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"message":"Internal server error"`)
	assert.Equal(t, int64(1), g.IntegrationErrors())

	// Idle: nothing from the client for IdleTimeout closes the connection (1001).
	_, _, err = ws.Read(ctxT(t))
	assert.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err))

	ws2, _, err := dial(t, g, "")
	require.NoError(t, err)
	big := strings.Repeat("x", gatewaytest.MaxMessageBytes+1)
	_ = ws2.Write(ctxT(t), websocket.MessageText, []byte(big))
	_, _, err = ws2.Read(ctxT(t))
	assert.Equal(t, websocket.StatusMessageTooBig, websocket.CloseStatus(err), "messages over 128 KB close with 1009")
}

func TestConfigValidation(t *testing.T) {
	b := newBackend(t)
	bad := []func(*gatewaytest.Config){
		func(c *gatewaytest.Config) { c.Backend = nil },
		func(c *gatewaytest.Config) {
			c.RequestParameters[gatewaytest.RouteDefault]["integration.request.header.T"] = "route.request.querystring.token"
		},
		func(c *gatewaytest.Config) {
			c.RequestParameters[gatewaytest.RouteDefault]["integration.request.header.T"] = "route.request.body.x"
		},
		func(c *gatewaytest.Config) {
			c.RequestParameters[gatewaytest.RouteDefault]["integration.request.path.T"] = "context.connectionId"
		},
		func(c *gatewaytest.Config) { c.IdentitySources = []string{"context.connectionId"} },
	}
	for i, mod := range bad {
		cfg := gatewaytest.Config{
			Backend: func(gatewaytest.Request) string { return b.ts.URL },
			RequestParameters: map[string]map[string]string{
				gatewaytest.RouteDefault: {"integration.request.header.connectionId": "context.connectionId"},
			},
		}
		mod(&cfg)
		_, err := gatewaytest.New(cfg)
		assert.Error(t, err, "case %d", i)
	}
}
