package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"chessplatform/app/internal/devtools/wsclient"
)

// SourceIP is the loopback address the load generator uses for client i: groups of perIP
// clients share one address of 127.1.0.0/16. Linux routes all of 127.0.0.0/8 to lo, so each
// address is a distinct client to the server (its own per-IP sign-in bucket) and has its own
// ~28k ephemeral ports towards one server port.
func SourceIP(i, perIP int) net.IP {
	g := i / perIP
	return net.IPv4(127, byte(1+g/62500), byte(g/250%250), byte(g%250+1))
}

type ipKey struct{}

// withSourceIP makes dials under ctx bind to ip.
func withSourceIP(ctx context.Context, ip net.IP) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

// dialFrom dials from the source address carried by ctx (if any).
func dialFrom(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if ip, ok := ctx.Value(ipKey{}).(net.IP); ok {
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return d.DialContext(ctx, network, addr)
}

// newHTTPClient returns a client whose connections bind to the source address in the request
// context. Keep-alives are off: a pooled connection would ignore the next request's address.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DialContext: dialFrom, DisableKeepAlives: true, ForceAttemptHTTP2: false},
	}
}

// wsHTTPClient is the client WebSocket handshakes go through (connections are hijacked, so
// pooling does not matter).
func wsHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: dialFrom, ForceAttemptHTTP2: false}}
}

// Session is a guest identity from POST /api/sessions and the source address it was created
// from (its connections come from there too, so the server counts them under that address).
type Session struct {
	wsclient.Session
	Source net.IP `json:"-"`
}

// errRateLimited is the server's 429 on sign-ins.
var errRateLimited = errors.New("rate limited (HTTP 429)")

// NewGuest creates a guest session from source address ip.
func NewGuest(ctx context.Context, hc *http.Client, baseURL string, ip net.IP) (Session, error) {
	ws, err := wsclient.Guest(withSourceIP(ctx, ip), hc, baseURL)
	switch {
	case wsclient.IsStatus(err, http.StatusTooManyRequests):
		return Session{}, errRateLimited
	case err != nil:
		return Session{}, fmt.Errorf("POST /api/sessions: %w", err)
	case ws.Token == "" || ws.Player.Name == "":
		return Session{}, errors.New("POST /api/sessions: answer without token or name")
	}
	return Session{Session: ws, Source: ip}, nil
}

// dialWS opens the direct WebSocket for a session, from the session's source address.
func dialWS(ctx context.Context, hc *http.Client, baseURL string, s Session) (*wsclient.Conn, error) {
	ctx, cancel := context.WithTimeout(withSourceIP(ctx, s.Source), 20*time.Second)
	defer cancel()
	c, err := wsclient.DialConn(ctx, baseURL, s.Token, wsclient.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("dialing /ws: %w", err)
	}
	return c, nil
}
