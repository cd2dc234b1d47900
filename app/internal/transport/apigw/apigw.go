// Package apigw is the API Gateway WebSocket transport: the HTTP endpoints that API Gateway's
// HTTP_PROXY integrations call over the VPC link (POST /apigw/connect, /apigw/message,
// /apigw/disconnect) and the server.Conn that pushes frames back through the @connections API.
//
// Ownership: the instance that answers /apigw/connect owns the connection. It registers it in
// store.Gateway with its instance id and keeps a server session for it; every frame for the
// client is posted by that instance, one post in flight per connection, in order. A message
// that reaches another instance is forwarded to the owner over the owner's instance topic
// (store.InstanceTopic) and the forwarder answers API Gateway only once the owner has queued it,
// so a connection's messages are processed in the order they reached the backend. When the
// owner is dead (its heartbeat expired), the first instance that gets a message claims the
// connection (store.Gateway.ClaimConn: exactly one wins) and takes it over: if the registry
// remembers the connection's watched games (WatchRegistry), the new owner opens a session,
// re-watches them (the client gets a full `state` per game, then live events) and handles the
// message, so the takeover is invisible; otherwise it disconnects the client through
// @connections, and the client's reconnect (re-watch with its last v, resend unacked) resyncs.
//
// README.md in this directory lists the API Gateway settings this transport expects.
package apigw

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/transport/clientip"
)

// Integration request headers (README.md shows the request parameters that set them).
const (
	HeaderConnectionID = "connectionId"           // context.connectionId, every route
	HeaderSecret       = "X-Chess-Gateway-Secret" // static shared secret, every route
	HeaderToken        = "X-Chess-Token"          // context.authorizer.token, $connect
	HeaderPlayer       = "X-Chess-Player"         // context.authorizer.principalId, $connect
	HeaderClientIP     = "X-Chess-Client-Ip"      // context.identity.sourceIp, $connect (the per-address cap)
	// Subprotocol is echoed in Sec-WebSocket-Protocol when the client offered it (clients that
	// carry the token in Sec-WebSocket-Protocol must get one of their offers back).
	Subprotocol = "chess.v1"
)

// Paths of the integration endpoints.
const (
	PathConnect    = "/apigw/connect"
	PathMessage    = "/apigw/message"
	PathDisconnect = "/apigw/disconnect"
)

// maxTrackedWatches bounds the watched games a connection's registry entry remembers (a takeover
// re-watches them through the rate-limited message path).
const maxTrackedWatches = 16

// API Gateway connection ids are short base64 strings ("L0SM9cOFvHcCIhw="); anything else is
// refused before it reaches a log line, a registry key or a URL.
var connIDPattern = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{1,128}$`)

// Secrets are set as static integration request parameters ('value'), so they must not contain
// quotes or spaces.
var secretPattern = regexp.MustCompile(`^[A-Za-z0-9._~+/=-]{32,256}$`)

// PubSub is the part of store.Live the transport uses to reach other instances.
type PubSub interface {
	Publish(ctx context.Context, topic string, payload []byte) error
	Subscribe(ctx context.Context) (store.Subscription, error)
}

// WatchRegistry is an optional extension of store.Gateway: a registry that implements it
// remembers the games each connection watches, which makes a takeover invisible to the client.
// Entries go away with DeleteConn and expire with the connection.
type WatchRegistry interface {
	SetConnWatches(ctx context.Context, connID string, games []string) error
	ConnWatches(ctx context.Context, connID string) ([]string, error)
}

// Deps are the collaborators of a Handler.
type Deps struct {
	Server  *server.Server
	Gateway store.Gateway // connection registry and instance heartbeats
	Bus     PubSub        // usually the store.Live the server uses
	Signer  *authn.Signer // re-verifies the token on $connect
	Poster  Poster        // the @connections API
	Log     *slog.Logger
}

// Options tune a Handler. Zero values take the defaults noted.
type Options struct {
	// InstanceID names this process in the registry; a random id when empty. It must be unique
	// per process: a restarted task must not inherit its predecessor's connections.
	InstanceID string
	// Secrets are the accepted X-Chess-Gateway-Secret values, current first (a second one during
	// a rotation). At least one is required: 32–256 characters of [A-Za-z0-9._~+/=-].
	Secrets []string

	ConnTTL           time.Duration // registry lifetime of a connection; 2 h (API Gateway's maximum)
	HeartbeatInterval time.Duration // instance heartbeat period; 1 s
	HeartbeatTTL      time.Duration // an instance silent this long is dead; 3 s
	ForwardTimeout    time.Duration // wait for the owner to queue a forwarded message; 2 s
	SendQueue         int           // frames queued per connection before it counts as too slow; 256
	InboundQueue      int           // client messages queued per connection; 64
	// ConnectGrace: a 410 within this time after $connect answered is retried, since API
	// Gateway may not have finished opening the connection; 3 s.
	ConnectGrace time.Duration
	// ProbeAfter: a connection that sent nothing for this long (clients ping every 2.5 s) is
	// checked with GET @connections, so a lost $disconnect is noticed; 30 s.
	ProbeAfter    time.Duration
	SweepInterval time.Duration // how often connections are checked for ProbeAfter; 10 s
	// MaxConnAge: API Gateway closes every connection after 2 h; a local session older than
	// this is dropped even if no $disconnect came; 2 h 1 min.
	MaxConnAge time.Duration
	Now        func() time.Time
}

func (o *Options) defaults() error {
	if o.InstanceID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		o.InstanceID = "i-" + hex.EncodeToString(b)
	}
	if len(o.Secrets) == 0 {
		return errors.New("apigw: a shared secret is required (Options.Secrets)")
	}
	for i, s := range o.Secrets {
		if !secretPattern.MatchString(s) {
			return fmt.Errorf("apigw: secret %d: want 32–256 characters of [A-Za-z0-9._~+/=-]", i+1)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ConnTTL, 2*time.Hour)
	def(&o.HeartbeatInterval, time.Second)
	def(&o.HeartbeatTTL, 3*o.HeartbeatInterval)
	def(&o.ForwardTimeout, 2*time.Second)
	def(&o.ConnectGrace, 3*time.Second)
	def(&o.ProbeAfter, 30*time.Second)
	def(&o.SweepInterval, 10*time.Second)
	def(&o.MaxConnAge, 2*time.Hour+time.Minute)
	if o.HeartbeatTTL < 2*o.HeartbeatInterval {
		return fmt.Errorf("apigw: heartbeat TTL %s must be at least twice the interval %s", o.HeartbeatTTL, o.HeartbeatInterval)
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.InboundQueue <= 0 {
		o.InboundQueue = 64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Handler serves the integration endpoints of one instance. Safe for concurrent use.
type Handler struct {
	srv      *server.Server
	gw       store.Gateway
	watchReg WatchRegistry // nil when the registry does not remember watches
	bus      PubSub
	signer   *authn.Signer
	poster   Poster
	log      *slog.Logger
	opts     Options
	id       string
	secrets  [][]byte

	bg      context.Context // outlives requests; canceled by Shutdown
	stopBG  context.CancelFunc
	sub     store.Subscription
	loops   sync.WaitGroup // heartbeat, subscription reader, sweeper
	workers tracker        // per-connection goroutines (posting, handling, closing)

	mu       sync.Mutex
	local    map[string]*conn
	pending  map[string]chan receipt // forwarded messages waiting for the owner's receipt
	closing  bool
	lastBeat time.Time // last successful heartbeat
}

// New subscribes to this instance's topic, starts heartbeats and returns the handler. Call
// Shutdown after server.Shutdown.
func New(ctx context.Context, d Deps, o Options) (*Handler, error) {
	if d.Server == nil || d.Gateway == nil || d.Bus == nil || d.Signer == nil || d.Poster == nil || d.Log == nil {
		return nil, errors.New("apigw: Server, Gateway, Bus, Signer, Poster and Log are required")
	}
	if err := o.defaults(); err != nil {
		return nil, err
	}
	h := &Handler{
		srv: d.Server, gw: d.Gateway, bus: d.Bus, signer: d.Signer, poster: d.Poster,
		log: d.Log.With("instance", o.InstanceID), opts: o, id: o.InstanceID,
		local: map[string]*conn{}, pending: map[string]chan receipt{},
	}
	h.workers.init()
	if wr, ok := d.Gateway.(WatchRegistry); ok {
		h.watchReg = wr
	}
	for _, s := range o.Secrets {
		h.secrets = append(h.secrets, []byte(s))
	}
	sub, err := d.Bus.Subscribe(ctx)
	if err != nil {
		return nil, fmt.Errorf("apigw: subscribing: %w", err)
	}
	if err := sub.Add(ctx, store.InstanceTopic(h.id), broadcastTopic); err != nil {
		_ = sub.Close()
		return nil, fmt.Errorf("apigw: following the instance topic: %w", err)
	}
	h.sub = sub
	h.bg, h.stopBG = context.WithCancel(context.WithoutCancel(ctx))
	// A first heartbeat before serving, so forwarders see us alive at once; failures are
	// retried by the loop (the registry may be starting too).
	h.heartbeat(ctx)
	h.loops.Add(3)
	go func() { defer h.loops.Done(); h.receive() }()
	go func() { defer h.loops.Done(); h.every(h.opts.HeartbeatInterval, h.heartbeat) }()
	go func() { defer h.loops.Done(); h.every(h.opts.SweepInterval, h.sweep) }()
	return h, nil
}

// InstanceID is this instance's id in the registry.
func (h *Handler) InstanceID() string { return h.id }

// Register mounts the three integration endpoints.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+PathConnect, h.serveConnect)
	mux.HandleFunc("POST "+PathMessage, h.serveMessage)
	mux.HandleFunc("POST "+PathDisconnect, h.serveDisconnect)
}

// Connections counts the connections this instance owns.
func (h *Handler) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.local)
}

// Shutdown refuses new connections, closes the connections still owned here (each flushes its
// queue, then is disconnected through @connections so the client reconnects to another
// instance), waits for that within ctx, stops the loops and marks the instance dead. Call it
// after server.Shutdown, which closes the sessions the same way.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	left := make([]*conn, 0, len(h.local))
	for _, c := range h.local {
		left = append(left, c)
	}
	h.mu.Unlock()
	for _, c := range left {
		c.shut("server restarting; reconnect", true, true)
	}
	err := h.workers.wait(ctx)
	h.stopBG()
	_ = h.sub.Close()
	h.loops.Wait()
	// Expire our heartbeat now so that other instances take over anything left at once.
	if herr := h.gw.Heartbeat(context.WithoutCancel(ctx), h.id, time.Millisecond); herr != nil {
		h.log.WarnContext(ctx, "clearing heartbeat", "err", herr)
	}
	if err != nil {
		return fmt.Errorf("apigw shutdown: %w", err)
	}
	return nil
}

func (h *Handler) every(d time.Duration, f func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-h.bg.Done():
			return
		case <-t.C:
			f(h.bg)
		}
	}
}

// authorized checks the shared secret in constant time.
func (h *Handler) authorized(r *http.Request) bool {
	got := []byte(r.Header.Get(HeaderSecret))
	ok := 0
	for _, s := range h.secrets {
		ok |= subtle.ConstantTimeCompare(got, s)
	}
	return ok == 1
}

// preamble checks the secret and the connection id; it answers the request itself on failure.
func (h *Handler) preamble(w http.ResponseWriter, r *http.Request) (string, bool) {
	if !h.authorized(r) {
		h.log.WarnContext(r.Context(), "integration request without the gateway secret", "path", r.URL.Path, "remote", r.RemoteAddr)
		httpError(w, http.StatusForbidden, "forbidden", "missing or wrong gateway secret")
		return "", false
	}
	id := r.Header.Get(HeaderConnectionID)
	if !connIDPattern.MatchString(id) {
		httpError(w, http.StatusBadRequest, "bad_request", "missing or malformed connectionId header")
		return "", false
	}
	return id, true
}

func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// serveConnect registers a new connection: API Gateway calls it during the client's upgrade
// (after the authorizer allowed it) and opens the connection only if it answers 2xx.
func (h *Handler) serveConnect(w http.ResponseWriter, r *http.Request) {
	id, ok := h.preamble(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	// Defence in depth: the authorizer checked the token already; check it again here.
	claims, err := h.signer.Verify(r.Header.Get(HeaderToken), h.opts.Now())
	if err != nil {
		h.log.InfoContext(ctx, "connect with a bad token", "conn", id, "err", err)
		httpError(w, http.StatusUnauthorized, string(protocol.CodeUnauthorized), "missing, invalid or expired session token")
		return
	}
	if p := r.Header.Get(HeaderPlayer); p != "" && p != claims.PlayerID {
		h.log.WarnContext(ctx, "authorizer principal and token disagree", "conn", id, "principal", p, "player", claims.PlayerID)
		httpError(w, http.StatusUnauthorized, string(protocol.CodeUnauthorized), "token does not match the authorized principal")
		return
	}
	h.mu.Lock()
	closing := h.closing
	h.mu.Unlock()
	if closing {
		httpError(w, http.StatusServiceUnavailable, string(protocol.CodeUnavailable), "server restarting; retry")
		return
	}
	addr := clientip.Normalize(r.Header.Get(HeaderClientIP))
	rec := store.GatewayConn{
		ID: id, Owner: h.id, PlayerID: claims.PlayerID, Name: claims.Name, Guest: claims.Guest,
		ExpiresAt: claims.ExpiresAt.UnixMilli(), Addr: addr,
	}
	if err := h.gw.PutConn(ctx, rec, h.opts.ConnTTL); err != nil {
		h.log.WarnContext(ctx, "registering connection", "conn", id, "err", err)
		httpError(w, http.StatusServiceUnavailable, string(protocol.CodeUnavailable), "service unavailable; retry")
		return
	}
	c := h.newConn(id, false)
	c.addr = addr
	if !h.install(c) {
		_ = h.gw.DeleteConn(context.WithoutCancel(ctx), id)
		httpError(w, http.StatusServiceUnavailable, string(protocol.CodeUnavailable), "server restarting; retry")
		return
	}
	sess, err := h.srv.Open(ctx, claims, c, server.Client{Addr: addr})
	if err != nil {
		h.uninstall(c)
		_ = h.gw.DeleteConn(context.WithoutCancel(ctx), id)
		var capErr *server.CapError
		if errors.As(err, &capErr) {
			h.log.InfoContext(ctx, "connection refused by a cap", "conn", id, "player", claims.PlayerID, "err", err)
			httpError(w, http.StatusTooManyRequests, CodeTooManyConnections, capErr.Error())
			h.refuse(id)
			return
		}
		h.log.WarnContext(ctx, "opening session", "conn", id, "player", claims.PlayerID, "err", err)
		httpError(w, http.StatusServiceUnavailable, string(protocol.CodeUnavailable), "service unavailable; retry")
		return
	}
	c.ready(sess)
	if offersSubprotocol(r.Header.Values("Sec-WebSocket-Protocol")) {
		w.Header().Set("Sec-WebSocket-Protocol", Subprotocol)
	}
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	// Frames queued while connecting (none usually) go out once API Gateway has our answer.
	c.activate()
}

func offersSubprotocol(values []string) bool {
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if strings.TrimSpace(p) == Subprotocol {
				return true
			}
		}
	}
	return false
}

// serveMessage takes one client frame ($default route). It answers 204 as soon as the owner
// has queued the frame; the client sees the server's answers through @connections.
func (h *Handler) serveMessage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.preamble(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxFrame+1))
	if err != nil {
		httpError(w, http.StatusBadRequest, "bad_request", "reading the message")
		return
	}
	if h.answerPingInBody(w, r, id, body) {
		return
	}
	it := inbound{frame: body}
	if len(body) > protocol.MaxFrame {
		// Too big for the protocol: the owner answers bad_request; the bytes are not forwarded.
		it = inbound{oversized: true}
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	}
	h.route(r.Context(), id, it)
	w.WriteHeader(http.StatusNoContent)
}

// serveDisconnect ends a connection's session ($disconnect route; best effort on AWS's side).
func (h *Handler) serveDisconnect(w http.ResponseWriter, r *http.Request) {
	id, ok := h.preamble(w, r)
	if !ok {
		return
	}
	h.disconnect(r.Context(), id)
	w.WriteHeader(http.StatusNoContent)
}

// install adds a connection to this instance unless it is shutting down.
func (h *Handler) install(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	if old := h.local[c.id]; old != nil && old != c {
		// API Gateway never reuses an id; an old entry here is a leftover. Drop it quietly.
		go old.abandon()
	}
	h.local[c.id] = c
	return true
}

func (h *Handler) uninstall(c *conn) {
	h.mu.Lock()
	if h.local[c.id] == c {
		delete(h.local, c.id)
	}
	h.mu.Unlock()
}

func (h *Handler) lookup(id string) *conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.local[id]
}

func (h *Handler) snapshot() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*conn, 0, len(h.local))
	for _, c := range h.local {
		out = append(out, c)
	}
	return out
}

// dropRegistry deletes a connection's registry entry if this instance still owns it (a
// connection taken over by another instance must keep its entry).
func (h *Handler) dropRegistry(ctx context.Context, id string) {
	rec, err := h.gw.GetConn(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err != nil {
		h.log.WarnContext(ctx, "reading connection before delete", "conn", id, "err", err)
		return
	}
	if rec.Owner != h.id {
		return
	}
	if err := h.gw.DeleteConn(ctx, id); err != nil {
		h.log.WarnContext(ctx, "deleting connection", "conn", id, "err", err)
	}
}

// heartbeat renews this instance's liveness. After a gap longer than the TTL other instances
// may have taken connections over, so each local connection's ownership is checked again.
func (h *Handler) heartbeat(ctx context.Context) {
	if err := h.gw.Heartbeat(ctx, h.id, h.opts.HeartbeatTTL); err != nil {
		h.log.WarnContext(ctx, "heartbeat", "err", err)
		return
	}
	now := h.opts.Now()
	h.mu.Lock()
	lapsed := !h.lastBeat.IsZero() && now.Sub(h.lastBeat) > h.opts.HeartbeatTTL
	h.lastBeat = now
	h.mu.Unlock()
	if lapsed {
		h.log.WarnContext(ctx, "heartbeat lapsed; checking connection ownership")
		h.verifyOwnership(ctx)
	}
}

// verifyOwnership drops local sessions of connections another instance has claimed, and
// re-registers those the registry lost (Redis restarted without its data).
func (h *Handler) verifyOwnership(ctx context.Context) {
	for _, c := range h.snapshot() {
		rec, err := h.gw.GetConn(ctx, c.id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if perr := h.gw.PutConn(ctx, c.record(h.id), h.opts.ConnTTL); perr != nil {
				h.log.WarnContext(ctx, "re-registering connection", "conn", c.id, "err", perr)
			}
		case err != nil:
			h.log.WarnContext(ctx, "checking connection owner", "conn", c.id, "err", err)
		case rec.Owner != h.id:
			h.log.InfoContext(ctx, "connection taken over by another instance", "conn", c.id, "owner", rec.Owner)
			c.abandon()
		}
	}
}

// sweep probes connections that have been silent too long and drops those API Gateway no longer
// has, since $disconnect is not guaranteed to arrive.
func (h *Handler) sweep(ctx context.Context) {
	now := h.opts.Now()
	for _, c := range h.snapshot() {
		if now.Sub(c.created) > h.opts.MaxConnAge {
			h.log.InfoContext(ctx, "dropping a connection past API Gateway's lifetime", "conn", c.id)
			c.gone()
			continue
		}
		if !c.dueProbe(now, h.opts.ProbeAfter) {
			continue
		}
		h.workers.add()
		go func() {
			defer h.workers.done()
			err := h.poster.Probe(h.bg, c.id)
			if errors.Is(err, ErrGone) {
				h.log.InfoContext(h.bg, "connection gone without $disconnect", "conn", c.id)
				c.gone()
			} else if err != nil {
				h.log.DebugContext(h.bg, "probing connection", "conn", c.id, "err", err)
			}
		}()
	}
}
