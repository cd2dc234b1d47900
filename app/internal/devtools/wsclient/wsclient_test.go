package wsclient

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers /ws with a WebSocket that sends every frame back, after sending greet.
func echoServer(t testing.TB, greet ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" || r.URL.Query().Get("token") != "tok en" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		for _, g := range greet {
			if ws.Write(ctx, websocket.MessageText, []byte(g)) != nil {
				return
			}
		}
		for {
			typ, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			if ws.Write(ctx, typ, b) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestConnDialsThroughTheGivenHTTPClientAndEchoes(t *testing.T) {
	srv := echoServer(t)
	var dials atomic.Int32
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}}
	ctx := ctxT(t)
	c, err := DialConn(ctx, srv.URL, "tok en", DialOptions{HTTPClient: hc})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, int32(1), dials.Load(), "the handshake went through the given client")
	require.NoError(t, c.Write(ctx, []byte(`{"t":"ping"}`)))
	b, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, `{"t":"ping"}`, string(b))
}

func TestDialNamesTheHTTPStatusOfARefusal(t *testing.T) {
	srv := echoServer(t)
	_, err := DialConn(ctxT(t), srv.URL, "wrong", DialOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 401")
	_, err = Dial(ctxT(t), srv.URL, "wrong")
	assert.ErrorContains(t, err, "HTTP 401")
}

func TestClientWaitTakesTheMatchAndKeepsTheRestInOrder(t *testing.T) {
	srv := echoServer(t, `{"t":"a","v":1}`, `{"t":"b","v":2}`, `{"t":"c","v":3}`)
	ctx := ctxT(t)
	c, err := Dial(ctx, srv.URL, "tok en")
	require.NoError(t, err)
	defer c.Close()
	m, err := c.WaitType(ctx, "b")
	require.NoError(t, err)
	assert.Equal(t, int64(2), m.V)
	a, err := c.SendAck(ctx, "ping", nil)
	require.NoError(t, err)
	// The echo of {"t":"ping","a":1} is not an ack; wait for it by its raw text.
	_, err = c.Wait(ctx, func(m Msg) bool { return m.T == "ping" })
	require.NoError(t, err)
	assert.Equal(t, int64(1), a)
	var types []string
	for _, m := range c.Drain() {
		types = append(types, m.T)
	}
	assert.Equal(t, []string{"a", "c"}, types)
}

func TestWaitClosedReportsTheCloseCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_ = ws.Close(4001, "token expired")
	}))
	t.Cleanup(srv.Close)
	ctx := ctxT(t)
	c, err := Dial(ctx, srv.URL, "x")
	require.NoError(t, err)
	code, err := c.WaitClosed(ctx)
	require.NoError(t, err)
	assert.Equal(t, websocket.StatusCode(4001), code)
}

// BenchmarkRoundTrip is the load generator's hot path (write a frame, read the answer) through
// Conn and through the websocket library directly: Conn must cost nothing on top.
func BenchmarkRoundTrip(b *testing.B) {
	srv := echoServer(b)
	frame := []byte(`{"t":"move","d":{"game":"g_0123456789","u":"e2e4","ply":1},"a":1}`)
	ctx := context.Background()
	b.Run("Conn", func(b *testing.B) {
		c, err := DialConn(ctx, srv.URL, "tok en", DialOptions{})
		require.NoError(b, err)
		defer c.CloseNow()
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Write(ctx, frame); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("websocket", func(b *testing.B) {
		ws, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):]+"/ws?token=tok+en",
			&websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
		require.NoError(b, err)
		defer ws.CloseNow()
		b.ReportAllocs()
		for b.Loop() {
			if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
				b.Fatal(err)
			}
			if _, _, err := ws.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
