package backend_test

import (
	"context"
	"net"
	"syscall"
)

// smallBufferDialer dials TCP with SO_RCVBUF set, so a client that stops reading fills the
// path quickly and the server's per-connection send queue overflows.
func smallBufferDialer(size int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, size)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return d.DialContext
}

// sndBufListener sets SO_SNDBUF on every accepted TCP connection.
type sndBufListener struct {
	net.Listener
	size int
}

func (l *sndBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetWriteBuffer(l.size); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}
