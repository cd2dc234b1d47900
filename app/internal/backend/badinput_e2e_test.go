package backend_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/server"
)

// TestBadInput sends malformed or forbidden messages and checks, for each: the documented error
// code, the game unchanged, and the connection still usable.
func TestBadInput(t *testing.T) {
	// The table sends fast from one connection; rate limiting has its own test.
	e := newEnv(t, func(o *backendOptions) {
		o.Server.RateLimit = server.RateLimit{Rate: 1000, Burst: 1000, MaxViolations: 10, ViolationWindow: time.Second}
	})
	w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
	spectator := e.guest()
	e.watch(spectator, g, 0)
	e.play(w, b, g, 1, "e2e4", "e7e5")
	// A finished game for "after the end" cases.
	w2, b2, ended := e.pair(e.guest(), e.guest(), "5+0", false)
	require.Empty(t, e.act(w2, "resign", map[string]any{"game": ended}))
	// A game w and b do not play.
	_, _, other := e.pair(e.guest(), e.guest(), "5+0", false)

	type tc struct {
		name  string
		who   *player
		frame string
		code  string
	}
	m := func(u string, ply int) string {
		return `{"t":"move","d":{"game":"` + g + `","u":"` + u + `","ply":` + itoa(ply) + `},"a":900}`
	}
	cases := []tc{
		{"invalid JSON", w, `{"t":`, "bad_request"},
		{"not an object", w, `[1,2,3]`, "bad_request"},
		{"JSON string", w, `"move"`, "bad_request"},
		{"empty object", w, `{}`, "bad_request"},
		{"type not a string", w, `{"t":42}`, "bad_request"},
		{"unknown type", w, `{"t":"teleport","a":901}`, "unknown_type"},
		{"payload missing", w, `{"t":"move","a":902}`, "bad_request"},
		{"payload not an object", w, `{"t":"move","d":"e2e4"}`, "bad_request"},
		{"ack id zero", w, `{"t":"ping","a":0}`, "bad_request"},
		{"ack id fractional", w, `{"t":"ping","a":2.5}`, "bad_request"},
		{"ack id string", w, `{"t":"ping","a":"7"}`, "bad_request"},
		{"game id wrong type", w, `{"t":"move","d":{"game":7,"u":"g1f3","ply":3}}`, "bad_request"},
		{"game id malformed", w, `{"t":"move","d":{"game":"../etc","u":"g1f3","ply":3}}`, "bad_request"},
		{"uci wrong type", w, `{"t":"move","d":{"game":"` + g + `","u":["g1f3"],"ply":3}}`, "bad_request"},
		{"uci b1q1 wraps files", w, m("b1q1", 3), "bad_request"},
		{"uci off the board", w, m("e2e9", 3), "bad_request"},
		{"uci promotes to a king", w, m("e7e8k", 3), "bad_request"},
		{"uci uppercase", w, m("G1F3", 3), "bad_request"},
		{"ply wrong type", w, `{"t":"move","d":{"game":"` + g + `","u":"g1f3","ply":"3"}}`, "bad_request"},
		{"ply zero", w, m("g1f3", 0), "bad_request"},
		{"ply skips ahead", w, m("g1f3", 5), "bad_request"},
		{"lag negative", w, `{"t":"move","d":{"game":"` + g + `","u":"g1f3","ply":3,"l":-1}}`, "bad_request"},
		{"illegal move", w, m("e4e5", 3), "illegal_move"},
		{"move out of turn", b, m("g8f6", 3), "not_your_turn"},
		{"opponent's ply replayed", b, m("e2e4", 1), "bad_request"},
		{"move in another's game", w, `{"t":"move","d":{"game":"` + other + `","u":"e2e4","ply":1},"a":903}`, "not_your_game"},
		{"spectator moves", spectator, m("g1f3", 3), "not_your_game"},
		{"spectator resigns", spectator, `{"t":"resign","d":{"game":"` + g + `"}}`, "not_your_game"},
		{"spectator offers a draw", spectator, `{"t":"drawOffer","d":{"game":"` + g + `"}}`, "not_your_game"},
		{"unknown game", w, `{"t":"move","d":{"game":"g_nosuchgame","u":"g1f3","ply":3}}`, "not_found"},
		{"watch unknown game", w, `{"t":"watch","d":{"game":"g_nosuchgame","v":0}}`, "not_found"},
		{"move after the end", w2, `{"t":"move","d":{"game":"` + ended + `","u":"e2e4","ply":1}}`, "game_over"},
		{"resign after the end", b2, `{"t":"resign","d":{"game":"` + ended + `"}}`, "game_over"},
		{"draw claim without repetition", b, `{"t":"drawClaim","d":{"game":"` + g + `"}}`, "no_claim"},
		{"accept a draw nobody offered", b, `{"t":"drawAccept","d":{"game":"` + g + `"}}`, "bad_request"},
		{"accept an unknown challenge", w, `{"t":"acceptChallenge","d":{"id":"c_nosuchchallenge"}}`, "not_found"},
		{"challenge an unknown player", w, `{"t":"challenge","d":{"to":"nobody_here","tc":"5+0"}}`, "not_found"},
		{"guest seeks rated", w, `{"t":"seek","d":{"tc":"5+0","rated":true}}`, "bad_request"},
		{"seek without time", w, `{"t":"seek","d":{"tc":"0+0"}}`, "bad_request"},
		{"oversized frame", w, `{"t":"ping","d":{"x":"` + strings.Repeat("a", 5000) + `"}}`, "bad_request"},
	}
	var counted int
	for _, tt := range cases {
		counted++
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			before := e.state(g)
			require.NoError(t, tt.who.c.SendRaw(ctx, []byte(tt.frame)))
			msg, err := tt.who.c.WaitType(ctx, "error")
			require.NoError(t, err)
			assert.Equal(t, tt.code, msg.Error().Code, msg.Error().Msg)
			assert.NotEmpty(t, msg.Error().Msg)
			after := e.state(g)
			assert.Equal(t, before.V, after.V, "game version changed")
			assert.Equal(t, before.Moves, after.Moves, "moves changed")
			// The connection is still usable.
			require.NoError(t, tt.who.c.Send(ctx, "ping", nil))
			_, err = tt.who.c.WaitType(ctx, "pong")
			require.NoError(t, err)
		})
	}
	assert.GreaterOrEqual(t, counted, 30)

	t.Run("replayed ack id is acked again without applying twice", func(t *testing.T) {
		ctx := ctxT(t)
		move := map[string]any{"game": g, "u": "g1f3", "ply": 3}
		require.NoError(t, w.c.SendWithAck(ctx, "move", move, 5000))
		require.NoError(t, w.c.WaitAck(ctx, 5000))
		v := e.state(g).V
		require.NoError(t, w.c.SendWithAck(ctx, "move", move, 5000))
		require.NoError(t, w.c.WaitAck(ctx, 5000))
		assert.Equal(t, v, e.state(g).V)
		assert.Len(t, e.state(g).Moves, 3)
		// Same for a non-move action with an ack id: a resent draw offer.
		require.NoError(t, b.c.SendWithAck(ctx, "drawOffer", map[string]any{"game": g}, 6000))
		require.NoError(t, b.c.WaitAck(ctx, 6000))
		v = e.state(g).V
		require.NoError(t, b.c.SendWithAck(ctx, "drawOffer", map[string]any{"game": g}, 6000))
		require.NoError(t, b.c.WaitAck(ctx, 6000))
		assert.Equal(t, v, e.state(g).V)
	})

	t.Run("bad token is refused before the upgrade", func(t *testing.T) {
		for _, token := range []string{"", "garbage", w.sess.Token + "x", strings.Replace(w.sess.Token, ".", ".A", 1)} {
			_, err := wsclient.Dial(ctxT(t), e.url, token)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "HTTP 401")
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestFloodIsRateLimitedThenClosed(t *testing.T) {
	e := newEnv(t, func(o *backendOptions) {
		o.Server.RateLimit = server.RateLimit{Rate: 5, Burst: 10, MaxViolations: 5, ViolationWindow: 10 * time.Second}
	})
	p := e.guest()
	ctx := ctxT(t)
	for i := 0; i < 40; i++ {
		if err := p.c.Send(ctx, "ping", nil); err != nil {
			break // the server closed the connection
		}
	}
	m, err := p.c.WaitType(ctx, "error")
	require.NoError(t, err)
	assert.Equal(t, "rate_limited", m.Error().Code)
	status, err := p.c.WaitClosed(ctx)
	require.NoError(t, err)
	assert.Equal(t, websocket.StatusGoingAway, status)
	assert.Eventually(t, func() bool { return e.be.Server.Sessions() == 0 }, 5*time.Second, 10*time.Millisecond)
}

func TestSlowConsumerIsDroppedWithoutBlockingOthers(t *testing.T) {
	e := newEnvSndBuf(t, 4096, func(o *backendOptions) {
		o.Server.RateLimit = server.RateLimit{Rate: 1e6, Burst: 1e6, MaxViolations: 1, ViolationWindow: time.Second}
		o.WS.SendQueue = 8
	})
	w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
	// The stalled client uses a raw connection with a tiny receive buffer and never reads.
	stalled := dialStalled(t, e)
	defer stalled.CloseNow()
	// The handshake completes before the server registers the session; without this wait the
	// loop below could see 2 sessions and never send anything.
	require.Eventually(t, func() bool { return e.be.Server.Sessions() == 3 }, 10*time.Second, 5*time.Millisecond)
	ctx := ctxT(t)
	// Each watch with v=0 makes the server send the full game state (~500 bytes).
	watch := []byte(`{"t":"watch","d":{"game":"` + g + `","v":0}}`)
	deadline := time.Now().Add(25 * time.Second)
	for e.be.Server.Sessions() > 2 && time.Now().Before(deadline) {
		if err := stalled.Write(ctx, websocket.MessageText, watch); err != nil {
			break
		}
	}
	// Meanwhile the game goes on for the others.
	e.play(w, b, g, 1, "e2e4", "e7e5")
	assert.Eventually(t, func() bool { return e.be.Server.Sessions() == 2 }, 30*time.Second, 20*time.Millisecond,
		"the stalled connection was not dropped")
	e.play(w, b, g, 3, "g1f3")
}

// dialStalled connects with a 4 KiB receive buffer and never reads.
func dialStalled(t *testing.T, e *env) *websocket.Conn {
	t.Helper()
	s, err := wsclient.Guest(ctxT(t), e.hc, e.url)
	require.NoError(t, err)
	hc := &http.Client{Transport: &http.Transport{DialContext: smallBufferDialer(4096)}}
	u := strings.Replace(e.url, "http", "ws", 1) + "/ws?token=" + s.Token
	c, _, err := websocket.Dial(ctxT(t), u, &websocket.DialOptions{HTTPClient: hc})
	require.NoError(t, err)
	return c
}
