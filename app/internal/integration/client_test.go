package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
)

// client is one protocol client (a browser tab of a player, or a spectator) that survives
// reconnects: it records every message of every connection it opened, and follows each
// watched game's event versions the way the protocol asks a client to, noting every anomaly
// (a gap, a duplicate, a version going back). Ack ids are unique across its connections.
type client struct {
	t    *testing.T
	name string
	sess wsclient.Session

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	conns   []*conn
	cur     *conn
	nextAck int64
	games   map[string]*gameView
}

// gameView is what a client knows about one game.
type gameView struct {
	lastV     int64
	events    []wsclient.Msg // versioned events, in arrival order over all connections
	states    []int64        // versions of full states received (watch replies, resyncs)
	anomalies []string       // gaps, duplicates, versions going back: must stay empty
	seen      map[int64]bool // versions received as events
	redundant int            // events that arrived after a full state already covering them
	ended     bool
	endAt     time.Time
	result    string
	reason    string
	acked     map[int]string // ply -> uci of this client's acknowledged moves
}

// conn is one WebSocket connection of a client to one instance.
type conn struct {
	cl   *client
	inst *instance
	ws   *wsclient.Client
	msgs []wsclient.Msg // guarded by cl.mu
	err  error          // set when the connection ended; guarded by cl.mu
}

// guest gets a guest session from inst and connects to it.
func (c *cluster) guest(name string, in *instance) *client {
	c.t.Helper()
	s, err := wsclient.Guest(ctxT(c.t, 10*time.Second), c.hc, in.url)
	require.NoError(c.t, err)
	cl := &client{t: c.t, name: name, sess: s, changed: make(chan struct{}), games: map[string]*gameView{}}
	cl.connect(in)
	return cl
}

// registered creates an account through inst and connects to it.
func (c *cluster) registered(name string, in *instance) *client {
	c.t.Helper()
	s, err := wsclient.Register(ctxT(c.t, 10*time.Second), c.hc, in.url, name, "correct horse battery")
	require.NoError(c.t, err)
	cl := &client{t: c.t, name: name, sess: s, changed: make(chan struct{}), games: map[string]*gameView{}}
	cl.connect(in)
	return cl
}

// tab is a second, independent client of the same player (another browser tab) on inst.
func (c *cluster) tab(of *client, name string, in *instance) *client {
	c.t.Helper()
	cl := &client{t: c.t, name: name, sess: of.sess, changed: make(chan struct{}), games: map[string]*gameView{}}
	cl.connect(in)
	return cl
}

// connect opens a new connection to inst and makes it the current one; older connections stay
// open (a second tab) until closed. A ping round trip proves the session is registered.
func (cl *client) connect(in *instance) *conn {
	cl.t.Helper()
	ws, err := wsclient.Dial(ctxT(cl.t, 10*time.Second), in.url, cl.sess.Token)
	require.NoError(cl.t, err, "%s connecting to %s", cl.name, in.name)
	cn := &conn{cl: cl, inst: in, ws: ws}
	cl.t.Cleanup(ws.CloseNow)
	cl.mu.Lock()
	cl.conns = append(cl.conns, cn)
	cl.cur = cn
	cl.mu.Unlock()
	go cn.pump()
	cl.sendOn(cn, "ping", nil, false)
	_, err = cn.wait(ctxT(cl.t, 10*time.Second), func(m wsclient.Msg) bool { return m.T == "pong" })
	require.NoError(cl.t, err, "%s: no pong from %s", cl.name, in.name)
	return cn
}

// pump moves every message the connection receives into the client's record.
func (cn *conn) pump() {
	for {
		m, err := cn.ws.Wait(context.Background(), func(wsclient.Msg) bool { return true })
		cl := cn.cl
		cl.mu.Lock()
		if err != nil {
			cn.err = err
		} else {
			cn.msgs = append(cn.msgs, m)
			cl.observe(m)
		}
		close(cl.changed)
		cl.changed = make(chan struct{})
		cl.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// view returns the game's view; cl.mu must be held.
func (cl *client) view(game string) *gameView {
	g, ok := cl.games[game]
	if !ok {
		g = &gameView{acked: map[int]string{}, seen: map[int64]bool{}}
		cl.games[game] = g
	}
	return g
}

// observe follows game versions; cl.mu is held.
func (cl *client) observe(m wsclient.Msg) {
	switch {
	case m.T == "state":
		var gs protocol.GameState
		if err := json.Unmarshal(m.D, &gs); err != nil {
			cl.t.Errorf("%s: bad state frame %s: %v", cl.name, m.Raw, err)
			return
		}
		g := cl.view(gs.Game)
		if gs.V < g.lastV {
			g.anomalies = append(g.anomalies, fmt.Sprintf("state v%d after v%d", gs.V, g.lastV))
		}
		g.lastV = max(g.lastV, gs.V)
		g.states = append(g.states, gs.V)
		if gs.Status == "ended" && !g.ended {
			g.ended, g.endAt = true, m.At
			g.result, g.reason = deref(gs.Result), deref(gs.Reason)
		}
	case m.V > 0:
		var ref struct {
			Game   string `json:"game"`
			Result string `json:"result"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(m.D, &ref); err != nil || ref.Game == "" {
			cl.t.Errorf("%s: versioned frame without a game: %s", cl.name, m.Raw)
			return
		}
		g := cl.view(ref.Game)
		switch {
		case g.seen[m.V]:
			g.anomalies = append(g.anomalies, fmt.Sprintf("duplicate event v%d (holding v%d): %s", m.V, g.lastV, m.Raw))
			return
		case m.V <= g.lastV:
			// Already covered by a full state that arrived first (a repair or a resync): a
			// client ignores it. Recorded, since every version must still come as an event.
			g.redundant++
		case m.V > g.lastV+1:
			g.anomalies = append(g.anomalies, fmt.Sprintf("gap: v%d after v%d: %s", m.V, g.lastV, m.Raw))
			g.lastV = m.V
		default:
			g.lastV = m.V
		}
		g.seen[m.V] = true
		g.events = append(g.events, m)
		if m.T == "end" && !g.ended {
			g.ended, g.endAt, g.result, g.reason = true, m.At, ref.Result, ref.Reason
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// current is the connection the client uses now.
func (cl *client) current() *conn {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.cur
}

// sendOn writes a message on cn, with a fresh ack id when ack is set (returned).
func (cl *client) sendOn(cn *conn, t string, d any, ack bool) int64 {
	cl.t.Helper()
	a, err := cl.trySend(cn, t, d, ack)
	require.NoError(cl.t, err)
	return a
}

// trySend is sendOn for other goroutines than the test's: it reports instead of failing.
func (cl *client) trySend(cn *conn, t string, d any, ack bool) (int64, error) {
	var a int64
	if ack {
		cl.mu.Lock()
		cl.nextAck++
		a = cl.nextAck
		cl.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cn.ws.SendWithAck(ctx, t, d, a); err != nil {
		return a, fmt.Errorf("%s sending %s to %s: %w", cl.name, t, cn.inst.name, err)
	}
	return a, nil
}

// wait returns the first message of the connection (in arrival order, never consumed) that
// matches pred, or an error when ctx ends or the connection is closed without one.
func (cn *conn) wait(ctx context.Context, pred func(wsclient.Msg) bool) (wsclient.Msg, error) {
	cl := cn.cl
	for {
		cl.mu.Lock()
		for _, m := range cn.msgs {
			if pred(m) {
				cl.mu.Unlock()
				return m, nil
			}
		}
		err, ch := cn.err, cl.changed
		cl.mu.Unlock()
		if err != nil {
			return wsclient.Msg{}, fmt.Errorf("%s's connection to %s closed: %w", cl.name, cn.inst.name, err)
		}
		select {
		case <-ctx.Done():
			return wsclient.Msg{}, fmt.Errorf("%s on %s: %w; last messages: %s", cl.name, cn.inst.name, ctx.Err(), cn.describe())
		case <-ch:
		}
	}
}

func (cn *conn) describe() string {
	cn.cl.mu.Lock()
	defer cn.cl.mu.Unlock()
	msgs := cn.msgs
	if len(msgs) > 8 {
		msgs = msgs[len(msgs)-8:]
	}
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = string(m.Raw)
	}
	return strings.Join(parts, " ")
}

// closed reports whether the connection has ended.
func (cn *conn) closed() error {
	cn.cl.mu.Lock()
	defer cn.cl.mu.Unlock()
	return cn.err
}

// result is the answer to an ackable message.
type result struct {
	Code      string    // "" when acked
	SentAt    time.Time // before the frame was written
	WrittenAt time.Time // after it was written
	At        time.Time // when the answer was read
}

// actOn sends an ackable message on cn and waits for its ack or error. It does not fail the
// test, so other goroutines may call it.
func (cl *client) actOn(ctx context.Context, cn *conn, t string, d any) (result, error) {
	sent := time.Now()
	a, err := cl.trySend(cn, t, d, true)
	if err != nil {
		return result{SentAt: sent}, err
	}
	written := time.Now()
	r, err := cl.answer(ctx, cn, a, sent)
	r.WrittenAt = written
	return r, err
}

// answer waits for the ack of a or an error referencing it.
func (cl *client) answer(ctx context.Context, cn *conn, a int64, sent time.Time) (result, error) {
	m, err := cn.wait(ctx, func(m wsclient.Msg) bool { return wsclient.IsAck(m, a) || wsclient.IsErrorFor(m, a) })
	if err != nil {
		return result{SentAt: sent}, err
	}
	if m.T == "error" {
		return result{Code: m.Error().Code, SentAt: sent, At: m.At}, nil
	}
	return result{SentAt: sent, At: m.At}, nil
}

// act sends an ackable message on the current connection and requires an ack.
func (cl *client) act(t string, d any) result {
	cl.t.Helper()
	r, err := cl.actOn(ctxT(cl.t, 10*time.Second), cl.current(), t, d)
	require.NoError(cl.t, err)
	require.Empty(cl.t, r.Code, "%s: %s %v was refused", cl.name, t, d)
	return r
}

// move plays a move on the current connection and requires its ack.
func (cl *client) move(game string, ply int, uci string) result {
	cl.t.Helper()
	r := cl.act("move", map[string]any{"game": game, "u": uci, "ply": ply})
	cl.noteAck(game, ply, uci)
	return r
}

// noteAck records an acknowledged move.
func (cl *client) noteAck(game string, ply int, uci string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.view(game).acked[ply] = uci
}

// watch subscribes the current connection to a game from the last version the client holds
// (0 at first: a full state), as a client does at start and after every reconnect.
func (cl *client) watch(game string) {
	cl.t.Helper()
	cl.mu.Lock()
	v := cl.view(game).lastV
	cl.mu.Unlock()
	cl.act("watch", map[string]any{"game": game, "v": v})
}

// waitV waits until the client holds version v of a game (by events or a full state).
func (cl *client) waitV(game string, v int64, d time.Duration) {
	cl.t.Helper()
	require.NoError(cl.t, cl.waitFor(d, func() bool { return cl.view(game).lastV >= v }),
		"%s never reached v%d of %s (has v%d)", cl.name, v, game, cl.lastV(game))
}

// waitEnded waits until the client knows the game ended.
func (cl *client) waitEnded(game string, d time.Duration) {
	cl.t.Helper()
	require.NoError(cl.t, cl.waitFor(d, func() bool { return cl.view(game).ended }), "%s never saw the end of %s", cl.name, game)
}

// waitFor waits until cond (called with cl.mu held) is true.
func (cl *client) waitFor(d time.Duration, cond func() bool) error {
	deadline := time.After(d)
	for {
		cl.mu.Lock()
		ok, ch := cond(), cl.changed
		cl.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-deadline:
			return fmt.Errorf("timed out after %s", d)
		case <-ch:
		}
	}
}

func (cl *client) lastV(game string) int64 {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.view(game).lastV
}

// snapshot returns a copy of the client's view of a game.
func (cl *client) snapshot(game string) gameView {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	g := *cl.view(game)
	g.events = append([]wsclient.Msg(nil), g.events...)
	g.states = append([]int64(nil), g.states...)
	g.anomalies = append([]string(nil), g.anomalies...)
	seen := make(map[int64]bool, len(g.seen))
	for k, v := range g.seen {
		seen[k] = v
	}
	g.seen = seen
	acked := make(map[int]string, len(g.acked))
	for k, v := range g.acked {
		acked[k] = v
	}
	g.acked = acked
	return g
}

// waitGameStart waits for the gameStart of a game the client has not watched yet on its
// current connection and returns its state.
func (cl *client) waitGameStart(d time.Duration) protocol.GameState {
	cl.t.Helper()
	m, err := cl.current().wait(ctxT(cl.t, d), func(m wsclient.Msg) bool {
		if m.T != "gameStart" {
			return false
		}
		var gs protocol.GameState
		if json.Unmarshal(m.D, &gs) != nil {
			return false
		}
		_, known := cl.games[gs.Game] // wait's predicates run with cl.mu held
		return !known
	})
	require.NoError(cl.t, err)
	var gs protocol.GameState
	require.NoError(cl.t, json.Unmarshal(m.D, &gs))
	return gs
}

// moveUntilAcked sends a move and resends it (each time with a fresh ack id, as a client's
// resend timer does, but every 200 ms instead of 2.5 s) until it is acked, accepting only
// `unavailable` refusals meanwhile. It returns the number of refusals.
func (cl *client) moveUntilAcked(game string, ply int, uci string, d time.Duration) int {
	cl.t.Helper()
	deadline := time.Now().Add(d)
	refused := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := cl.actOn(ctx, cl.current(), "move", map[string]any{"game": game, "u": uci, "ply": ply})
		cancel()
		require.NoError(cl.t, err, "%s: move %d %s", cl.name, ply, uci)
		if r.Code == "" {
			cl.noteAck(game, ply, uci)
			return refused
		}
		require.Equal(cl.t, "unavailable", r.Code, "%s: move %d %s refused", cl.name, ply, uci)
		refused++
		require.True(cl.t, time.Now().Before(deadline), "%s: move %d still refused after %s (%d times)", cl.name, ply, d, refused)
		time.Sleep(200 * time.Millisecond)
	}
}

// event returns the client's versioned event v of a game.
func (cl *client) event(game string, v int64) wsclient.Msg {
	cl.t.Helper()
	for _, m := range cl.snapshot(game).events {
		if m.V == v {
			return m
		}
	}
	cl.t.Fatalf("%s has no event v%d of %s", cl.name, v, game)
	return wsclient.Msg{}
}

// watchedGame is the cast of the fault tests: instances a, b and c; two players paired from a
// and b (colours as the pairing decides); a spectator on c watching the game.
type watchedGame struct {
	c                       *cluster
	insts                   []*instance
	white, black, spectator *client
	game                    string
}

func startWatchedGame(t *testing.T, tc string) watchedGame {
	t.Helper()
	c := newCluster(t)
	insts := c.startAll("a", "b", "c")
	p1, p2 := c.guest("p1", insts[0]), c.guest("p2", insts[1])
	white, black, game := pair(t, p1, p2, tc)
	spectator := c.guest("spectator", insts[2])
	spectator.watch(game)
	return watchedGame{c: c, insts: insts, white: white, black: black, spectator: spectator, game: game}
}

// playOpera plays operaGame's plies 1..n and waits until every client has seen version n.
func (w watchedGame) playOpera(t *testing.T, n int) {
	t.Helper()
	play(t, w.white, w.black, w.game, operaGame, 1, n)
	for _, cl := range []*client{w.white, w.black, w.spectator} {
		cl.waitV(w.game, int64(n), 5*time.Second)
	}
}

// pair seeks tc with both clients (on whatever instances they are connected to), waits for the
// game and returns (white, black, game id), both watching the game from v0.
func pair(t *testing.T, a, b *client, tc string) (*client, *client, string) {
	t.Helper()
	a.act("seek", map[string]any{"tc": tc, "rated": false})
	b.act("seek", map[string]any{"tc": tc, "rated": false})
	gs := a.waitGameStart(15 * time.Second)
	gsB := b.waitGameStart(15 * time.Second)
	require.Equal(t, gs.Game, gsB.Game)
	white, black := a, b
	if gs.White.Name == b.sess.Player.Name {
		white, black = b, a
	}
	require.Equal(t, white.sess.Player.Name, gs.White.Name)
	require.Equal(t, black.sess.Player.Name, gs.Black.Name)
	white.watch(gs.Game)
	black.watch(gs.Game)
	return white, black, gs.Game
}

// challengeGame makes from challenge to (from plays white) and returns the game id, both
// watching it from v0.
func challengeGame(t *testing.T, from, to *client, tc string, rated bool) string {
	t.Helper()
	from.act("challenge", map[string]any{"to": to.sess.Player.Name, "tc": tc, "color": "white", "rated": rated})
	m, err := to.current().wait(ctxT(t, 15*time.Second), func(m wsclient.Msg) bool { return m.T == "challenge" })
	require.NoError(t, err)
	var ch struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(m.D, &ch))
	to.act("acceptChallenge", map[string]any{"id": ch.ID})
	gs := from.waitGameStart(15 * time.Second)
	require.Equal(t, from.sess.Player.Name, gs.White.Name)
	require.Equal(t, gs.Game, to.waitGameStart(15*time.Second).Game)
	from.watch(gs.Game)
	to.watch(gs.Game)
	return gs.Game
}

// getText fetches a URL and returns the body, requiring status 200.
func (c *cluster) getText(u string) string {
	c.t.Helper()
	req, err := http.NewRequestWithContext(ctxT(c.t, 10*time.Second), http.MethodGet, u, nil)
	require.NoError(c.t, err)
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var sb strings.Builder
	_, err = io.Copy(&sb, resp.Body)
	require.NoError(c.t, err)
	require.Equal(c.t, http.StatusOK, resp.StatusCode, sb.String())
	return sb.String()
}
