package redisstore

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"chessplatform/app/internal/devtools/testenv"
)

// redisServer is a private redis-server (no persistence: a restart loses everything).
//
// testenv.Redis would do, but its Stop reads exec.Cmd.ProcessState while its own Wait
// goroutine writes it, which the race detector reports as a failure of whichever test stops
// a server; this helper waits through one channel instead.
type redisServer struct {
	Addr string
	port int
	dir  string
	args []string // besides port, dir and persistence

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// newRedisServer starts redis-server on a free port. With tlsPort set, extra must configure
// TLS, and the plain port is off.
func newRedisServer(dir string, tls bool, extra ...string) (*redisServer, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	r := &redisServer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), port: port, dir: dir}
	if tls {
		r.args = append([]string{"--port", "0", "--tls-port", strconv.Itoa(port)}, extra...)
	} else {
		r.args = append([]string{"--port", strconv.Itoa(port)}, extra...)
	}
	return r, r.Start()
}

// redisServerT starts a server for one test and stops it at cleanup.
func redisServerT(t testing.TB, tls bool, extra ...string) *redisServer {
	t.Helper()
	r, err := newRedisServer(t.TempDir(), tls, extra...)
	if err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

// Start (re)starts the server and waits until it accepts connections.
func (r *redisServer) Start() error {
	args := append([]string{"--bind", "127.0.0.1", "--dir", r.dir, "--save", "", "--appendonly", "no",
		"--maxmemory-policy", "noeviction"}, r.args...)
	logf, err := os.OpenFile(filepath.Join(r.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command("redis-server", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", r.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			return fmt.Errorf("redis-server exited:\n%s", b)
		case <-time.After(20 * time.Millisecond):
		}
	}
	r.Stop()
	return fmt.Errorf("redis-server did not listen on %s", r.Addr)
}

// Stop shuts the server down (SIGTERM, SIGKILL after 10 s) and waits for it to exit.
func (r *redisServer) Stop() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}
