// Package wsdirect is the direct WebSocket transport (`GET /ws?token=`): one goroutine reads
// each connection; writes go through a bounded per-connection queue drained by a goroutine that
// exists only while there is something to write, so an idle connection costs one goroutine.
//
// Idle connections are most connections, so what one holds while it waits is kept small: the
// read loop runs in its own goroutine after ServeHTTP returns (net/http's request, headers and
// larger serving stack become garbage), and the frame buffer is borrowed from a pool only while
// a frame is being read.
package wsdirect

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/transport/clientip"
)

// Options tune the transport. Zero values take the defaults noted.
type Options struct {
	// OriginPatterns are the extra browser origins allowed to connect (host patterns as in
	// websocket.AcceptOptions); same-origin is always allowed.
	OriginPatterns []string
	IdleTimeout    time.Duration // close a connection silent for this long; 60 s (clients ping every 2.5 s)
	WriteTimeout   time.Duration // a single write; 10 s
	SendQueue      int           // frames queued per connection before it counts as slow; 256
	HardReadLimit  int64         // frames above this close the connection (1009); 64 KiB
	// ForwardedForHops is the number of trusted proxies in front of the backend (CloudFront and
	// the ALB: 2) whose X-Forwarded-For entries name the client for the per-address cap; 0 uses
	// the peer address.
	ForwardedForHops int
}

// Handler serves the WebSocket endpoint.
type Handler struct {
	srv    *server.Server
	signer *authn.Signer
	log    *slog.Logger
	opts   Options
	now    func() time.Time

	// mu orders wg.Add against Wait: a WaitGroup must not gain its first member while Wait is
	// starting (the race detector caught a connection upgraded during a test's shutdown).
	mu      sync.Mutex
	waiting bool
	wg      sync.WaitGroup
	// frameBuffers lends read buffers for the time a frame is read; an idle connection holds none.
	frameBuffers sync.Pool
	// batches lends the buffers a connection's queued frames are gathered in (batch.go).
	batches batchPool
	// unbatched writes one syscall per frame, as before batching (for A/B benchmarks only).
	unbatched bool
}

// frameBuffer is one byte over MaxFrame, so an oversized frame shows as a full buffer.
type frameBuffer [protocol.MaxFrame + 1]byte

// New returns a handler.
func New(srv *server.Server, signer *authn.Signer, log *slog.Logger, opts Options) *Handler {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 60 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.SendQueue <= 0 {
		opts.SendQueue = 256
	}
	if opts.HardReadLimit <= 0 {
		opts.HardReadLimit = 64 << 10
	}
	return &Handler{srv: srv, signer: signer, log: log, opts: opts, now: time.Now}
}

// Wait blocks until every connection handler has returned (after server.Shutdown closed them).
func (h *Handler) Wait(ctx context.Context) error {
	h.mu.Lock()
	h.waiting = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	claims, err := h.signer.Verify(r.URL.Query().Get("token"), h.now())
	if err != nil {
		httpError(w, http.StatusUnauthorized, string(protocol.CodeUnauthorized), "missing, invalid or expired session token")
		return
	}
	// The session is opened (counted under the caps, subscribed to the player's events) before
	// the handshake, so a cap answers 429 instead of an upgrade, and an event published right
	// after the client sees the connection open is queued on conn, not lost.
	ctx, cancel := context.WithCancel(context.Background())
	conn := &conn{cancel: cancel, queueMax: h.opts.SendQueue, writeTimeout: h.opts.WriteTimeout}
	sess, err := h.srv.Open(ctx, claims, conn, server.Client{Addr: clientip.FromRequest(r, h.opts.ForwardedForHops)})
	if err != nil {
		cancel()
		var capErr *server.CapError
		if errors.As(err, &capErr) {
			h.log.InfoContext(r.Context(), "connection refused by a cap", "player", claims.PlayerID, "err", err)
			w.Header().Set("Retry-After", "10")
			httpError(w, http.StatusTooManyRequests, CodeTooManyConnections, capErr.Error())
			return
		}
		h.log.WarnContext(r.Context(), "opening session", "player", claims.PlayerID, "err", err)
		httpError(w, http.StatusServiceUnavailable, string(protocol.CodeUnavailable), "service unavailable; retry")
		return
	}
	hj := &hijacker{ResponseWriter: w, pool: &h.batches}
	var rw http.ResponseWriter = hj
	if h.unbatched {
		rw = w
	}
	c, err := websocket.Accept(rw, r, &websocket.AcceptOptions{
		OriginPatterns:  h.opts.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled, // small frames; compression costs memory per connection
	})
	if err != nil {
		cancel()
		h.srv.Close(context.WithoutCancel(r.Context()), sess)
		h.log.DebugContext(r.Context(), "websocket upgrade failed", "err", err)
		return
	}
	c.SetReadLimit(h.opts.HardReadLimit)
	conn.attach(c, hj.conn)
	h.mu.Lock()
	if h.waiting {
		// Shutting down: Wait has begun and must not be joined by a new connection.
		h.mu.Unlock()
		conn.closeWith(websocket.StatusGoingAway, "server shutting down")
		h.srv.Close(context.WithoutCancel(ctx), sess)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	// The connection outlives the request (ServeHTTP returns now), so its context keeps none
	// of the request's.
	go func() {
		defer h.wg.Done()
		defer cancel()
		defer h.srv.Close(context.WithoutCancel(ctx), sess)
		h.readLoop(ctx, c, conn, sess)
	}()
}

// CodeTooManyConnections is the error code of the 429 answer to a connection over a cap.
const CodeTooManyConnections = "too_many_connections"

func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (h *Handler) readLoop(ctx context.Context, c *websocket.Conn, conn *conn, sess *server.Session) {
	for {
		frame, oversized, err := h.readFrame(ctx, c)
		if err != nil {
			conn.closeWith(websocket.StatusNormalClosure, "")
			if status := websocket.CloseStatus(err); status == -1 && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
				h.log.DebugContext(ctx, "connection read ended", "player", sess.Player.PlayerID, "err", err)
			}
			return
		}
		if oversized {
			conn.Send(protocol.ErrorFrame(protocol.Errorf(protocol.CodeBadRequest, "frame exceeds %d bytes", protocol.MaxFrame), 0))
			continue
		}
		h.srv.Handle(ctx, sess, frame)
	}
}

// readFrame reads one message; a message longer than MaxFrame is drained and reported as
// oversized (the connection stays open, as the protocol says).
func (h *Handler) readFrame(ctx context.Context, c *websocket.Conn) ([]byte, bool, error) {
	rctx, cancel := context.WithTimeout(ctx, h.opts.IdleTimeout)
	defer cancel()
	_, r, err := c.Reader(rctx)
	if err != nil {
		return nil, false, err
	}
	pooled, _ := h.frameBuffers.Get().(*frameBuffer)
	if pooled == nil {
		pooled = new(frameBuffer)
	}
	defer h.frameBuffers.Put(pooled)
	buf := pooled[:]
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		// A frame shorter than the buffer: return a copy, since the server may keep it.
		return append([]byte(nil), buf[:n]...), false, nil
	case err != nil:
		return nil, false, err
	}
	// The buffer is full: the frame is longer than MaxFrame. Drain the rest.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, false, err
	}
	return nil, true, nil
}

// conn implements server.Conn over a websocket.Conn. It exists before the handshake: frames
// sent until attach are queued and go out first once the connection is open.
type conn struct {
	cancel       context.CancelFunc
	queueMax     int
	writeTimeout time.Duration

	mu      sync.Mutex
	ws      *websocket.Conn // nil until attach
	bc      *batchConn      // under ws; nil until attach (and when unbatched)
	queue   [][]byte
	writing bool
	closed  bool
	// closeStatus and closeReason are kept when the server closes the conn before attach.
	closeStatus websocket.StatusCode
	closeReason string
}

// attach hands the accepted connection over: queued frames start flowing, or a close that
// came first is carried out.
func (c *conn) attach(ws *websocket.Conn, bc *batchConn) {
	c.mu.Lock()
	c.ws, c.bc = ws, bc
	if c.closed {
		status, reason := c.closeStatus, c.closeReason
		c.mu.Unlock()
		go func() {
			_ = ws.Close(status, reason)
			c.cancel()
		}()
		return
	}
	start := len(c.queue) > 0 && !c.writing
	c.writing = c.writing || start
	c.mu.Unlock()
	if start {
		go c.drain()
	}
}

// Send implements server.Conn: it never blocks. A client that lets queueMax frames pile up is
// too slow to follow a game and is disconnected, so it cannot hold memory or delay others.
func (c *conn) Send(frame []byte) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= c.queueMax {
		c.mu.Unlock()
		c.abort() // a client that does not read would not read a close frame either
		return false
	}
	c.queue = append(c.queue, frame)
	start := !c.writing && c.ws != nil
	c.writing = c.writing || start
	c.mu.Unlock()
	if start {
		go c.drain()
	}
	return true
}

func (c *conn) drain() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.closed {
			c.writing = false
			c.queue = nil
			c.mu.Unlock()
			return
		}
		batch, ws, bc := c.queue, c.ws, c.bc
		c.queue = nil
		c.mu.Unlock()
		if err := writeBatch(ws, bc, batch, c.writeTimeout); err != nil {
			c.abort()
			c.mu.Lock()
			c.writing = false
			c.queue = nil
			c.mu.Unlock()
			return
		}
	}
}

// writeBatch writes the frames of one batch; over a batchConn they leave in one write.
func writeBatch(ws *websocket.Conn, bc *batchConn, batch [][]byte, timeout time.Duration) error {
	// One deadline per batch: a client that cannot take the batch within the write timeout
	// is too slow either way, and one timer per frame is measurable at fan-out rates.
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if bc != nil {
		bc.cork()
	}
	for _, f := range batch {
		if err := ws.Write(ctx, websocket.MessageText, f); err != nil {
			if bc != nil {
				_ = bc.uncork(deadline)
			}
			return err
		}
	}
	if bc != nil {
		return bc.uncork(deadline)
	}
	return nil
}

// Close implements server.Conn: pending frames are flushed first (bounded by the write
// timeout), then the connection closes with status 1001 so clients reconnect elsewhere.
func (c *conn) Close(reason string) { c.CloseCode(int(websocket.StatusGoingAway), reason) }

// CloseCode implements server.CodeCloser: Close with a chosen close code.
func (c *conn) CloseCode(code int, reason string) {
	deadline := time.Now().Add(c.writeTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		idle := !c.writing || c.closed
		c.mu.Unlock()
		if idle {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.closeWith(websocket.StatusCode(code), reason)
}

// abort drops the connection at once, without a close handshake.
func (c *conn) abort() {
	c.mu.Lock()
	c.closed = true
	c.closeStatus = websocket.StatusPolicyViolation
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.CloseNow()
	}
	c.cancel()
}

func (c *conn) closeWith(status websocket.StatusCode, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.closeStatus, c.closeReason = status, reason
	ws := c.ws
	c.mu.Unlock()
	if ws == nil {
		return // attach closes it
	}
	go func() {
		_ = ws.Close(status, reason)
		c.cancel()
	}()
}
