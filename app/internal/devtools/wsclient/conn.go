package wsclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"
)

// MaxRead is the largest server frame a connection accepts: a late watcher of a long game gets
// its whole state in one frame.
const MaxRead = 1 << 20

// Conn is one raw protocol connection to the direct WebSocket: frames out, frames in, nothing
// buffered or decoded, no goroutine of its own. The load generator drives thousands of them and
// shares the CPU with the server it measures, so this layer adds nothing to a frame's cost.
// Write may be called concurrently with Read; Read by one goroutine at a time.
type Conn struct {
	ws *websocket.Conn
}

// DialOptions tune DialConn.
type DialOptions struct {
	// HTTPClient carries the handshake, e.g. one whose transport binds each dial to a source
	// address; nil takes http.DefaultClient.
	HTTPClient *http.Client
}

// DialConn connects to the direct WebSocket of baseURL (http://host:port) with a session token.
func DialConn(ctx context.Context, baseURL, token string, o DialOptions) (*Conn, error) {
	u := strings.Replace(baseURL, "http", "ws", 1) + "/ws?token=" + url.QueryEscape(token)
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: o.HTTPClient, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: HTTP %d: %w", baseURL, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", baseURL, err)
	}
	ws.SetReadLimit(MaxRead)
	return &Conn{ws: ws}, nil
}

// Write sends one text frame as is.
func (c *Conn) Write(ctx context.Context, frame []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, frame)
}

// Read returns the next frame from the server.
func (c *Conn) Read(ctx context.Context) ([]byte, error) {
	_, b, err := c.ws.Read(ctx)
	return b, err
}

// Close closes the connection normally.
func (c *Conn) Close() { _ = c.ws.Close(websocket.StatusNormalClosure, "bye") }

// CloseNow drops the connection without a close handshake (like a lost network).
func (c *Conn) CloseNow() { _ = c.ws.CloseNow() }

// CloseStatus is the WebSocket close code in a Read error (-1 when there is none).
func CloseStatus(err error) websocket.StatusCode { return websocket.CloseStatus(err) }
