package gatewaytest

// The client side of the emulator: the WebSocket upgrade with its $connect, the read loop that
// routes each frame, and the integration requests to the backend with their parameter mapping.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// serveUpgrade is the client side: the WebSocket handshake, $connect, then the message loop.
func (g *Gateway) serveUpgrade(w http.ResponseWriter, r *http.Request) {
	if path.Clean(r.URL.Path) != "/"+g.cfg.Stage {
		gatewayJSON(w, http.StatusForbidden, "", "Forbidden")
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		gatewayJSON(w, http.StatusUpgradeRequired, "", "Upgrade Required")
		return
	}
	if g.closing.Load() {
		gatewayJSON(w, http.StatusServiceUnavailable, "", "Service Unavailable")
		return
	}
	now := time.Now()
	c := &clientConn{
		id: newID(), query: r.URL.Query(), headers: r.Header.Clone(), sourceIP: remoteIP(r),
		userAgent: r.UserAgent(), connectedAt: now, authCtx: map[string]string{},
	}
	c.lastActive.Store(now.UnixMilli())
	ctx := r.Context()
	if g.cfg.Authorizer != nil {
		status, msg := g.authorize(ctx, c)
		if status != 0 {
			gatewayJSON(w, status, "", msg)
			return
		}
	}
	resp, err := g.integrate(ctx, c, RouteConnect, 0, nil)
	if err != nil {
		g.cfg.Log.Warn("$connect integration failed", "conn", c.id, "err", err)
		gatewayJSON(w, http.StatusInternalServerError, "", "Internal server error")
		return
	}
	if (resp.status < 200 || resp.status > 299) && !g.cfg.ConnectStatusIgnored {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body)
		return
	}
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled}
	if p := resp.header.Get("Sec-WebSocket-Protocol"); p != "" {
		opts.Subprotocols = []string{p}
	}
	// Registered before the handshake completes, so that once a client sees its connection
	// open, @connections knows it (management calls wait for ready).
	c.ready = make(chan struct{})
	g.mu.Lock()
	g.conns[c.id] = c
	g.mu.Unlock()
	ws, err := websocket.Accept(w, r, opts)
	if err != nil {
		g.mu.Lock()
		delete(g.conns, c.id)
		g.mu.Unlock()
		close(c.ready)
		g.cfg.Log.Warn("accepting websocket", "conn", c.id, "err", err)
		return
	}
	ws.SetReadLimit(MaxMessageBytes)
	c.ws = ws
	close(c.ready)
	g.wg.Add(1)
	defer g.wg.Done()
	g.readLoop(context.WithoutCancel(ctx), c)
	g.mu.Lock()
	if g.conns[c.id] == c {
		delete(g.conns, c.id)
	}
	g.mu.Unlock()
	if c.silent.Load() {
		return
	}
	_ = ws.CloseNow()
	if _, err := g.integrate(context.Background(), c, RouteDisconnect, -1, nil); err != nil {
		g.cfg.Log.Warn("$disconnect integration failed", "conn", c.id, "err", err)
	}
}

func (g *Gateway) readLoop(ctx context.Context, c *clientConn) {
	// API Gateway closes idle connections and connections older than 2 h with 1001.
	goingAway := func() { _ = c.ws.Close(websocket.StatusGoingAway, "Going away") }
	idle := time.AfterFunc(g.cfg.IdleTimeout, goingAway)
	defer idle.Stop()
	life := time.AfterFunc(g.cfg.MaxDuration, goingAway)
	defer life.Stop()
	for seq := 1; ; seq++ {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		idle.Reset(g.cfg.IdleTimeout)
		c.lastActive.Store(time.Now().UnixMilli())
		route := g.selectRoute(data)
		resp, err := g.integrate(ctx, c, route, seq, data)
		if err == nil && resp.status >= 200 && resp.status <= 299 {
			if g.twoWay[route] && len(resp.body) > 0 {
				g.routeResponses.Add(1)
				wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
				_ = c.ws.Write(wctx, websocket.MessageText, resp.body)
				wcancel()
			}
			continue
		}
		if err != nil {
			g.cfg.Log.Warn("$default integration failed", "conn", c.id, "err", err)
		} else {
			g.cfg.Log.Warn("$default integration answered an error", "conn", c.id, "status", resp.status, "body", string(resp.body))
		}
		g.errorsSent.Add(1)
		msg, _ := json.Marshal(map[string]string{"message": "Internal server error", "connectionId": c.id, "requestId": newID()})
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		_ = c.ws.Write(wctx, websocket.MessageText, msg)
		wcancel()
	}
}

type integrationResponse struct {
	status int
	header http.Header
	body   []byte
}

// hopByHop are the client headers not passed through on $connect.
var hopByHop = map[string]bool{"Connection": true, "Upgrade": true, "Content-Length": true, "Transfer-Encoding": true, "Keep-Alive": true, "Te": true, "Trailer": true}

// integrate sends one HTTP_PROXY integration request.
func (g *Gateway) integrate(ctx context.Context, c *clientConn, route string, seq int, body []byte) (integrationResponse, error) {
	base := g.cfg.Backend(Request{Route: route, ConnID: c.id, Seq: seq})
	p, ok := g.cfg.Paths[route]
	if !ok {
		p = "/"
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.IntegrationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+p, bytes.NewReader(body))
	if err != nil {
		return integrationResponse{}, err
	}
	if route == RouteConnect {
		for k, vs := range c.headers {
			if !hopByHop[http.CanonicalHeaderKey(k)] {
				req.Header[k] = append([]string(nil), vs...)
			}
		}
	}
	q := req.URL.Query()
	for k, expr := range g.cfg.RequestParameters[route] {
		v, ok := g.evaluate(c, route, expr)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "integration.request.header."):
			req.Header.Set(strings.TrimPrefix(k, "integration.request.header."), v)
		case strings.HasPrefix(k, "integration.request.querystring."):
			q.Set(strings.TrimPrefix(k, "integration.request.querystring."), v)
		}
	}
	req.URL.RawQuery = q.Encode()
	resp, err := g.cfg.HTTPClient.Do(req)
	if err != nil {
		return integrationResponse{}, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return integrationResponse{}, err
	}
	return integrationResponse{status: resp.StatusCode, header: resp.Header, body: rb}, nil
}

// checkParam validates one integration request parameter as API Gateway does at deploy time.
func checkParam(route, key, expr string) error {
	if !strings.HasPrefix(key, "integration.request.header.") && !strings.HasPrefix(key, "integration.request.querystring.") {
		return fmt.Errorf("gatewaytest: %s: parameter %q: want integration.request.header.* or .querystring.*", route, key)
	}
	switch {
	case len(expr) >= 2 && strings.HasPrefix(expr, "'") && strings.HasSuffix(expr, "'"):
		if strings.Contains(expr[1:len(expr)-1], "'") {
			return fmt.Errorf("gatewaytest: %s: %s: a static value cannot contain a quote", route, key)
		}
	case strings.HasPrefix(expr, "context."), strings.HasPrefix(expr, "stageVariables."):
	case strings.HasPrefix(expr, "route.request.querystring."), strings.HasPrefix(expr, "route.request.header."):
		if route != RouteConnect {
			return fmt.Errorf("gatewaytest: %s: %s = %s: request query strings and headers map only on $connect", route, key, expr)
		}
	default:
		return fmt.Errorf("gatewaytest: %s: %s: unsupported mapping expression %q", route, key, expr)
	}
	return nil
}

// evaluate resolves a mapping expression; false when its source is absent.
func (g *Gateway) evaluate(c *clientConn, route, expr string) (string, bool) {
	if strings.HasPrefix(expr, "'") {
		return expr[1 : len(expr)-1], true
	}
	if name, ok := strings.CutPrefix(expr, "stageVariables."); ok {
		v, ok := g.cfg.StageVariables[name]
		return v, ok
	}
	if name, ok := strings.CutPrefix(expr, "route.request.querystring."); ok {
		v := c.query.Get(name)
		return v, c.query.Has(name)
	}
	if name, ok := strings.CutPrefix(expr, "route.request.header."); ok {
		v := c.headers.Get(name)
		return v, v != ""
	}
	name := strings.TrimPrefix(expr, "context.")
	if key, ok := strings.CutPrefix(name, "authorizer."); ok {
		if key == "principalId" {
			return c.principal, c.principal != ""
		}
		v, ok := c.authCtx[key]
		return v, ok
	}
	switch name {
	case "connectionId":
		return c.id, true
	case "connectedAt":
		return strconv.FormatInt(c.connectedAt.UnixMilli(), 10), true
	case "routeKey":
		return route, true
	case "eventType":
		return eventType(route), true
	case "stage":
		return g.cfg.Stage, true
	case "apiId":
		return g.cfg.APIID, true
	case "domainName":
		return strings.TrimPrefix(g.url, "http://"), true
	case "requestId", "extendedRequestId", "messageId":
		return newID(), true
	case "identity.sourceIp":
		return c.sourceIP, true
	}
	return "", false
}

func eventType(route string) string {
	switch route {
	case RouteConnect:
		return "CONNECT"
	case RouteDisconnect:
		return "DISCONNECT"
	default:
		return "MESSAGE"
	}
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
