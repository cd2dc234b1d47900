package apigw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
)

// envelope is what instances send each other on their instance topics.
type envelope struct {
	Kind  string `json:"k"`             // kindMessage, kindDisconnect, kindReceipt
	Conn  string `json:"c,omitempty"`   // connection id
	Frame []byte `json:"f,omitempty"`   // client frame (message)
	Big   bool   `json:"big,omitempty"` // the client frame was oversized and dropped (message)
	Reply string `json:"r,omitempty"`   // instance waiting for the receipt (message)
	Req   string `json:"q,omitempty"`   // request id (message, receipt)
	OK    bool   `json:"ok,omitempty"`  // the owner queued the message (receipt)
	Shut  bool   `json:"x,omitempty"`   // the owner is disconnecting the client (receipt)
}

// receipt is the owner's answer to a forwarded message.
type receipt int

const (
	receiptNotHere receipt = iota // the owner has no session for the connection
	receiptQueued                 // queued in order behind the connection's earlier messages
	receiptClosing                // the owner is disconnecting the client; the message is dropped
)

const (
	kindMessage    = "msg"
	kindDisconnect = "disc"
	kindReceipt    = "rcpt"
)

// broadcastTopic reaches every instance: disconnects of connections the registry no longer
// knows go there, so whichever instance still holds a session for one releases it.
var broadcastTopic = store.InstanceTopic("*")

var errForwardTimeout = errors.New("apigw: the owner did not confirm the forwarded message in time")

// maxRouteAttempts bounds how often one message re-reads the registry (lost claim races, owners
// that just let a connection go).
const maxRouteAttempts = 4

// route delivers a client message to the connection's owner: this instance, the registered
// owner (forwarded), or this instance after a takeover from a dead owner.
func (h *Handler) route(ctx context.Context, id string, it inbound) {
	for attempt := 0; attempt < maxRouteAttempts; attempt++ {
		if c := h.lookup(id); c != nil {
			if c.enqueue(it) {
				return
			}
			// Closing here: the client is being disconnected and will resend after reconnecting.
			return
		}
		rec, err := h.gw.GetConn(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			// Unknown connection (expired, registry lost, or $connect never completed here):
			// make the client reconnect, which registers it again.
			h.log.InfoContext(ctx, "message for an unknown connection; disconnecting it", "conn", id)
			h.evict(ctx, id)
			return
		}
		if err != nil {
			h.log.WarnContext(ctx, "reading connection", "conn", id, "err", err)
			h.answerUnavailable(ctx, id, it)
			return
		}
		owner := rec.Owner
		if owner != h.id {
			alive, err := h.gw.InstanceAlive(ctx, owner)
			if err != nil {
				h.log.WarnContext(ctx, "checking owner", "conn", id, "owner", owner, "err", err)
				h.answerUnavailable(ctx, id, it)
				return
			}
			if alive {
				r, err := h.forward(ctx, owner, id, it)
				switch {
				case err == nil && r == receiptQueued:
					return
				case err == nil && r == receiptClosing:
					return // the client reconnects and resends what was not acked
				case errors.Is(err, errForwardTimeout):
					// The owner may have just died: its heartbeat expires soon; look again.
					h.log.WarnContext(ctx, "owner did not confirm a forwarded message", "conn", id, "owner", owner)
					continue
				case err != nil:
					h.log.WarnContext(ctx, "forwarding message", "conn", id, "owner", owner, "err", err)
					h.answerUnavailable(ctx, id, it)
					return
				}
				// The owner no longer has the connection (closed, or abandoned it): take it over.
			}
		}
		// The owner is dead, is us without a session (leftover), or let the connection go.
		won, err := h.gw.ClaimConn(ctx, id, owner, h.id)
		if err != nil {
			h.log.WarnContext(ctx, "claiming connection", "conn", id, "err", err)
			h.answerUnavailable(ctx, id, it)
			return
		}
		if !won {
			continue // someone else claimed it first, or it was deleted: look again
		}
		h.takeOver(ctx, rec, it)
		return
	}
	h.log.WarnContext(ctx, "could not route a message", "conn", id)
	h.answerUnavailable(ctx, id, it)
}

// takeOver makes this instance the connection's owner after a successful claim.
func (h *Handler) takeOver(ctx context.Context, rec store.GatewayConn, it inbound) {
	id := rec.ID
	if h.watchReg == nil {
		// Nothing tells us what the client watched: disconnect it so that its reconnect
		// re-watches from its own v and resends what was not acked (this message included).
		h.log.InfoContext(ctx, "taking over a connection by disconnecting it", "conn", id, "from", rec.Owner)
		h.evict(ctx, id)
		return
	}
	games, err := h.watchReg.ConnWatches(ctx, id)
	if err != nil {
		h.log.WarnContext(ctx, "reading watched games; disconnecting instead", "conn", id, "err", err)
		h.evict(ctx, id)
		return
	}
	c := h.newConn(id, true)
	c.addr = rec.Addr
	if !h.install(c) {
		h.evict(ctx, id)
		return
	}
	claims := authn.Claims{PlayerID: rec.PlayerID, Name: rec.Name, Guest: rec.Guest, ExpiresAt: time.UnixMilli(rec.ExpiresAt)}
	c.restoreWatches(games)
	c.enqueue(it)
	sess, err := h.srv.Open(ctx, claims, c, server.Client{Addr: rec.Addr, Takeover: true})
	if err != nil {
		h.log.WarnContext(ctx, "opening session for a taken-over connection", "conn", id, "err", err)
		c.abandon()
		h.evict(ctx, id)
		return
	}
	h.log.InfoContext(ctx, "took over connection", "conn", id, "from", rec.Owner, "watches", len(games))
	c.ready(sess)
}

// evict disconnects a client through @connections and forgets its registry entry; an instance
// that still holds a session for it (the registry lost track of it) is told to release it.
func (h *Handler) evict(ctx context.Context, id string) {
	ctx = context.WithoutCancel(ctx)
	if err := h.poster.Delete(ctx, id); err != nil && !errors.Is(err, ErrGone) {
		h.log.WarnContext(ctx, "disconnecting client", "conn", id, "err", err)
	}
	if err := h.gw.DeleteConn(ctx, id); err != nil {
		h.log.WarnContext(ctx, "deleting connection", "conn", id, "err", err)
	}
	h.broadcastDisconnect(ctx, id)
}

func (h *Handler) broadcastDisconnect(ctx context.Context, id string) {
	payload, _ := json.Marshal(envelope{Kind: kindDisconnect, Conn: id})
	if err := h.bus.Publish(ctx, broadcastTopic, payload); err != nil {
		h.log.WarnContext(ctx, "broadcasting disconnect", "conn", id, "err", err)
	}
}

// answerUnavailable tells the client its message was not applied (a dependency is down), so it
// may retry; the answer is posted directly since no owner could be reached.
func (h *Handler) answerUnavailable(ctx context.Context, id string, it inbound) {
	var ref int64
	if !it.oversized {
		ref = protocol.FrameAck(it.frame)
	}
	frame := protocol.ErrorFrame(protocol.Errorf(protocol.CodeUnavailable, "the service is temporarily unavailable; retry"), ref)
	if err := h.poster.Post(context.WithoutCancel(ctx), id, frame); err != nil {
		h.log.WarnContext(ctx, "answering unavailable", "conn", id, "err", err)
	}
}

// forward hands a message to the owning instance and waits until the owner has queued it, so
// the next message of the connection (API Gateway sends it after our answer) queues behind it.
func (h *Handler) forward(ctx context.Context, owner, id string, it inbound) (receipt, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	req := hex.EncodeToString(b)
	ch := make(chan receipt, 1)
	h.mu.Lock()
	h.pending[req] = ch
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.pending, req)
		h.mu.Unlock()
	}()
	payload, err := json.Marshal(envelope{Kind: kindMessage, Conn: id, Frame: it.frame, Big: it.oversized, Reply: h.id, Req: req})
	if err != nil {
		return receiptNotHere, err
	}
	if err := h.bus.Publish(ctx, store.InstanceTopic(owner), payload); err != nil {
		return receiptNotHere, err
	}
	t := time.NewTimer(h.opts.ForwardTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-t.C:
		return receiptNotHere, errForwardTimeout
	case <-ctx.Done():
		return receiptNotHere, ctx.Err()
	}
}

// disconnect ends a connection's session wherever it is.
func (h *Handler) disconnect(ctx context.Context, id string) {
	if c := h.lookup(id); c != nil {
		c.requestDisconnect()
		return
	}
	rec, err := h.gw.GetConn(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Already cleaned up, or the registry lost it while some instance may still hold it.
		h.broadcastDisconnect(ctx, id)
		return
	}
	if err != nil {
		h.log.WarnContext(ctx, "reading connection on disconnect", "conn", id, "err", err)
		h.broadcastDisconnect(ctx, id)
		return
	}
	if rec.Owner != h.id {
		if alive, err := h.gw.InstanceAlive(ctx, rec.Owner); err == nil && alive {
			payload, _ := json.Marshal(envelope{Kind: kindDisconnect, Conn: id})
			if err := h.bus.Publish(ctx, store.InstanceTopic(rec.Owner), payload); err != nil {
				h.log.WarnContext(ctx, "forwarding disconnect", "conn", id, "owner", rec.Owner, "err", err)
			}
			// The owner drops the entry when it closes the session; if it is gone by then, the
			// entry expires.
			return
		}
	}
	if err := h.gw.DeleteConn(ctx, id); err != nil {
		h.log.WarnContext(ctx, "deleting connection", "conn", id, "err", err)
	}
}

// receive handles what other instances send to this one.
func (h *Handler) receive() {
	for m := range h.sub.Messages() {
		var e envelope
		if err := json.Unmarshal(m.Payload, &e); err != nil {
			h.log.Warn("undecodable instance message", "err", err)
			continue
		}
		switch e.Kind {
		case kindMessage:
			ans := envelope{Kind: kindReceipt, Req: e.Req}
			if c := h.lookup(e.Conn); c != nil {
				ans.OK = c.enqueue(inbound{frame: e.Frame, oversized: e.Big})
				ans.Shut = !ans.OK
			}
			payload, _ := json.Marshal(ans)
			if err := h.bus.Publish(h.bg, store.InstanceTopic(e.Reply), payload); err != nil {
				h.log.Warn("sending receipt", "to", e.Reply, "err", err)
			}
		case kindDisconnect:
			if c := h.lookup(e.Conn); c != nil {
				c.requestDisconnect()
			}
		case kindReceipt:
			h.mu.Lock()
			ch := h.pending[e.Req]
			h.mu.Unlock()
			r := receiptNotHere
			switch {
			case e.OK:
				r = receiptQueued
			case e.Shut:
				r = receiptClosing
			}
			if ch != nil {
				select {
				case ch <- r:
				default:
				}
			}
		default:
			h.log.Warn("unknown instance message", "kind", e.Kind)
		}
	}
}
