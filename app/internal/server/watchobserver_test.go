package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store/memstore"
)

// observingConn is a Conn that observes its session's watches; it logs the hook's calls and
// the frames sent, in one sequence, so a test sees which came first.
type observingConn struct {
	mu  sync.Mutex
	log []string
}

func (c *observingConn) Send(frame []byte) bool {
	var f struct {
		T string          `json:"t"`
		D json.RawMessage `json:"d"`
	}
	_ = json.Unmarshal(frame, &f)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch f.T {
	case protocol.TAck:
		c.log = append(c.log, "ack "+string(f.D))
	case protocol.TError:
		var e struct {
			Code string `json:"code"`
			Ref  int64  `json:"ref"`
		}
		_ = json.Unmarshal(f.D, &e)
		c.log = append(c.log, fmt.Sprintf("error %s %d", e.Code, e.Ref))
	}
	return true
}

func (c *observingConn) Close(string) {}

func (c *observingConn) WatchesChanged(games []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, "watches ["+strings.Join(games, " ")+"]")
}

func (c *observingConn) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.log
	c.log = nil
	return out
}

// TestWatchObserverHearsEveryChangeBeforeTheAck: a conn that implements WatchObserver gets the
// session's watched games, oldest first, each time a watch or unwatch changes them, before
// the client's ack; a repeated watch, a refused watch and an unwatch of a game not watched
// call nothing, and neither does a closed session.
func TestWatchObserverHearsEveryChangeBeforeTheAck(t *testing.T) {
	ctx := context.Background()
	durable := memstore.NewDurable()
	live := memstore.NewLive(func() int64 { return time.Now().UnixMilli() })
	s, err := New(ctx, durable, live, slog.New(slog.NewJSONHandler(io.Discard, nil)), Config{})
	require.NoError(t, err)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		assert.NoError(t, s.Shutdown(sctx, "test over"))
	})
	tc, err := protocol.ParseTimeControl("5+0")
	require.NoError(t, err)
	// Named so that the order of watching differs from the order of names.
	for _, id := range []string{"g_bbbb01", "g_aaaa01", "g_cccc01"} {
		st := game.New(id, game.PlayerRef{ID: "p_w"}, game.PlayerRef{ID: "p_b"}, tc, false, time.Now().UnixMilli())
		require.NoError(t, durable.CreateGame(ctx, st))
		require.NoError(t, live.PutGame(ctx, st, nil))
	}
	conn := &observingConn{}
	sess, err := s.Open(ctx, authn.Claims{PlayerID: "p_x", Name: "x", ExpiresAt: time.Now().Add(time.Hour)}, conn, Client{})
	require.NoError(t, err)

	steps := []struct {
		frame string
		want  []string
	}{
		{`{"t":"watch","d":{"game":"g_bbbb01","v":0},"a":1}`, []string{"watches [g_bbbb01]", "ack 1"}},
		{`{"t":"watch","d":{"game":"g_aaaa01","v":0},"a":2}`, []string{"watches [g_bbbb01 g_aaaa01]", "ack 2"}},
		{`{"t":"watch","d":{"game":"g_bbbb01","v":0},"a":3}`, []string{"ack 3"}},
		{`{"t":"watch","d":{"game":"g_nosuch1","v":0},"a":4}`, []string{"error not_found 4"}},
		{`{"t":"unwatch","d":{"game":"g_cccc01"},"a":5}`, []string{"ack 5"}},
		{`{"t":"unwatch","d":{"game":"g_bbbb01"},"a":6}`, []string{"watches [g_aaaa01]", "ack 6"}},
		{`{"t":"watch","d":{"game":"g_cccc01","v":0},"a":7}`, []string{"watches [g_aaaa01 g_cccc01]", "ack 7"}},
		{`{"t":"watch","d":{"game":"g_bbbb01","v":0},"a":8}`, []string{"watches [g_aaaa01 g_cccc01 g_bbbb01]", "ack 8"}},
	}
	for _, st := range steps {
		s.Handle(ctx, sess, []byte(st.frame))
		assert.Equal(t, st.want, conn.take(), st.frame)
	}

	s.Close(ctx, sess)
	s.watchesChanged(sess)
	assert.Empty(t, conn.take(), "a closed session is not reported")
}
