// Command devrun runs the whole platform locally for `make dev`: a private PostgreSQL and
// redis-server when their binaries exist (otherwise the backend's single-instance mode), the
// chess backend, the health-check utility writing reports, and the Next.js frontend. It prints
// the URL to open and stops everything cleanly on Ctrl-C.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"chessplatform/app/internal/testenv"
)

type options struct {
	root        string
	backendPort int
	webPort     int
	memory      bool
	webMode     string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devrun:", err)
		os.Exit(1)
	}
}

func parse() (options, error) {
	var o options
	fs := flag.NewFlagSet("devrun", flag.ContinueOnError)
	fs.StringVar(&o.root, "root", ".", "repository root")
	fs.IntVar(&o.backendPort, "backend-port", 8080, "backend port on 127.0.0.1")
	fs.IntVar(&o.webPort, "web-port", 3000, "web port on 127.0.0.1")
	fs.BoolVar(&o.memory, "memory", false, "single-instance mode: no PostgreSQL/Redis even if installed")
	fs.StringVar(&o.webMode, "web", "dev", "web server: dev (next dev, hot reload) or prod (next build + standalone server)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for name, p := range map[string]int{"-backend-port": o.backendPort, "-web-port": o.webPort} {
		if p < 1 || p > 65535 {
			return o, fmt.Errorf("%s %d: must be a TCP port (1-65535)", name, p)
		}
	}
	if o.webMode != "dev" && o.webMode != "prod" {
		return o, fmt.Errorf("-web %q: must be dev or prod", o.webMode)
	}
	return o, nil
}

func run() error {
	o, err := parse()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	root, err := filepath.Abs(o.root)
	if err != nil {
		return err
	}
	state := filepath.Join(root, ".dev")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "chess-dev-")
	if err != nil {
		return err
	}
	_ = os.Chmod(tmp, 0o755) // PostgreSQL runs as the postgres user when we are root
	defer os.RemoveAll(tmp)
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		log.Info("everything stopped")
	}()

	env := []string{
		"LISTEN_ADDR=127.0.0.1:" + strconv.Itoa(o.backendPort),
		"TOKEN_KEY=" + randomHex(32),
		"ALLOWED_ORIGINS=127.0.0.1:" + strconv.Itoa(o.webPort) + ",localhost:" + strconv.Itoa(o.webPort),
		"LOG_LEVEL=info",
	}
	if !o.memory {
		pgDir, redisDir := filepath.Join(tmp, "pg"), filepath.Join(tmp, "redis")
		_ = os.MkdirAll(pgDir, 0o755)
		_ = os.MkdirAll(redisDir, 0o755)
		pg, perr := testenv.StartPostgres(ctx, pgDir)
		rd, rerr := testenv.StartRedis(ctx, redisDir)
		switch {
		case perr == nil && rerr == nil:
			cleanups = append(cleanups, pg.Stop, rd.Stop)
			env = append(env, "DATABASE_URL="+pg.DSN, "REDIS_URL="+rd.URL)
			log.Info("PostgreSQL and Redis started", "postgres", pg.DSN, "redis", rd.URL)
		default:
			if pg != nil {
				pg.Stop()
			}
			if rd != nil {
				rd.Stop()
			}
			log.Warn("PostgreSQL/Redis unavailable; the backend runs in single-instance mode (in memory)",
				"postgres", errString(perr), "redis", errString(rerr))
		}
	}

	bin := filepath.Join(state, "bin", "chess-server")
	log.Info("building the backend")
	if err := command(ctx, root, nil, "go", "build", "-o", bin, "./app/cmd/chess-server").Run(); err != nil {
		return fmt.Errorf("building the backend: %w", err)
	}
	backend, err := start(root, env, filepath.Join(state, "backend.log"), bin)
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { stopProc(backend, 25*time.Second) })
	backendURL := "http://127.0.0.1:" + strconv.Itoa(o.backendPort)
	if err := waitHTTP(ctx, backendURL+"/healthz", 60*time.Second); err != nil {
		return fmt.Errorf("backend did not start (see .dev/backend.log): %w", err)
	}
	log.Info("backend ready", "url", backendURL, "log", ".dev/backend.log")

	reports := filepath.Join(state, "reports")
	// A report of an earlier run describes other ports: start from an empty window.
	_ = os.RemoveAll(reports)
	_ = os.MkdirAll(reports, 0o755)
	webURL := "http://127.0.0.1:" + strconv.Itoa(o.webPort)

	webDir := filepath.Join(root, "app", "web")
	if err := npmInstall(ctx, webDir, log); err != nil {
		return err
	}
	webEnv := []string{
		"BACKEND_URL=" + backendURL,
		"CHESS_WS_URL=ws://127.0.0.1:" + strconv.Itoa(o.backendPort) + "/ws",
		"REPORTS_DIR=" + reports,
		"PORT=" + strconv.Itoa(o.webPort),
		"HOSTNAME=127.0.0.1",
		"NEXT_TELEMETRY_DISABLED=1",
	}
	var web *child
	if o.webMode == "prod" {
		log.Info("building the web app (next build)")
		if err := command(ctx, webDir, webEnv, "npm", "run", "--silent", "build").Run(); err != nil {
			return fmt.Errorf("building the web app: %w", err)
		}
		web, err = start(webDir, webEnv, filepath.Join(state, "web.log"), "npm", "run", "--silent", "start")
	} else {
		web, err = start(webDir, webEnv, filepath.Join(state, "web.log"), "npx", "next", "dev", "--hostname", "127.0.0.1", "--port", strconv.Itoa(o.webPort))
	}
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { stopProc(web, 10*time.Second) })
	if err := waitHTTP(ctx, webURL+"/api/config", 5*time.Minute); err != nil {
		return fmt.Errorf("web app did not start (see .dev/web.log): %w", err)
	}
	// The utility polls once everything is up, so its window starts clean.
	health, err := start(root, nil, filepath.Join(state, "health-check.log"), "bash", "scripts/health-check.sh",
		"--interval", "15", "--timeout", "5", "--output", filepath.Join(reports, "health.json"),
		backendURL+"/healthz", backendURL+"/readyz", webURL+"/api/config")
	if err != nil {
		log.Warn("health-check utility not started", "err", err)
	} else {
		cleanups = append(cleanups, func() { stopProc(health, 5*time.Second) })
	}
	fmt.Printf("\n  Chess platform running: open %s\n  backend %s · logs in .dev/ · Ctrl-C stops everything\n\n", webURL, backendURL)

	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-backend.done:
		return fmt.Errorf("backend exited: %v (see .dev/backend.log)", err)
	case err := <-web.done:
		return fmt.Errorf("web app exited: %v (see .dev/web.log)", err)
	}
	return nil
}

// npmInstall runs npm ci when node_modules is missing or older than the lock file.
func npmInstall(ctx context.Context, dir string, log *slog.Logger) error {
	stamp := filepath.Join(dir, "node_modules", ".installed-from-lock")
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return fmt.Errorf("app/web/package-lock.json: %w", err)
	}
	if st, err := os.Stat(stamp); err == nil && !st.ModTime().Before(lock.ModTime()) {
		return nil
	}
	log.Info("installing the web app's npm packages (first run)")
	cmd := command(ctx, dir, []string{"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1", "PUPPETEER_SKIP_DOWNLOAD=1"}, "npm", "ci", "--no-audit", "--no-fund")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci: %w", err)
	}
	return os.WriteFile(stamp, nil, 0o644)
}

func command(ctx context.Context, dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

// child is a long-lived process and the channel that reports its exit.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// start runs a long-lived child in its own process group with output to a log file.
func start(dir string, env []string, logPath, name string, args ...string) (*child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); f.Close() }()
	return c, nil
}

// stopProc sends SIGTERM to the process group and SIGKILL after the timeout.
func stopProc(c *child, timeout time.Duration) {
	if c == nil {
		return
	}
	pid := c.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(timeout):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-c.done
	}
}

func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}
