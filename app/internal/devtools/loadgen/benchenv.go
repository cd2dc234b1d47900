package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"chessplatform/app/internal/devtools/testenv"
)

// benchEnv starts the backends of a bench run against its PostgreSQL and redis-server.
type benchEnv struct {
	bin, dir, dsn, redis, key, level string
	extra                            []string
}

type backendProc struct {
	cmd   *exec.Cmd
	url   string
	pprof string
	done  chan struct{}
}

// start launches n backends on free loopback ports and waits until each is ready.
func (e benchEnv) start(ctx context.Context, n int, name string) ([]*backendProc, error) {
	var out []*backendProc
	for i := range n {
		port, err1 := testenv.FreePort()
		pport, err2 := testenv.FreePort()
		if err := errors.Join(err1, err2); err != nil {
			stopBackends(out)
			return nil, err
		}
		logPath := filepath.Join(e.dir, fmt.Sprintf("backend-%s-%d.log", name, i))
		f, err := os.Create(logPath)
		if err != nil {
			stopBackends(out)
			return nil, err
		}
		cmd := exec.Command(e.bin)
		cmd.Env = append(os.Environ(),
			"DATABASE_URL="+e.dsn, "REDIS_URL="+e.redis, "TOKEN_KEY="+e.key,
			fmt.Sprintf("LISTEN_ADDR=127.0.0.1:%d", port), fmt.Sprintf("PPROF_ADDR=127.0.0.1:%d", pport),
			"LOG_LEVEL="+e.level,
			// Every simulated client connects from 127.0.0.1: lift the per-address cap.
			"MAX_CONNS_PER_ADDR=1000000")
		cmd.Env = append(cmd.Env, e.extra...)
		cmd.Stdout, cmd.Stderr = f, f
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			f.Close()
			stopBackends(out)
			return nil, fmt.Errorf("starting %s: %w", e.bin, err)
		}
		b := &backendProc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), pprof: fmt.Sprintf("http://127.0.0.1:%d", pport),
			done: make(chan struct{})}
		go func() { _ = cmd.Wait(); f.Close(); close(b.done) }()
		out = append(out, b)
		if err := waitReady(ctx, b, 60*time.Second); err != nil {
			stopBackends(out)
			return nil, fmt.Errorf("backend %s-%d (log %s): %w", name, i, logPath, err)
		}
	}
	return out, nil
}

func waitReady(ctx context.Context, b *backendProc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return errors.New("exited during startup")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.url+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("not ready within %s", timeout)
}

// stopBackends stops backends with SIGTERM (graceful drain) and waits for them.
func stopBackends(bs []*backendProc) {
	for _, b := range bs {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGTERM)
	}
	for _, b := range bs {
		select {
		case <-b.done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
			<-b.done
		}
	}
}

// postmasterPID reads the first line of postmaster.pid in the data directory.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// pidOnPort finds the process listening on a loopback TCP port (redis-server, whose pid testenv
// does not expose) through /proc/net/tcp and the processes' socket descriptors; 0 if not found.
func pidOnPort(port int) int {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	var inode string
	hexPort := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && strings.HasSuffix(f[1], hexPort) && f[3] == "0A" { // 0A: LISTEN
			inode = f[9]
			break
		}
	}
	if inode == "" {
		return 0
	}
	target := "socket:[" + inode + "]"
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", e.Name(), "fd"))
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc", e.Name(), "fd", fd.Name())); err == nil && l == target {
				return pid
			}
		}
	}
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
