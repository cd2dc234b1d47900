package server

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/store/redisstore"
)

// frameConn records every frame a session is sent.
type frameConn struct {
	mu     sync.Mutex
	frames []map[string]json.RawMessage
}

func (c *frameConn) Send(frame []byte) bool {
	var f map[string]json.RawMessage
	if json.Unmarshal(frame, &f) == nil {
		c.mu.Lock()
		c.frames = append(c.frames, f)
		c.mu.Unlock()
	}
	return true
}

func (c *frameConn) Close(string) {}

// last returns the payload of the last frame of type t, or nil.
func (c *frameConn) last(t string) json.RawMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.frames) - 1; i >= 0; i-- {
		if string(c.frames[i]["t"]) == `"`+t+`"` {
			return c.frames[i]["d"]
		}
	}
	return nil
}

// errorFor returns the error frame that answers ack id a, or nil.
func (c *frameConn) errorFor(a int64) *protocol.ErrorPayload {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.frames {
		if string(f["t"]) != `"error"` {
			continue
		}
		var e protocol.ErrorPayload
		if json.Unmarshal(f["d"], &e) == nil && e.Ref != nil && *e.Ref == a {
			return &e
		}
	}
	return nil
}

func (c *frameConn) acked(a int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.frames {
		if string(f["t"]) == `"ack"` && string(f["d"]) == jsonInt(a) {
			return true
		}
	}
	return false
}

func jsonInt(a int64) string { b, _ := json.Marshal(a); return string(b) }

// twoInstances starts two servers on one PostgreSQL and one redis-server, each with its own
// Redis store (its own instance id), as two tasks of a deployment are.
func presenceInstances(t *testing.T, cfg Config) (a, b *Server, rs *realStores) {
	t.Helper()
	rs = startRealStores(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lb, err := redisstore.Open(ctx, redisstore.Config{Addr: rs.redis.Addr, Logger: quietLog(), InstanceID: "instance-b"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = lb.Close() })
	return startServer(t, rs.durable, rs.live, cfg), startServer(t, rs.durable, lb, cfg), rs
}

func claims(id, name string) authn.Claims {
	return authn.Claims{PlayerID: id, Name: name, ExpiresAt: time.Now().Add(time.Hour)}
}

func open(t *testing.T, s *Server, c authn.Claims) (*Session, *frameConn) {
	t.Helper()
	conn := &frameConn{}
	sess, err := s.Open(context.Background(), c, conn, Client{})
	require.NoError(t, err)
	return sess, conn
}

func send(s *Server, sess *Session, frame string) {
	s.Handle(context.Background(), sess, []byte(frame))
}

// TestSpectatorCountAcrossInstances: connections that watch a game without playing it are
// counted over both instances, players are not, and the count reaches the watchers of either
// instance as it goes up and down.
func TestSpectatorCountAcrossInstances(t *testing.T) {
	a, b, rs := presenceInstances(t, Config{SpectatorInterval: 100 * time.Millisecond})
	ctx := context.Background()
	white := newStorePlayer(t, rs.durable, "specwhite", false)
	black := newStorePlayer(t, rs.durable, "specblack", false)
	tc, _ := protocol.ParseTimeControl("5+0")
	st, err := a.StartGame(ctx, white.ID, black.ID, tc, false, "")
	require.NoError(t, err)
	watch := `{"t":"watch","d":{"game":"` + st.ID + `","v":0},"a":1}`

	ws, wconn := open(t, a, claims(white.ID, white.Name))
	send(a, ws, watch)
	bs, bconn := open(t, b, claims(black.ID, black.Name))
	send(b, bs, watch)
	count := func(c *frameConn) int {
		var p protocol.SpectatorsPayload
		if d := c.last(protocol.TSpectators); d != nil && json.Unmarshal(d, &p) == nil && p.Game == st.ID {
			return p.N
		}
		return -1
	}
	require.Eventually(t, func() bool { return count(wconn) == 0 && count(bconn) == 0 }, 5*time.Second, 20*time.Millisecond,
		"players watching are told the count and are not counted")

	x, _ := open(t, a, claims("p_specx", "specx"))
	send(a, x, watch)
	send(a, x, watch) // watching again does not count twice
	y, yconn := open(t, b, claims("p_specy", "specy"))
	send(b, y, watch)
	require.Eventually(t, func() bool { return count(wconn) == 2 && count(bconn) == 2 && count(yconn) == 2 }, 5*time.Second, 20*time.Millisecond,
		"one spectator on each instance: 2 everywhere")

	b.Close(ctx, y) // the connection on B closes
	require.Eventually(t, func() bool { return count(wconn) == 1 && count(bconn) == 1 }, 5*time.Second, 20*time.Millisecond)
	send(a, x, `{"t":"unwatch","d":{"game":"`+st.ID+`"}}`)
	require.Eventually(t, func() bool { return count(wconn) == 0 && count(bconn) == 0 }, 5*time.Second, 20*time.Millisecond)
}

// TestClaimAbandonedAcrossInstances: the player on instance A may claim only once the
// opponent's last connection (on instance B) has been closed for the abandon timeout, by the
// time recorded in Redis; earlier, or after the opponent came back, the claim is refused and
// changes nothing; then the game ends as abandoned.
func TestClaimAbandonedAcrossInstances(t *testing.T) {
	clock := &testClock{}
	clock.ms.Store(time.Now().UnixMilli())
	const timeout = 10 * time.Second
	a, b, rs := presenceInstances(t, Config{AbandonTimeout: timeout, Now: clock.Now})
	ctx := context.Background()
	white := newStorePlayer(t, rs.durable, "claimwhite", false)
	black := newStorePlayer(t, rs.durable, "claimblack", false)
	tc, _ := protocol.ParseTimeControl("5+0")
	st, err := a.StartGame(ctx, white.ID, black.ID, tc, false, "")
	require.NoError(t, err)
	g := st.ID
	ws, wconn := open(t, a, claims(white.ID, white.Name))
	send(a, ws, `{"t":"watch","d":{"game":"`+g+`","v":0},"a":1}`)
	bs, _ := open(t, b, claims(black.ID, black.Name))
	send(a, ws, `{"t":"move","d":{"game":"`+g+`","u":"e2e4","ply":1},"a":2}`)
	send(b, bs, `{"t":"move","d":{"game":"`+g+`","u":"e7e5","ply":2},"a":2}`)
	require.True(t, wconn.acked(2))

	claim := func(a int64, result string) string {
		return `{"t":"claimAbandoned","d":{"game":"` + g + `","result":"` + result + `"},"a":` + jsonInt(a) + `}`
	}
	send(a, ws, claim(10, "win"))
	e := wconn.errorFor(10)
	require.NotNil(t, e, "a claim while the opponent is connected is refused")
	assert.Equal(t, protocol.CodeBadRequest, e.Code)
	assert.Contains(t, e.Msg, "connected")

	b.Close(ctx, bs) // black's last connection closes, on the other instance
	require.Eventually(t, func() bool { return wconn.last(protocol.TOpponentGone) != nil }, 5*time.Second, 10*time.Millisecond)
	var gone protocol.OpponentGonePayload
	require.NoError(t, json.Unmarshal(wconn.last(protocol.TOpponentGone), &gone))
	assert.Equal(t, protocol.OpponentGonePayload{Game: g, ClaimIn: timeout.Milliseconds()}, gone)

	clock.Advance(timeout - time.Second)
	send(a, ws, claim(11, "win"))
	e = wconn.errorFor(11)
	require.NotNil(t, e, "a claim before the timeout is refused")
	assert.Equal(t, protocol.CodeBadRequest, e.Code)
	assert.True(t, strings.Contains(e.Msg, "you can claim in 1.0 s"), e.Msg)
	cur, err := rs.durable.LoadGame(ctx, g)
	require.NoError(t, err)
	assert.Equal(t, "started", cur.Status, "a refused claim changes nothing")
	assert.Equal(t, int64(2), cur.V)

	// Black comes back (on B) and leaves again: the time starts over.
	bs, _ = open(t, b, claims(black.ID, black.Name))
	clock.Advance(2 * time.Second)
	send(a, ws, claim(12, "win"))
	require.NotNil(t, wconn.errorFor(12), "refused once the opponent is back")
	b.Close(ctx, bs)
	clock.Advance(timeout - time.Second)
	send(a, ws, claim(13, "draw"))
	require.NotNil(t, wconn.errorFor(13), "the time counts from the last departure")

	// A player who reloads the page hears how long is left.
	ws2, w2conn := open(t, a, claims(white.ID, white.Name))
	send(a, ws2, `{"t":"watch","d":{"game":"`+g+`","v":0},"a":1}`)
	require.NoError(t, json.Unmarshal(w2conn.last(protocol.TOpponentGone), &gone))
	assert.Equal(t, int64(1000), gone.ClaimIn)

	clock.Advance(time.Second)
	send(a, ws, claim(14, "win"))
	require.Nil(t, wconn.errorFor(14))
	require.True(t, wconn.acked(14), "the claim after the timeout is acked")
	var end protocol.EndPayload
	require.Eventually(t, func() bool { return wconn.last(protocol.TEnd) != nil }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, json.Unmarshal(wconn.last(protocol.TEnd), &end))
	assert.Equal(t, protocol.EndPayload{Game: g, Result: "1-0", Reason: "abandoned"}, end)
	send(a, ws, claim(14, "win"))
	assert.Nil(t, wconn.errorFor(14), "a resent claim is acked again")
	send(a, ws, claim(15, "win"))
	require.NotNil(t, wconn.errorFor(15))
	assert.Equal(t, protocol.CodeGameOver, wconn.errorFor(15).Code)
}

// TestGoneTimeStartsOverAfterAReturn: a player who comes back and leaves again is gone from the
// second departure, even when nothing asked in between (Connected forgets the first time), in
// Redis and in memory.
func TestGoneTimeStartsOverAfterAReturn(t *testing.T) {
	rs := startRealStores(t)
	for name, live := range map[string]interface {
		Connected(context.Context, string) (bool, error)
		Disconnected(context.Context, string) (bool, error)
		GoneSince(context.Context, string, int64) (int64, error)
	}{"redis": rs.live, "memory": memLive()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			_, err := live.Connected(ctx, "p_goner")
			require.NoError(t, err)
			since, err := live.GoneSince(ctx, "p_goner", 1000)
			require.NoError(t, err)
			assert.Zero(t, since, "connected: not gone")
			_, err = live.Disconnected(ctx, "p_goner")
			require.NoError(t, err)
			since, err = live.GoneSince(ctx, "p_goner", 2000)
			require.NoError(t, err)
			assert.Equal(t, int64(2000), since)
			since, err = live.GoneSince(ctx, "p_goner", 9000)
			require.NoError(t, err)
			assert.Equal(t, int64(2000), since, "the recorded time stays")
			_, err = live.Connected(ctx, "p_goner")
			require.NoError(t, err)
			_, err = live.Disconnected(ctx, "p_goner")
			require.NoError(t, err)
			since, err = live.GoneSince(ctx, "p_goner", 20000)
			require.NoError(t, err)
			assert.Equal(t, int64(20000), since, "gone from the second departure")
		})
	}
}

func memLive() *memstore.Live {
	return memstore.NewLive(func() int64 { return time.Now().UnixMilli() })
}
