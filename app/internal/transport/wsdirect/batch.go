package wsdirect

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// coder/websocket flushes its buffered writer at the end of every message, so each frame
// costs one write syscall. The hijacked connection is wrapped in a batchConn: while the drain
// goroutine writes a batch of queued frames it is corked, the library's flushes only append
// to a pooled buffer, and uncork sends the whole batch in one write. Writes the library makes
// on its own (pongs, close frames) pass straight through when it is not corked.

// libWriteBuffer is the size of the bufio.Writer the library writes frames into. Every flush
// lands in batchConn, which does its own buffering while corked, so a small one suffices and
// an idle connection no longer holds net/http's 4 KiB writer.
const libWriteBuffer = 256

// maxPooledBatch bounds the batch buffers kept for reuse, so a rare huge batch is not held.
const maxPooledBatch = 64 << 10

// batchPool lends batch buffers for the time a batch is written; an idle connection holds none.
type batchPool struct{ p sync.Pool }

func (bp *batchPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 4096)
	return &b
}

func (bp *batchPool) put(b *[]byte) {
	if cap(*b) > maxPooledBatch {
		return
	}
	*b = (*b)[:0]
	bp.p.Put(b)
}

// batchConn is the hijacked net.Conn with a cork.
type batchConn struct {
	net.Conn
	pool *batchPool

	mu     sync.Mutex
	corked bool
	buf    *[]byte // borrowed from pool while corked
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.corked {
		*b.buf = append(*b.buf, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

// cork starts collecting writes.
func (b *batchConn) cork() {
	b.mu.Lock()
	b.corked = true
	if b.buf == nil {
		b.buf = b.pool.get()
	}
	b.mu.Unlock()
}

// uncork writes what was collected in one write that must finish by deadline, and returns to
// passing writes through.
func (b *batchConn) uncork(deadline time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.corked = false
	buf := b.buf
	b.buf = nil
	if buf == nil {
		return nil
	}
	defer b.pool.put(buf)
	if len(*buf) == 0 {
		return nil
	}
	if err := b.Conn.SetWriteDeadline(deadline); err != nil {
		return fmt.Errorf("setting the write deadline: %w", err)
	}
	if _, err := b.Conn.Write(*buf); err != nil {
		return fmt.Errorf("writing a batch of %d bytes: %w", len(*buf), err)
	}
	if err := b.Conn.SetWriteDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clearing the write deadline: %w", err)
	}
	return nil
}

// hijacker hands coder/websocket a batchConn instead of the raw connection when it hijacks
// the request, with a small write buffer over it.
type hijacker struct {
	http.ResponseWriter
	pool *batchPool
	conn *batchConn // set by Hijack
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("http.ResponseWriter %T cannot be hijacked", h.ResponseWriter)
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: nc, pool: h.pool}
	return h.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(h.conn, libWriteBuffer)), nil
}
