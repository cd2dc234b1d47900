// Package gatewaytest is a small in-test emulator of an API Gateway WebSocket API in front of
// the backend, as deployed: clients connect with WebSockets to /{stage}; a Lambda REQUEST
// authorizer (a Go handler called with the JSON event API Gateway sends) checks $connect; every
// route is an HTTP_PROXY integration that POSTs to a backend with the configured integration
// request parameters (connection id, authorizer context, static values) as headers and the
// client's frame as the body; and the management API (POST/GET/DELETE
// /{stage}/@connections/{id}) pushes to clients, answering 410 GoneException for unknown ids.
//
// Which backend instance gets each integration request is up to the test (Config.Backend), so
// a test can spread one connection's messages over several instances. A connection's messages
// are sent to the backend one at a time, each after the previous one was answered.
//
// Fidelity notes: @connections requests must carry a valid SigV4 signature (scope
// {region}/execute-api, Config.Credentials; recomputed from the request by SigV4Verifier, 403
// otherwise); $connect passes the client's headers through (except hop-by-hop ones); an
// integration that fails or answers non-2xx on a message makes the gateway send the client
// {"message": "Internal server error", ...} as API Gateway does; a non-2xx answer on $connect
// refuses the connection with that status.
package gatewaytest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Route keys.
const (
	RouteConnect    = "$connect"
	RouteDefault    = "$default"
	RouteDisconnect = "$disconnect"
)

// API Gateway's WebSocket limits that the emulator enforces.
const (
	MaxMessageBytes  = 128 << 10 // one message, client→server or @connections
	MaxAuthorizerOut = 8 << 10   // authorizer result
)

// Authorizer is a Lambda function as API Gateway invokes it: a JSON event in, a JSON result
// out. An error whose text is exactly "Unauthorized" refuses the connection with 401; any other
// error with 500.
type Authorizer func(ctx context.Context, event []byte) ([]byte, error)

// LambdaJSON adapts a typed Lambda handler the way the Lambda runtime does.
func LambdaJSON[In, Out any](f func(context.Context, In) (Out, error)) Authorizer {
	return func(ctx context.Context, event []byte) ([]byte, error) {
		var in In
		if err := json.Unmarshal(event, &in); err != nil {
			return nil, fmt.Errorf("lambda runtime: decoding the event: %w", err)
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// Request describes one integration request, for Config.Backend.
type Request struct {
	Route  string
	ConnID string
	Seq    int // 0 for $connect, then 1, 2, ... for the connection's messages
}

// Config describes the emulated API. Zero values take the defaults noted.
type Config struct {
	APIID     string // "emu0000001"
	Stage     string // "ws" (so wsclient.Dial(gateway.URL(), token) reaches /ws?token=)
	Region    string // "us-east-1"
	AccountID string // "123456789012"

	Authorizer Authorizer // the $connect authorizer; nil: none
	// IdentitySources as on the authorizer (e.g. "route.request.querystring.token"): when one
	// is missing the gateway answers 401 without invoking the authorizer.
	IdentitySources []string

	// Backend returns the base URL (http://host:port) an integration request goes to.
	Backend func(Request) string
	// Paths are the integration URIs' paths per route. Besides $connect, $default and
	// $disconnect, a key names a custom route: with the route selection expression
	// $request.body.t, a JSON frame whose "t" is that key goes to it; every other frame to
	// $default.
	Paths map[string]string
	// TwoWayRoutes have a $default route response: the body of their integration's 2xx answer
	// is sent to the client as a message (HTTP_PROXY passes it through unchanged). Other routes
	// are one-way: the integration's answer never reaches the client.
	TwoWayRoutes []string
	// RequestParameters per route: "integration.request.header.NAME" (or .querystring.NAME)
	// → a mapping expression (context.*, route.request.querystring|header.* on $connect,
	// stageVariables.*, 'static').
	RequestParameters map[string]map[string]string
	StageVariables    map[string]string

	// ConnectStatusIgnored opens the connection whatever status the $connect integration
	// answers, as has been reported for HTTP integrations (AWS documents that a failed
	// $connect refuses the connection, which is the default here).
	ConnectStatusIgnored bool

	// Credentials the @connections API accepts; every request's SigV4 signature (scope
	// {Region}/execute-api) is recomputed and a mismatch answered 403 as AWS does.
	// Default: TestAccessKeyID / TestSecretAccessKey.
	Credentials []Credential

	HTTPClient         *http.Client  // for integration requests; a plain client
	IntegrationTimeout time.Duration // 29 s
	IdleTimeout        time.Duration // no client message for this long closes; 10 min
	MaxDuration        time.Duration // connection lifetime; 2 h
	Log                *slog.Logger  // discards when nil
}

// Gateway is a running emulator. Safe for concurrent use.
type Gateway struct {
	cfg Config
	ln  net.Listener
	srv *http.Server
	url string

	mu    sync.Mutex
	conns map[string]*clientConn
	fail  []*faultRule

	customRoutes   bool
	twoWay         map[string]bool
	routeResponses atomic.Int64
	verifier       SigV4Verifier
	sigRejects     atomic.Int64
	posts          atomic.Int64
	maxPost        atomic.Int64
	errorsSent     atomic.Int64
	wg             sync.WaitGroup
	closing        atomic.Bool
}

type clientConn struct {
	id          string
	ws          *websocket.Conn
	principal   string
	authCtx     map[string]string
	query       url.Values
	headers     http.Header
	sourceIP    string
	userAgent   string
	connectedAt time.Time
	lastActive  atomic.Int64  // Unix ms
	ready       chan struct{} // closed once ws is set (or the handshake failed, ws nil)
	silent      atomic.Bool   // dropped: no $disconnect
	posts       atomic.Int64
}

type faultRule struct {
	connID string // "" matches every connection
	status int
	left   int
}

// New starts an emulator on a free loopback port.
func New(cfg Config) (*Gateway, error) {
	if cfg.Backend == nil {
		return nil, errors.New("gatewaytest: Config.Backend is required")
	}
	if cfg.APIID == "" {
		cfg.APIID = "emu0000001"
	}
	if cfg.Stage == "" {
		cfg.Stage = "ws"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.IntegrationTimeout <= 0 {
		cfg.IntegrationTimeout = 29 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = 2 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(cfg.Credentials) == 0 {
		cfg.Credentials = []Credential{{AccessKeyID: TestAccessKeyID, SecretAccessKey: TestSecretAccessKey}}
	}
	for route, params := range cfg.RequestParameters {
		for k, expr := range params {
			if err := checkParam(route, k, expr); err != nil {
				return nil, err
			}
		}
	}
	for _, src := range cfg.IdentitySources {
		if !strings.HasPrefix(src, "route.request.querystring.") && !strings.HasPrefix(src, "route.request.header.") {
			return nil, fmt.Errorf("gatewaytest: identity source %q: want route.request.querystring.* or route.request.header.*", src)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, ln: ln, url: "http://" + ln.Addr().String(), conns: map[string]*clientConn{}}
	g.twoWay = map[string]bool{}
	for _, r := range cfg.TwoWayRoutes {
		if _, ok := cfg.Paths[r]; !ok && r != RouteDefault {
			return nil, fmt.Errorf("gatewaytest: two-way route %q has no integration (Paths)", r)
		}
		g.twoWay[r] = true
	}
	for r := range cfg.Paths {
		if !strings.HasPrefix(r, "$") {
			g.customRoutes = true
		}
	}
	g.verifier = SigV4Verifier{Region: cfg.Region, Service: "execute-api", Credentials: cfg.Credentials, MaxSkew: 15 * time.Minute, Now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("/{stage}/@connections/{id}", g.serveManagement)
	mux.HandleFunc("/", g.serveUpgrade)
	g.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = g.srv.Serve(ln) }()
	return g, nil
}

// URL is the gateway's base URL (http://127.0.0.1:port); clients connect to URL/{stage}.
func (g *Gateway) URL() string { return g.url }

// WebSocketURL is the client URL of the stage (ws://127.0.0.1:port/{stage}).
func (g *Gateway) WebSocketURL() string {
	return "ws" + strings.TrimPrefix(g.url, "http") + "/" + g.cfg.Stage
}

// ManagementEndpoint is the @connections base URL (the backend client's BaseEndpoint).
func (g *Gateway) ManagementEndpoint() string { return g.url + "/" + g.cfg.Stage }

// Stage is the stage name.
func (g *Gateway) Stage() string { return g.cfg.Stage }

// Close closes every client connection (calling $disconnect for each) and stops the emulator.
func (g *Gateway) Close() {
	g.closing.Store(true)
	g.mu.Lock()
	all := make([]*clientConn, 0, len(g.conns))
	for _, c := range g.conns {
		all = append(all, c)
	}
	g.mu.Unlock()
	for _, c := range all {
		<-c.ready
		if c.ws != nil {
			_ = c.ws.Close(websocket.StatusGoingAway, "gateway shutting down")
		}
	}
	g.wg.Wait()
	_ = g.srv.Close()
}

// Connections lists the open connection ids, sorted.
func (g *Gateway) Connections() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.conns))
	for id := range g.conns {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// ConnectionsOf lists the open connections whose authorizer principal is principal.
func (g *Gateway) ConnectionsOf(principal string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for id, c := range g.conns {
		if c.principal == principal {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Drop closes a client's connection abruptly and forgets it without calling $disconnect (as
// when API Gateway's $disconnect delivery fails): the next @connections call gets 410.
func (g *Gateway) Drop(connID string) bool {
	g.mu.Lock()
	c := g.conns[connID]
	delete(g.conns, connID)
	g.mu.Unlock()
	if c == nil {
		return false
	}
	c.silent.Store(true)
	<-c.ready
	if c.ws != nil {
		_ = c.ws.CloseNow()
	}
	return true
}

// FailPosts makes the next n @connections POSTs to connID ("" for any) answer status (429 is
// LimitExceededException, 410 GoneException, 403 ForbiddenException, others
// InternalServerErrorException).
func (g *Gateway) FailPosts(connID string, status, n int) {
	g.mu.Lock()
	g.fail = append(g.fail, &faultRule{connID: connID, status: status, left: n})
	g.mu.Unlock()
}

// Posts counts successful @connections POSTs; MaxPostBytes is the largest one.
func (g *Gateway) Posts() int64 { return g.posts.Load() }

// RouteResponses counts the integration answers sent to clients through a route response.
func (g *Gateway) RouteResponses() int64 { return g.routeResponses.Load() }

// selectRoute evaluates the route selection expression $request.body.t: a custom route whose
// key is the frame's "t", else $default (also for frames that are not JSON objects).
func (g *Gateway) selectRoute(data []byte) string {
	if !g.customRoutes {
		return RouteDefault
	}
	var sel struct {
		T any `json:"t"`
	}
	if json.Unmarshal(data, &sel) != nil {
		return RouteDefault
	}
	if key, ok := sel.T.(string); ok && !strings.HasPrefix(key, "$") {
		if _, ok := g.cfg.Paths[key]; ok {
			return key
		}
	}
	return RouteDefault
}

// SignatureRejections counts @connections requests answered 403 for their signature.
func (g *Gateway) SignatureRejections() int64 { return g.sigRejects.Load() }

func (g *Gateway) MaxPostBytes() int64 { return g.maxPost.Load() }

// PostsTo counts successful POSTs to one connection (0 once it is closed).
func (g *Gateway) PostsTo(connID string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.conns[connID]; c != nil {
		return c.posts.Load()
	}
	return 0
}

// IntegrationErrors counts "Internal server error" messages the gateway sent to clients
// because an integration failed.
func (g *Gateway) IntegrationErrors() int64 { return g.errorsSent.Load() }

func (g *Gateway) methodArn(route string) string {
	return fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s", g.cfg.Region, g.cfg.AccountID, g.cfg.APIID, g.cfg.Stage, route)
}

func newID() string {
	b := make([]byte, 11)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b) // like "L0SM9cOFvHcCIhw=", '/' and '+' included
}

func gatewayJSON(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if errType != "" {
		w.Header().Set("X-Amzn-ErrorType", errType)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
