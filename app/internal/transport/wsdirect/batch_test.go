package wsdirect

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/cputime"
)

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// countingWriter makes the hijacked connection a countingConn.
type countingWriter struct {
	http.ResponseWriter
	writes *atomic.Int64
}

func (w countingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := w.ResponseWriter.(http.Hijacker).Hijack()
	if err != nil {
		return nil, nil, err
	}
	cc := countingConn{Conn: nc, writes: w.writes}
	// As net/http does: a fresh 4 KiB writer over the hijacked connection.
	return cc, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(cc)), nil
}

// pair is a conn on the server side of a real WebSocket and the client's end of it.
type pair struct {
	conn   *conn
	client *websocket.Conn
	writes *atomic.Int64 // writes on the server's socket after the handshake
}

// newPair serves one WebSocket the way Handler.ServeHTTP does; queued frames are sent before
// attach, so they drain as one batch.
func newPair(t testing.TB, batched bool, queued [][]byte) *pair {
	t.Helper()
	p := &pair{writes: new(atomic.Int64)}
	ready := make(chan struct{})
	var pool batchPool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(context.Background())
		p.conn = &conn{cancel: cancel, queueMax: 1 << 20, writeTimeout: 10 * time.Second}
		for _, f := range queued {
			p.conn.Send(f)
		}
		hj := &hijacker{ResponseWriter: countingWriter{w, p.writes}, pool: &pool}
		var rw http.ResponseWriter = hj
		if !batched {
			rw = countingWriter{w, p.writes}
		}
		ws, err := websocket.Accept(rw, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			cancel()
			return
		}
		p.conn.attach(ws, hj.conn)
		close(ready)
		go func() {
			// Read so that close frames are answered; ends when the connection closes.
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					return
				}
			}
		}()
	}))
	t.Cleanup(ts.Close)
	client, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	require.NoError(t, err)
	client.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = client.CloseNow() })
	<-ready
	p.client = client
	return p
}

func (p *pair) read(t testing.TB, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make([]string, 0, n)
	for range n {
		_, b, err := p.client.Read(ctx)
		require.NoError(t, err)
		got = append(got, string(b))
	}
	return got
}

func frames(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		f := fmt.Sprintf(`{"t":"move","v":%d,"pad":"`, i)
		out[i] = []byte(f + strings.Repeat("x", max(size-len(f)-2, 0)) + `"}`)
	}
	return out
}

func TestQueuedFramesLeaveInOneWrite(t *testing.T) {
	fs := frames(5, 300) // each over the library's 256-byte write buffer
	p := newPair(t, true, fs)
	got := p.read(t, len(fs))
	for i, f := range fs {
		assert.Equal(t, string(f), got[i], "frame %d", i)
	}
	assert.Equal(t, int64(1), p.writes.Load(), "five queued frames, one write")

	// A later burst is one write too, and the order holds across batches.
	more := frames(3, 40)
	p.conn.mu.Lock() // queue all three before the drain goroutine can start
	p.conn.queue = append(p.conn.queue, more...)
	p.conn.writing = true
	p.conn.mu.Unlock()
	go p.conn.drain()
	got = p.read(t, len(more))
	for i, f := range more {
		assert.Equal(t, string(f), got[i])
	}
	assert.Equal(t, int64(2), p.writes.Load())
}

func TestUnbatchedWritesOnePerFrame(t *testing.T) {
	// The control for the test above: without the batchConn each frame is its own write.
	fs := frames(5, 300)
	p := newPair(t, false, fs)
	p.read(t, len(fs))
	assert.Equal(t, int64(5), p.writes.Load())
}

func TestBatchConnPassesThroughWhenNotCorked(t *testing.T) {
	// Pongs and close frames the library writes on its own must not wait for a batch.
	p := newPair(t, true, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { _, _, _ = p.client.Read(ctx) }() // the client must read for its ping to see the pong
	require.NoError(t, p.client.Ping(ctx))
	assert.Equal(t, int64(1), p.writes.Load(), "the pong")

	p.conn.CloseCode(int(websocket.StatusGoingAway), "bye")
	require.Eventually(t, func() bool { return p.writes.Load() == 2 }, 5*time.Second, 10*time.Millisecond, "the close frame")
}

// BenchmarkWriteBurst sends bursts of frames the size of move events through a real
// connection and reads them on the client, batched against one write per frame.
func BenchmarkWriteBurst(b *testing.B) {
	for _, burst := range []int{1, 4, 16} {
		for _, batched := range []bool{false, true} {
			name := fmt.Sprintf("burst=%d/batched=%v", burst, batched)
			b.Run(name, func(b *testing.B) {
				p := newPair(b, batched, nil)
				fs := frames(burst, 220)
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cputime.Now()
				for range b.N {
					for _, f := range fs {
						p.conn.Send(f)
					}
					p.read(b, burst)
				}
				b.StopTimer()
				cputime.Report(b, cpu, b.N)
				b.ReportMetric(float64(p.writes.Load())/float64(b.N*burst), "writes/frame")
			})
		}
	}
}
