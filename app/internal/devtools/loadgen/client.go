package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
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

// Session is a guest identity from POST /api/sessions.
type Session struct {
	Token  string `json:"token"`
	Player struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"player"`
	Source net.IP `json:"-"` // the address the session was created from
}

// errRateLimited is the server's 429 on sign-ins.
var errRateLimited = errors.New("rate limited (HTTP 429)")

// NewGuest creates a guest session from source address ip.
func NewGuest(ctx context.Context, hc *http.Client, baseURL string, ip net.IP) (Session, error) {
	var s Session
	req, err := http.NewRequestWithContext(withSourceIP(ctx, ip), http.MethodPost, baseURL+"/api/sessions",
		strings.NewReader(`{"guest":true}`))
	if err != nil {
		return s, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return s, fmt.Errorf("POST /api/sessions: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return s, fmt.Errorf("POST /api/sessions: reading body: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return s, errRateLimited
	case resp.StatusCode != http.StatusCreated:
		return s, fmt.Errorf("POST /api/sessions: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("POST /api/sessions: decoding: %w", err)
	}
	if s.Token == "" || s.Player.Name == "" {
		return s, fmt.Errorf("POST /api/sessions: answer without token or name: %s", body)
	}
	s.Source = ip
	return s, nil
}

// dialWS opens the direct WebSocket for a session, from the session's source address.
func dialWS(ctx context.Context, hc *http.Client, baseURL string, s Session) (*websocket.Conn, error) {
	u := strings.Replace(baseURL, "http", "ws", 1) + "/ws?token=" + url.QueryEscape(s.Token)
	ctx, cancel := context.WithTimeout(withSourceIP(ctx, s.Source), 20*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: hc, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dialing /ws: HTTP %d: %w", resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dialing /ws: %w", err)
	}
	ws.SetReadLimit(1 << 20) // a late watcher may get a long full state
	return ws, nil
}

// Frames the load generator sends, built without reflection (the generator shares the CPU with
// the server, so its own cost matters).

func pingFrame() []byte { return []byte(`{"t":"ping"}`) }

func moveFrame(game, uci string, ply int, lagMs int64, ack int64) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"t":"move","d":{"game":"`...)
	b = append(b, game...)
	b = append(b, `","u":"`...)
	b = append(b, uci...)
	b = append(b, `","ply":`...)
	b = strconv.AppendInt(b, int64(ply), 10)
	if lagMs > 0 {
		b = append(b, `,"l":`...)
		b = strconv.AppendInt(b, lagMs, 10)
	}
	b = append(b, `},"a":`...)
	b = strconv.AppendInt(b, ack, 10)
	return append(b, '}')
}

// actionFrame builds {"t":t,"d":{key:val},"a":ack}.
func actionFrame(t, key, val string, ack int64) []byte {
	b := make([]byte, 0, 80)
	b = append(b, `{"t":"`...)
	b = append(b, t...)
	b = append(b, `","d":{"`...)
	b = append(b, key...)
	b = append(b, `":"`...)
	b = append(b, val...)
	b = append(b, `"},"a":`...)
	b = strconv.AppendInt(b, ack, 10)
	return append(b, '}')
}

func watchFrame(game string, ack int64) []byte {
	return []byte(`{"t":"watch","d":{"game":"` + game + `","v":0},"a":` + strconv.FormatInt(ack, 10) + `}`)
}

func challengeFrame(to, tc string, ack int64) []byte {
	return []byte(`{"t":"challenge","d":{"to":"` + to + `","tc":"` + tc + `","color":"random","rated":false},"a":` +
		strconv.FormatInt(ack, 10) + `}`)
}

// inMsg is a decoded server message: the fields the generator uses from every type.
type inMsg struct {
	T string
	V int64
	// Ack is the id of an ack, or the ref of an error.
	Ack  int64
	Code string // error
	Game string // move, end, gameStart, state
	Ply  int    // move
	ID   string // challenge
	From string // challenge
	// White, Black name the players (gameStart, state); Reason ends a game (end).
	White, Black string
	Reason       string
	Status       string
}

type wireMsg struct {
	T string          `json:"t"`
	V int64           `json:"v"`
	D json.RawMessage `json:"d"`
}

type wirePayload struct {
	Game   string `json:"game"`
	Ply    int    `json:"ply"`
	ID     string `json:"id"`
	From   string `json:"from"`
	Code   string `json:"code"`
	Ref    *int64 `json:"ref"`
	Reason string `json:"reason"`
	Status string `json:"status"`
	White  struct {
		Name string `json:"name"`
	} `json:"white"`
	Black struct {
		Name string `json:"name"`
	} `json:"black"`
}

// ackPrefix is how the server writes acks ({"t":"ack","d":N}); they are the most frequent
// message after moves and are parsed without the JSON decoder.
var ackPrefix = []byte(`{"t":"ack","d":`)

// parseMsg decodes one server frame.
func parseMsg(b []byte) (inMsg, error) {
	if rest, ok := bytes.CutPrefix(b, ackPrefix); ok && len(rest) > 1 && rest[len(rest)-1] == '}' {
		if a, err := strconv.ParseInt(string(rest[:len(rest)-1]), 10, 64); err == nil {
			return inMsg{T: "ack", Ack: a}, nil
		}
	}
	var w wireMsg
	if err := json.Unmarshal(b, &w); err != nil {
		return inMsg{}, fmt.Errorf("decoding server frame: %w", err)
	}
	m := inMsg{T: w.T, V: w.V}
	switch w.T {
	case "ack":
		a, err := strconv.ParseInt(string(w.D), 10, 64)
		if err != nil {
			return m, fmt.Errorf("ack with payload %q", w.D)
		}
		m.Ack = a
		return m, nil
	case "pong", "seeking":
		return m, nil
	}
	if len(w.D) == 0 {
		return m, nil
	}
	var p wirePayload
	if err := json.Unmarshal(w.D, &p); err != nil {
		return m, fmt.Errorf("decoding %s payload: %w", w.T, err)
	}
	m.Game, m.Ply, m.ID, m.From, m.Code, m.Reason, m.Status = p.Game, p.Ply, p.ID, p.From, p.Code, p.Reason, p.Status
	m.White, m.Black = p.White.Name, p.Black.Name
	if p.Ref != nil {
		m.Ack = *p.Ref
	}
	return m, nil
}
