package apigw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/httpapi"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/transport/apigw"
	"chessplatform/app/internal/transport/apigw/wsauth"
)

const testSecret = "test-gateway-secret-0123456789abcdef"

var testKey = []byte("0123456789abcdef0123456789abcdef")

func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("APIGW_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// shared are the stores several instances share (one Postgres and one Redis in AWS).
type shared struct {
	durable store.Durable
	live    *memstore.Live
	gw      store.Gateway
}

func newShared(watches bool) *shared {
	now := func() int64 { return time.Now().UnixMilli() }
	sh := &shared{durable: memstore.NewDurable(), live: memstore.NewLive(now)}
	var gw store.Gateway = memstore.NewGateway(now)
	if watches {
		gw = &watchGateway{Gateway: gw, watches: map[string][]string{}}
	}
	sh.gw = gw
	return sh
}

// watchGateway adds apigw.WatchRegistry to a registry, as a store that remembers watches would.
type watchGateway struct {
	store.Gateway
	mu      sync.Mutex
	watches map[string][]string
	writes  int // SetConnWatches calls
}

func (w *watchGateway) SetConnWatches(_ context.Context, id string, games []string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.watches[id] = append([]string(nil), games...)
	w.writes++
	return nil
}

func (w *watchGateway) writeCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

func (w *watchGateway) ConnWatches(_ context.Context, id string) ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.watches[id]...), nil
}

func (w *watchGateway) DeleteConn(ctx context.Context, id string) error {
	w.mu.Lock()
	delete(w.watches, id)
	w.mu.Unlock()
	return w.Gateway.DeleteConn(ctx, id)
}

// killSwitch makes an instance's view of the world fail, as if its process died: registry,
// pub/sub and @connections calls all fail from the moment it is flipped.
type killSwitch struct {
	pongs        atomic.Int64 // pong frames posted through @connections
	dead         atomic.Bool
	registryDown atomic.Bool // only the registry fails (Redis unreachable from this instance)
}

func (k *killSwitch) registryFails() bool { return k.dead.Load() || k.registryDown.Load() }

var errKilled = errors.New("instance killed")

type killableGateway struct {
	store.Gateway
	k *killSwitch
}

func (g killableGateway) PutConn(ctx context.Context, c store.GatewayConn, ttl time.Duration) error {
	if g.k.registryFails() {
		return errKilled
	}
	return g.Gateway.PutConn(ctx, c, ttl)
}

func (g killableGateway) GetConn(ctx context.Context, id string) (store.GatewayConn, error) {
	if g.k.registryFails() {
		return store.GatewayConn{}, errKilled
	}
	return g.Gateway.GetConn(ctx, id)
}

func (g killableGateway) ClaimConn(ctx context.Context, id, o, n string) (bool, error) {
	if g.k.registryFails() {
		return false, errKilled
	}
	return g.Gateway.ClaimConn(ctx, id, o, n)
}

func (g killableGateway) DeleteConn(ctx context.Context, id string) error {
	if g.k.registryFails() {
		return errKilled
	}
	return g.Gateway.DeleteConn(ctx, id)
}

func (g killableGateway) Heartbeat(ctx context.Context, id string, ttl time.Duration) error {
	if g.k.registryFails() {
		return errKilled
	}
	return g.Gateway.Heartbeat(ctx, id, ttl)
}

func (g killableGateway) InstanceAlive(ctx context.Context, id string) (bool, error) {
	if g.k.registryFails() {
		return false, errKilled
	}
	return g.Gateway.InstanceAlive(ctx, id)
}

// killableWatchGateway is killableGateway over a registry that remembers watches.
type killableWatchGateway struct {
	killableGateway
	wr apigw.WatchRegistry
}

func (g killableWatchGateway) SetConnWatches(ctx context.Context, id string, games []string) error {
	if g.k.registryFails() {
		return errKilled
	}
	return g.wr.SetConnWatches(ctx, id, games)
}

func (g killableWatchGateway) ConnWatches(ctx context.Context, id string) ([]string, error) {
	if g.k.registryFails() {
		return nil, errKilled
	}
	return g.wr.ConnWatches(ctx, id)
}

type killableBus struct {
	live store.Live
	k    *killSwitch
	mu   sync.Mutex
	subs []store.Subscription
}

func (b *killableBus) Publish(ctx context.Context, topic string, payload []byte) error {
	if b.k.dead.Load() {
		return errKilled
	}
	return b.live.Publish(ctx, topic, payload)
}

func (b *killableBus) Subscribe(ctx context.Context) (store.Subscription, error) {
	s, err := b.live.Subscribe(ctx)
	if err == nil {
		b.mu.Lock()
		b.subs = append(b.subs, s)
		b.mu.Unlock()
	}
	return s, err
}

func (b *killableBus) kill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		_ = s.Close()
	}
}

type killablePoster struct {
	apigw.Poster
	k *killSwitch
}

func (p killablePoster) Post(ctx context.Context, id string, data []byte) error {
	if p.k.dead.Load() {
		return errKilled
	}
	if bytes.Equal(data, protocol.PongFrame()) {
		p.k.pongs.Add(1)
	}
	return p.Poster.Post(ctx, id, data)
}

func (p killablePoster) Delete(ctx context.Context, id string) error {
	if p.k.dead.Load() {
		return errKilled
	}
	return p.Poster.Delete(ctx, id)
}

func (p killablePoster) Probe(ctx context.Context, id string) error {
	if p.k.dead.Load() {
		return errKilled
	}
	return p.Poster.Probe(ctx, id)
}

// postedPongs counts the pongs every instance posted through @connections.
func (e *env) postedPongs() int64 {
	var n int64
	for _, in := range e.insts {
		n += in.kill.pongs.Load()
	}
	return n
}

// instance is one backend process: the chess service, the HTTP API and the apigw endpoints.
type instance struct {
	name     string
	srv      *server.Server
	h        *apigw.Handler
	ts       *httptest.Server
	kill     *killSwitch
	bus      *killableBus
	messages atomic.Int64 // /apigw/message requests served
	down     atomic.Bool
}

// env is a gateway emulator in front of one or more instances.
type env struct {
	t         *testing.T
	sh        *shared
	signer    *authn.Signer
	gw        *gatewaytest.Gateway
	insts     []*instance
	route     atomic.Value // func(gatewaytest.Request) int
	hc        *http.Client
	instOpts  apigw.Options
	srvConfig server.Config
	gwConfig  func(*gatewaytest.Config)
}

type envOpt func(*env)

func withHandlerOptions(f func(*apigw.Options)) envOpt { return func(e *env) { f(&e.instOpts) } }

func withGatewayConfig(f func(*gatewaytest.Config)) envOpt { return func(e *env) { e.gwConfig = f } }

// newEnv starts n instances over shared stores and a gateway whose integrations go where route
// says (the default sends everything to instance 0).
func newEnv(t *testing.T, n int, sh *shared, opts ...envOpt) *env {
	t.Helper()
	signer, err := authn.NewSigner(testKey)
	require.NoError(t, err)
	e := &env{t: t, sh: sh, signer: signer, hc: &http.Client{Timeout: 10 * time.Second}}
	e.instOpts = apigw.Options{
		Secrets:           []string{testSecret},
		HeartbeatInterval: 100 * time.Millisecond,
		HeartbeatTTL:      300 * time.Millisecond,
		ForwardTimeout:    500 * time.Millisecond,
	}
	e.srvConfig = server.Config{TickInterval: 20 * time.Millisecond, MatchInterval: 20 * time.Millisecond}
	for _, o := range opts {
		o(e)
	}
	e.route.Store(func(gatewaytest.Request) int { return 0 })
	auth := wsauth.New(wsauth.StaticKeys{S: signer}, testLog(t), nil)
	params := map[string]map[string]string{}
	for _, r := range apigw.Routes {
		params[r] = apigw.RequestParameters(r, testSecret)
	}
	cfg := gatewaytest.Config{
		Authorizer:        gatewaytest.LambdaJSON(auth.Handle),
		IdentitySources:   []string{"route.request.querystring.token"},
		Backend:           e.backendFor,
		Paths:             apigw.IntegrationPaths,
		TwoWayRoutes:      apigw.TwoWayRoutes,
		RequestParameters: params,
		Log:               testLog(t),
	}
	if e.gwConfig != nil {
		e.gwConfig(&cfg)
	}
	gw, err := gatewaytest.New(cfg)
	require.NoError(t, err)
	e.gw = gw
	for i := 0; i < n; i++ {
		e.insts = append(e.insts, e.startInstance(i))
	}
	// Stop the instances before the gateway, so that the gateway's $disconnect calls on close
	// find nobody rather than racing a shutdown.
	t.Cleanup(gw.Close)
	for _, in := range e.insts {
		t.Cleanup(func() { e.stop(in) })
	}
	return e
}

func (e *env) startInstance(i int) *instance {
	t := e.t
	ctx := context.Background()
	k := &killSwitch{}
	in := &instance{name: string(rune('A' + i)), kill: k, bus: &killableBus{live: e.sh.live, k: k}}
	srv, err := server.New(ctx, e.sh.durable, e.sh.live, testLog(t), e.srvConfig)
	require.NoError(t, err)
	in.srv = srv
	client, err := apigw.NewLeanClient(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(gatewaytest.TestAccessKeyID, gatewaytest.TestSecretAccessKey, ""),
	}, apigw.ClientOptions{Endpoint: e.gw.ManagementEndpoint(), Retry: apigw.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}})
	require.NoError(t, err)
	var gw store.Gateway = killableGateway{Gateway: e.sh.gw, k: k}
	if wr, ok := e.sh.gw.(apigw.WatchRegistry); ok {
		gw = killableWatchGateway{killableGateway: gw.(killableGateway), wr: wr}
	}
	o := e.instOpts
	o.InstanceID = "inst-" + in.name
	h, err := apigw.New(ctx, apigw.Deps{
		Server: srv, Gateway: gw, Bus: in.bus, Signer: e.signer,
		Poster: killablePoster{Poster: client, k: k}, Log: testLog(t).With("inst", in.name),
	}, o)
	require.NoError(t, err)
	in.h = h
	mux := http.NewServeMux()
	httpapi.New(srv, e.signer, testLog(t), httpapi.Options{AuthPerMinute: 1000}).Register(mux)
	h.Register(mux)
	in.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == apigw.PathMessage {
			in.messages.Add(1)
		}
		mux.ServeHTTP(w, r)
	}))
	return in
}

// stop shuts an instance down gracefully (a no-op for a killed one beyond freeing resources).
func (e *env) stop(in *instance) {
	if in.down.Swap(true) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = in.srv.Shutdown(ctx, "server restarting; reconnect")
	_ = in.h.Shutdown(ctx)
	in.ts.Close()
}

// killInstance makes an instance dead without any graceful step: it stops answering HTTP and
// every store and @connections call it makes fails, so its heartbeat expires.
func (e *env) killInstance(in *instance) {
	in.kill.dead.Store(true)
	in.bus.kill()
	in.ts.CloseClientConnections()
	in.ts.Listener.Close()
	e.t.Cleanup(func() {
		// Free its goroutines at the end; everything it tries fails.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = in.srv.Shutdown(ctx, "test over")
		_ = in.h.Shutdown(ctx)
	})
	in.down.Store(true)
}

func (e *env) backendFor(r gatewaytest.Request) string {
	f := e.route.Load().(func(gatewaytest.Request) int)
	return e.insts[f(r)].ts.URL
}

func (e *env) setRoute(f func(gatewaytest.Request) int) { e.route.Store(f) }

// client is one test client connected through the gateway.
type client struct {
	t     *testing.T
	e     *env
	sess  wsclient.Session
	c     *wsclient.Client
	mu    sync.Mutex
	seen  []wsclient.Msg // every message taken from c, in arrival order
	conns []*wsclient.Client
}

func (e *env) guest() *client {
	e.t.Helper()
	s, err := wsclient.Guest(ctxT(e.t), e.hc, e.insts[0].ts.URL)
	require.NoError(e.t, err)
	cl := &client{t: e.t, e: e, sess: s}
	cl.dial()
	return cl
}

func (cl *client) dial() {
	cl.t.Helper()
	c, err := wsclient.Dial(ctxT(cl.t), cl.e.gw.URL(), cl.sess.Token)
	require.NoError(cl.t, err)
	cl.t.Cleanup(c.CloseNow)
	cl.c = c
	cl.conns = append(cl.conns, c)
	// A ping round trip proves the session is registered before anything else happens.
	cl.ping()
}

func (cl *client) ping() {
	cl.t.Helper()
	require.NoError(cl.t, cl.c.Send(ctxT(cl.t), "ping", nil))
	cl.waitType("pong")
}

// connID is the gateway's id of the client's current connection.
func (cl *client) connID() string {
	cl.t.Helper()
	ids := cl.e.gw.ConnectionsOf(cl.sess.Player.ID)
	require.Len(cl.t, ids, 1)
	return ids[0]
}

func (cl *client) wait(pred func(wsclient.Msg) bool) wsclient.Msg {
	cl.t.Helper()
	m, err := cl.c.Wait(ctxT(cl.t), pred)
	require.NoError(cl.t, err)
	cl.mu.Lock()
	cl.seen = append(cl.seen, m)
	cl.mu.Unlock()
	return m
}

func (cl *client) waitType(typ string) wsclient.Msg {
	cl.t.Helper()
	return cl.wait(func(m wsclient.Msg) bool { return m.T == typ })
}

// act sends an ackable message and returns the error code ("" when acked).
func (cl *client) act(typ string, d any) string {
	cl.t.Helper()
	a, err := cl.c.SendAck(ctxT(cl.t), typ, d)
	require.NoError(cl.t, err)
	return cl.result(a)
}

func (cl *client) result(a int64) string {
	cl.t.Helper()
	m := cl.wait(func(m wsclient.Msg) bool { return wsclient.IsAck(m, a) || wsclient.IsErrorFor(m, a) })
	if m.T == "ack" {
		return ""
	}
	return m.Error().Code
}

func (cl *client) watch(game string, v int64) {
	cl.t.Helper()
	require.Empty(cl.t, cl.act("watch", map[string]any{"game": game, "v": v}))
	if v == 0 {
		cl.waitType("state")
	}
}

// waitV waits for the versioned event v of a game.
func (cl *client) waitV(v int64) wsclient.Msg {
	cl.t.Helper()
	return cl.wait(func(m wsclient.Msg) bool { return m.V == v })
}

// history returns, in arrival order, the versioned events and full states (state, gameStart)
// of a game the client received on any of its connections.
func (cl *client) history(game string, final bool) []wsclient.Msg {
	cl.mu.Lock()
	for _, c := range cl.conns {
		// Closed connections' leftovers are kept for later calls; the current connection's
		// buffer is left to waits unless this is the final check.
		if c != cl.c || final {
			cl.seen = append(cl.seen, c.Drain()...)
		}
	}
	all := append([]wsclient.Msg(nil), cl.seen...)
	cl.mu.Unlock()
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	var out []wsclient.Msg
	for _, m := range all {
		var ref struct {
			Game string `json:"game"`
		}
		_ = json.Unmarshal(m.D, &ref)
		if ref.Game == game && (m.V > 0 || m.T == "state" || m.T == "gameStart") {
			out = append(out, m)
		}
	}
	return out
}

// lastV is the last version of a game the client has received (0 if none), what a real
// client sends when it watches again after reconnecting.
func (cl *client) lastV(game string) int64 {
	var v int64
	for _, m := range cl.history(game, false) {
		if m.T == "state" || m.T == "gameStart" {
			var gs protocol.GameState
			if json.Unmarshal(m.D, &gs) == nil && gs.V > v {
				v = gs.V
			}
		} else if m.V > v {
			v = m.V
		}
	}
	return v
}

// rewatch watches a game again from the last version the client has.
func (cl *client) rewatch(game string) {
	cl.t.Helper()
	v := cl.lastV(game)
	require.Positive(cl.t, v)
	cl.watch(game, v)
}

// requireGapFree checks that the client saw every version of a game exactly once, in order,
// from its first full state to last.
func (cl *client) requireGapFree(game string, last int64) {
	cl.t.Helper()
	var v int64 = -1
	for _, m := range cl.history(game, true) {
		if m.T == "state" || m.T == "gameStart" {
			var gs protocol.GameState
			require.NoError(cl.t, json.Unmarshal(m.D, &gs))
			require.GreaterOrEqual(cl.t, gs.V, v, "%s: a full state never goes back", cl.sess.Player.Name)
			v = gs.V
			continue
		}
		require.NotEqual(cl.t, int64(-1), v, "%s: event v%d before any full state", cl.sess.Player.Name, m.V)
		require.Equal(cl.t, v+1, m.V, "%s: %s", cl.sess.Player.Name, string(m.Raw))
		v = m.V
	}
	require.Equal(cl.t, last, v, "%s saw the game up to its last version", cl.sess.Player.Name)
}

// pair seeks with both clients and returns them as (white, black) with the game state.
func pair(t *testing.T, a, b *client) (*client, *client, protocol.GameState) {
	t.Helper()
	for _, p := range []*client{a, b} {
		require.Empty(t, p.act("seek", map[string]any{"tc": "5+3", "rated": false}))
	}
	var gs protocol.GameState
	for _, p := range []*client{a, b} {
		m := p.waitType("gameStart")
		require.NoError(t, json.Unmarshal(m.D, &gs))
	}
	if gs.White.Name == b.sess.Player.Name {
		a, b = b, a
	}
	return a, b, gs
}

// move plays one move and requires its ack.
func move(t *testing.T, p *client, game, uci string, ply int) {
	t.Helper()
	require.Empty(t, p.act("move", map[string]any{"game": game, "u": uci, "ply": ply}), "ply %d %s", ply, uci)
}
