// Package wsclient is the protocol client of the tests and the load generator. Conn is a raw
// connection to the direct WebSocket (the load generator's players: frames in and out, nothing
// buffered); Client adds a reader that buffers decoded messages, so a test sends envelopes and
// waits for the messages it expects; Guest and Register are the HTTP calls that get a session.
package wsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Msg is one server message.
type Msg struct {
	T   string          `json:"t"`
	V   int64           `json:"v"`
	D   json.RawMessage `json:"d"`
	Raw []byte          `json:"-"`
	At  time.Time       `json:"-"` // when it was read
}

// ErrorPayload is the payload of an `error` message.
type ErrorPayload struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	Ref  *int64 `json:"ref"`
}

// Error decodes an `error` payload.
func (m Msg) Error() ErrorPayload {
	var e ErrorPayload
	_ = json.Unmarshal(m.D, &e)
	return e
}

// Client is one WebSocket connection. Reading runs in a goroutine into a buffer, so a test can
// inspect messages in order without racing the socket.
type Client struct {
	conn *Conn

	mu      sync.Mutex
	cond    chan struct{} // closed and replaced when messages arrive or reading ends
	msgs    []Msg
	readErr error
	nextAck int64
}

// Dial connects to the direct WebSocket of baseURL (http://host:port) with a session token.
func Dial(ctx context.Context, baseURL, token string) (*Client, error) {
	conn, err := DialConn(ctx, baseURL, token, DialOptions{})
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, cond: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *Client) read() {
	for {
		b, err := c.conn.Read(context.Background())
		c.mu.Lock()
		if err != nil {
			c.readErr = err
		} else {
			var m Msg
			if jerr := json.Unmarshal(b, &m); jerr != nil {
				m = Msg{T: "<invalid>"}
			}
			m.Raw, m.At = b, time.Now()
			c.msgs = append(c.msgs, m)
		}
		close(c.cond)
		c.cond = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// SendRaw writes one frame as is.
func (c *Client) SendRaw(ctx context.Context, frame []byte) error {
	return c.conn.Write(ctx, frame)
}

// Send writes {t,d} without an ack id.
func (c *Client) Send(ctx context.Context, t string, d any) error {
	return c.send(ctx, t, d, 0)
}

// SendAck writes {t,d,a} with the next ack id and returns it.
func (c *Client) SendAck(ctx context.Context, t string, d any) (int64, error) {
	c.mu.Lock()
	c.nextAck++
	a := c.nextAck
	c.mu.Unlock()
	return a, c.send(ctx, t, d, a)
}

// SendWithAck writes {t,d,a} with a given ack id (to test resends).
func (c *Client) SendWithAck(ctx context.Context, t string, d any, a int64) error {
	return c.send(ctx, t, d, a)
}

func (c *Client) send(ctx context.Context, t string, d any, a int64) error {
	env := map[string]any{"t": t}
	if d != nil {
		env["d"] = d
	}
	if a > 0 {
		env["a"] = a
	}
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	return c.SendRaw(ctx, b)
}

// Wait returns the first buffered message (in arrival order) matching pred and removes it;
// messages that do not match stay buffered for later waits.
func (c *Client) Wait(ctx context.Context, pred func(Msg) bool) (Msg, error) {
	for {
		c.mu.Lock()
		for i, m := range c.msgs {
			if pred(m) {
				c.msgs = append(c.msgs[:i:i], c.msgs[i+1:]...)
				c.mu.Unlock()
				return m, nil
			}
		}
		err, wait := c.readErr, c.cond
		c.mu.Unlock()
		if err != nil {
			return Msg{}, fmt.Errorf("connection closed while waiting: %w", err)
		}
		select {
		case <-ctx.Done():
			return Msg{}, fmt.Errorf("waiting for a message: %w; buffered: %s", ctx.Err(), c.describe())
		case <-wait:
		}
	}
}

// WaitType waits for a message of type t.
func (c *Client) WaitType(ctx context.Context, t string) (Msg, error) {
	return c.Wait(ctx, func(m Msg) bool { return m.T == t })
}

// WaitAck waits for the ack of id a, failing fast if an error referencing a arrives instead.
func (c *Client) WaitAck(ctx context.Context, a int64) error {
	m, err := c.Wait(ctx, func(m Msg) bool { return IsAck(m, a) || IsErrorFor(m, a) })
	if err != nil {
		return err
	}
	if m.T == "error" {
		e := m.Error()
		return fmt.Errorf("error %s: %s", e.Code, e.Msg)
	}
	return nil
}

// IsAck reports whether m acknowledges a.
func IsAck(m Msg, a int64) bool { return m.T == "ack" && string(m.D) == fmt.Sprint(a) }

// IsErrorFor reports whether m is an error referencing ack id a.
func IsErrorFor(m Msg, a int64) bool {
	if m.T != "error" {
		return false
	}
	e := m.Error()
	return e.Ref != nil && *e.Ref == a
}

// Drain removes and returns every buffered message.
func (c *Client) Drain() []Msg {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.msgs
	c.msgs = nil
	return out
}

// Closed reports the read error once the connection has ended (nil while open).
func (c *Client) Closed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// WaitClosed waits until the server closes the connection and returns the close status.
func (c *Client) WaitClosed(ctx context.Context) (websocket.StatusCode, error) {
	for {
		c.mu.Lock()
		err, wait := c.readErr, c.cond
		c.mu.Unlock()
		if err != nil {
			return CloseStatus(err), nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-wait:
		}
	}
}

func (c *Client) describe() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, m := range c.msgs {
		parts = append(parts, string(m.Raw))
	}
	if len(parts) > 10 {
		parts = append(parts[:10], fmt.Sprintf("…%d more", len(parts)-10))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Close closes the connection normally.
func (c *Client) Close() { c.conn.Close() }

// CloseNow drops the connection without a close handshake (like a lost network).
func (c *Client) CloseNow() { c.conn.CloseNow() }

// Session is the answer of POST /api/sessions.
type Session struct {
	Token  string `json:"token"`
	Player struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Guest bool   `json:"guest"`
	} `json:"player"`
	ExpiresAt string `json:"expiresAt"`
}

// Guest gets a guest session.
func Guest(ctx context.Context, hc *http.Client, baseURL string) (Session, error) {
	var s Session
	err := PostJSON(ctx, hc, baseURL+"/api/sessions", map[string]any{"guest": true}, http.StatusCreated, &s)
	return s, err
}

// Register creates an account and logs in.
func Register(ctx context.Context, hc *http.Client, baseURL, name, password string) (Session, error) {
	if err := PostJSON(ctx, hc, baseURL+"/api/accounts", map[string]any{"username": name, "password": password}, http.StatusCreated, nil); err != nil {
		return Session{}, err
	}
	var s Session
	err := PostJSON(ctx, hc, baseURL+"/api/sessions", map[string]any{"username": name, "password": password}, http.StatusCreated, &s)
	return s, err
}

// PostJSON posts a JSON body and decodes the answer into out (if not nil), requiring status want.
func PostJSON(ctx context.Context, hc *http.Client, u string, body any, want int, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(hc, req, want, out)
}

// GetJSON gets a URL and decodes the JSON answer, requiring status want.
func GetJSON(ctx context.Context, hc *http.Client, u string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return do(hc, req, want, out)
}

func do(hc *http.Client, req *http.Request, want int, out any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return &StatusError{Status: resp.StatusCode, Body: string(body)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decoding %s: %w", req.URL.Path, err)
	}
	return nil
}

// StatusError is an unexpected HTTP status.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// IsStatus reports whether err is a StatusError with the given status.
func IsStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}
