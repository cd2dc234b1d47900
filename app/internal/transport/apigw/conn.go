package apigw

import (
	"context"
	"errors"
	"sync"
	"time"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
)

// inbound is one client message on its way to the server.
type inbound struct {
	frame     []byte
	oversized bool // the frame was over protocol.MaxFrame and was dropped at the edge
	restore   bool // a watch the registry remembered, queued by a takeover
}

type connState int

const (
	stateOpen    connState = iota
	stateClosing           // flushing the queue, then disconnect through @connections
	stateClosed
)

// conn is a connection owned by this instance. It implements server.Conn: frames go to a
// bounded queue that one goroutine at a time posts to @connections, in order. Client messages
// go to a second queue that one goroutine at a time hands to the server, in order. Both
// goroutines exist only while there is work, so an idle connection costs no goroutine.
type conn struct {
	h       *Handler
	id      string
	created time.Time
	addr    string // the client's address, as registered (set before the conn is shared)

	mu        sync.Mutex
	sess      *server.Session
	player    authn.Claims
	state     connState
	reason    string
	remoteDel bool // disconnect the client through @connections once flushed
	out       [][]byte
	posting   bool
	active    bool      // API Gateway has opened the connection (our $connect answer is out)
	activated time.Time // when it became active
	in        []inbound
	handling  bool
	discReq   bool // $disconnect arrived: close once the queued messages are handled
	lastIn    time.Time
	lastProbe time.Time
	restoring int // restore watches queued and not yet handled
}

var (
	_ server.Conn          = (*conn)(nil)
	_ server.WatchObserver = (*conn)(nil)
)

func (h *Handler) newConn(id string, active bool) *conn {
	now := h.opts.Now()
	c := &conn{h: h, id: id, created: now, lastIn: now, lastProbe: now, active: active}
	if active {
		c.activated = now
	}
	return c
}

// record is the registry entry of the connection with owner as its owner.
func (c *conn) record(owner string) store.GatewayConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return store.GatewayConn{
		ID: c.id, Owner: owner, PlayerID: c.player.PlayerID, Name: c.player.Name, Guest: c.player.Guest,
		ExpiresAt: c.player.ExpiresAt.UnixMilli(), Addr: c.addr,
	}
}

// ready attaches the session; queued client messages start flowing to the server.
func (c *conn) ready(sess *server.Session) {
	c.mu.Lock()
	c.sess = sess
	c.player = sess.Player
	start := len(c.in) > 0 && !c.handling && c.state != stateClosed
	if start {
		c.handling = true
	}
	c.mu.Unlock()
	if start {
		c.h.workers.add()
		go c.handle()
	}
}

// activate starts posting: API Gateway has the $connect answer.
func (c *conn) activate() {
	c.mu.Lock()
	c.active = true
	c.activated = c.h.opts.Now()
	start := c.startPostingLocked()
	c.mu.Unlock()
	if start {
		c.h.workers.add()
		go c.drain()
	}
}

func (c *conn) startPostingLocked() bool {
	if !c.active || c.posting || c.state == stateClosed || (len(c.out) == 0 && c.state != stateClosing) {
		return false
	}
	c.posting = true
	return true
}

// Send implements server.Conn; it never blocks. A connection that lets SendQueue frames pile
// up (posts failing or throttled for long) is disconnected, like a slow direct WebSocket.
func (c *conn) Send(frame []byte) bool {
	if len(frame) > MaxPostBytes {
		// Never produced by the server (see TestLargestStateFrameFits); refuse rather than
		// have API Gateway close the client's connection with 1009.
		c.h.log.Error("dropping a frame over the API Gateway limit", "conn", c.id, "bytes", len(frame))
		return true
	}
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return false
	}
	if len(c.out) >= c.h.opts.SendQueue {
		c.mu.Unlock()
		c.h.log.Warn("connection too slow; disconnecting", "conn", c.id, "queued", c.h.opts.SendQueue)
		c.shut("too slow", true, false)
		return false
	}
	c.out = append(c.out, frame)
	start := c.startPostingLocked()
	c.mu.Unlock()
	if start {
		c.h.workers.add()
		go c.drain()
	}
	return true
}

// Close implements server.Conn: pending frames are posted first, then the client is
// disconnected through @connections (so it reconnects), then the session is released.
func (c *conn) Close(reason string) { c.shut(reason, true, true) }

// shut starts closing: the queued frames are posted first when flush is set (a client too slow
// to take them would not take them now either, so then they are dropped), then the client is
// disconnected through @connections when remoteDel is set.
func (c *conn) shut(reason string, remoteDel, flush bool) {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return
	}
	c.state, c.reason, c.remoteDel = stateClosing, reason, remoteDel
	if !flush {
		c.out = nil
	}
	c.active = true // a connection closed while connecting still needs its flush and delete
	start := c.startPostingLocked()
	c.mu.Unlock()
	if start {
		c.h.workers.add()
		go c.drain()
	}
}

// drain posts queued frames one at a time until the queue is empty.
func (c *conn) drain() {
	defer c.h.workers.done()
	for {
		c.mu.Lock()
		if c.state == stateClosed {
			c.posting, c.out = false, nil
			c.mu.Unlock()
			return
		}
		if len(c.out) == 0 {
			c.posting = false
			if c.state != stateClosing {
				c.mu.Unlock()
				return
			}
			// Flushed: this goroutine alone finishes the close.
			c.state, c.in = stateClosed, nil
			remoteDel := c.remoteDel
			c.mu.Unlock()
			c.finishClose(remoteDel)
			return
		}
		f := c.out[0]
		c.out[0] = nil
		c.out = c.out[1:]
		c.mu.Unlock()
		err := c.post(f)
		if errors.Is(err, ErrGone) {
			c.h.log.Info("connection gone", "conn", c.id)
			c.gone()
			return
		}
		if err != nil {
			// The frame is lost; the client notices the gap in v and resyncs.
			c.h.log.Warn("posting to connection failed; frame dropped", "conn", c.id, "err", err)
		}
	}
}

// post sends one frame; a 410 right after $connect is retried while API Gateway finishes
// opening the connection.
func (c *conn) post(f []byte) error {
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		err := c.h.poster.Post(c.h.bg, c.id, f)
		if !errors.Is(err, ErrGone) {
			return err
		}
		c.mu.Lock()
		young := c.h.opts.Now().Sub(c.activated) < c.h.opts.ConnectGrace
		c.mu.Unlock()
		if !young {
			return err
		}
		select {
		case <-c.h.bg.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// finishClose runs once the queue of a closing connection is flushed.
func (c *conn) finishClose(remoteDel bool) {
	if remoteDel {
		if err := c.h.poster.Delete(c.h.bg, c.id); err != nil && !errors.Is(err, ErrGone) {
			c.h.log.Warn("disconnecting client", "conn", c.id, "err", err)
		}
	}
	c.release(true)
}

// gone ends a connection API Gateway no longer has: nothing more is posted.
func (c *conn) gone() {
	if c.markClosed() {
		c.release(true)
	}
}

// abandon drops the local session of a connection another instance owns now: the registry
// entry and the client's connection are left alone.
func (c *conn) abandon() {
	if c.markClosed() {
		c.release(false)
	}
}

func (c *conn) markClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return false
	}
	c.state, c.out, c.in = stateClosed, nil, nil
	return true
}

// release closes the server session and forgets the connection.
func (c *conn) release(dropRegistry bool) {
	ctx := c.h.bg
	c.h.uninstall(c)
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess != nil {
		c.h.srv.Close(context.WithoutCancel(ctx), sess)
	}
	if dropRegistry {
		c.h.dropRegistry(context.WithoutCancel(ctx), c.id)
	}
}

// enqueue queues a client message for the server; false when the connection is closing (the
// client is being disconnected and resends after reconnecting).
func (c *conn) enqueue(it inbound) bool {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return false
	}
	c.lastIn = c.h.opts.Now()
	if len(c.in) >= c.h.opts.InboundQueue {
		c.mu.Unlock()
		ref := protocol.FrameAck(it.frame)
		c.Send(protocol.ErrorFrame(protocol.Errorf(protocol.CodeRateLimited, "too many messages in flight; slow down"), ref))
		return true
	}
	c.in = append(c.in, it)
	start := c.sess != nil && !c.handling
	if start {
		c.handling = true
	}
	c.mu.Unlock()
	if start {
		c.h.workers.add()
		go c.handle()
	}
	return true
}

// handle hands queued client messages to the server one at a time.
func (c *conn) handle() {
	defer c.h.workers.done()
	for {
		c.mu.Lock()
		if len(c.in) == 0 || c.state == stateClosed {
			c.handling = false
			disc := c.discReq && c.state != stateClosed
			c.mu.Unlock()
			if disc {
				c.gone()
			}
			return
		}
		it := c.in[0]
		c.in[0] = inbound{}
		c.in = c.in[1:]
		sess := c.sess
		c.mu.Unlock()
		if it.oversized {
			c.Send(protocol.ErrorFrame(protocol.Errorf(protocol.CodeBadRequest, "frame exceeds %d bytes", protocol.MaxFrame), 0))
			continue
		}
		c.h.srv.Handle(c.h.bg, sess, it.frame)
		if it.restore {
			c.mu.Lock()
			c.restoring--
			c.mu.Unlock()
		}
	}
}

// requestDisconnect handles $disconnect: queued messages are still handled (the client sent
// them), then the session ends. The client is gone, so nothing more is posted.
func (c *conn) requestDisconnect() {
	c.mu.Lock()
	c.discReq = true
	busy := c.handling
	c.mu.Unlock()
	if !busy {
		c.gone()
	}
}

// dueProbe reports whether the connection has been silent long enough to check on it.
func (c *conn) dueProbe(now time.Time, after time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen || now.Sub(c.lastIn) < after || now.Sub(c.lastProbe) < after {
		return false
	}
	c.lastProbe = now
	return true
}

// WatchesChanged implements server.WatchObserver: the registry, when it can, remembers the
// games the session watches (the oldest maxTrackedWatches), so that another instance can take
// the connection over with them. The server calls it before it acks the watch or unwatch, so
// a client that has its ack finds the game in the registry after a takeover. While a takeover
// restores the watches it read from the registry, the registry holds them already: nothing is
// written, so a second takeover during the restore still finds them all.
func (c *conn) WatchesChanged(games []string) {
	reg := c.h.watchReg
	if reg == nil {
		return
	}
	c.mu.Lock()
	restoring := c.restoring > 0
	c.mu.Unlock()
	if restoring {
		return
	}
	games = games[:min(len(games), maxTrackedWatches)]
	if err := reg.SetConnWatches(c.h.bg, c.id, games); err != nil {
		c.h.log.Warn("recording watched games", "conn", c.id, "err", err)
	}
}

// restoreWatches queues a watch (from v 0: the client gets a full state) for each game the
// registry remembers, ahead of any other message.
func (c *conn) restoreWatches(games []string) {
	games = games[:min(len(games), maxTrackedWatches)]
	c.mu.Lock()
	for _, g := range games {
		c.in = append(c.in, inbound{frame: protocol.MustEncode(protocol.TWatch, 0, map[string]any{"game": g, "v": 0}), restore: true})
	}
	c.restoring += len(games)
	c.mu.Unlock()
}
