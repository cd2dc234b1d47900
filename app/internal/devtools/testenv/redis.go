package testenv

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Redis is a private redis-server. Persistence is off, so a restart loses everything, as an
// ElastiCache node replacement without a replica would.
type Redis struct {
	Port int
	Addr string // 127.0.0.1:port
	URL  string // redis://127.0.0.1:port/0

	dir string
	bin string
	p   proc
}

// StartRedis starts redis-server on a free port.
func StartRedis(ctx context.Context, dir string) (*Redis, error) {
	bin, err := lookPath("redis-server", "/usr/bin", "/usr/local/bin")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	r := &Redis{Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port), dir: dir, bin: bin}
	return r, r.Start(ctx)
}

// Start (re)starts the server with an empty dataset and waits until it accepts connections.
func (r *Redis) Start(ctx context.Context) error {
	args := []string{"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--maxmemory-policy", "noeviction"}
	logPath := filepath.Join(r.dir, "redis.log")
	if err := r.p.start(r.bin, args, logPath, nil, nil); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := waitTCP(ctx, r.Addr); err != nil {
		return fmt.Errorf("redis did not start: %w\n%s", err, tail(logPath, 20))
	}
	return nil
}

// Stop shuts the server down (SIGTERM).
func (r *Redis) Stop() { r.p.signal(syscall.SIGTERM, 10*time.Second) }

// Kill stops the server abruptly.
func (r *Redis) Kill() { r.p.signal(syscall.SIGKILL, 5*time.Second) }
