// Command devrun runs the whole platform locally for `make dev`: a private PostgreSQL and
// redis-server when their binaries exist (otherwise the backend's single-instance mode), the
// chess backend, the health-check utility writing reports, and the Next.js frontend. It prints
// the URL to open and stops everything cleanly on Ctrl-C.
//
// The browser tests (app/web/e2e) start the platform through it too: free ports (`-*-port 0`),
// a private state and reports directory, an existing build, and one machine-readable line on
// stdout when everything answers:
//
//	DEVRUN_READY {"web":"http://127.0.0.1:41234","backend":"http://127.0.0.1:40111",...}
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
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

	"chessplatform/app/internal/devtools/testenv"
)

// ReadyPrefix starts the stdout line that tells a supervising program the platform is up.
const ReadyPrefix = "DEVRUN_READY "

// buildMarker is written by app/web's postbuild step after a complete `next build` (the
// standalone server plus its static files); mk/web.mk uses the same file.
const buildMarker = ".next/standalone/.build-complete"

type options struct {
	root         string
	state        string
	backendPort  int
	webPort      int
	memory       bool
	webMode      string
	webBuild     string
	backendBin   string
	reports      string
	seedServices bool
	healthCheck  bool
	stopOnEOF    bool
}

// ready is the JSON document of the DEVRUN_READY line.
type ready struct {
	Web     string `json:"web"`
	Backend string `json:"backend"`
	WS      string `json:"ws"`
	Storage string `json:"storage"` // "postgres+redis" or "memory"
	Reports string `json:"reports"`
	State   string `json:"state"`
	PID     int    `json:"pid"`
	// OperatorSecretFile holds the operator credential of this run (sign in at /operator).
	OperatorSecretFile string `json:"operatorSecretFile"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devrun:", err)
		os.Exit(1)
	}
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("devrun", flag.ContinueOnError)
	fs.StringVar(&o.root, "root", ".", "repository root")
	fs.StringVar(&o.state, "state", "", "directory for logs, the backend binary and reports (default <root>/.dev)")
	fs.IntVar(&o.backendPort, "backend-port", 8080, "backend port on 127.0.0.1 (0: any free port)")
	fs.IntVar(&o.webPort, "web-port", 3000, "web port on 127.0.0.1 (0: any free port)")
	fs.BoolVar(&o.memory, "memory", false, "single-instance mode: no PostgreSQL/Redis even if installed")
	fs.StringVar(&o.webMode, "web", "dev", "web server: dev (next dev, hot reload) or prod (next build + standalone server)")
	fs.StringVar(&o.webBuild, "web-build", "auto", "with -web prod: auto (skip `next build` when the last complete build is newer than every input) or always")
	fs.StringVar(&o.backendBin, "backend-bin", "", "run this chess-server binary instead of building one")
	fs.StringVar(&o.reports, "reports", "", "reports directory, used as it is (default <state>/reports, emptied at start)")
	fs.BoolVar(&o.seedServices, "seed-services", false, "copy scripts/fixtures/services.json (sample data) into the reports directory when it has no services.json: the service listing needs AWS, which a laptop usually cannot reach")
	fs.BoolVar(&o.healthCheck, "health-check", true, "run scripts/health-check.sh against the backend and the web app, writing health.json")
	fs.BoolVar(&o.stopOnEOF, "stop-on-stdin-eof", false, "stop everything when stdin closes (a supervising test process died)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for name, p := range map[string]int{"-backend-port": o.backendPort, "-web-port": o.webPort} {
		if p < 0 || p > 65535 {
			return o, fmt.Errorf("%s %d: must be a TCP port (1-65535) or 0 for any free port", name, p)
		}
	}
	if o.webMode != "dev" && o.webMode != "prod" {
		return o, fmt.Errorf("-web %q: must be dev or prod", o.webMode)
	}
	if o.webBuild != "auto" && o.webBuild != "always" {
		return o, fmt.Errorf("-web-build %q: must be auto or always", o.webBuild)
	}
	return o, nil
}

func run() error {
	o, err := parse(os.Args[1:])
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	prog := newProgress(os.Stderr)
	began := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if o.stopOnEOF {
		// The supervisor that died also held our stdout and stderr: without this, the first log
		// line after its death would kill us with SIGPIPE before anything is stopped cleanly.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
		ctx = stopAtEOF(ctx, os.Stdin, log)
	}

	root, err := filepath.Abs(o.root)
	if err != nil {
		return err
	}
	state := o.state
	if state == "" {
		state = filepath.Join(root, ".dev")
	}
	if state, err = filepath.Abs(state); err != nil {
		return err
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	if err := pickPorts(&o); err != nil {
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
	storage := "memory"
	if !o.memory {
		pgDir, redisDir := filepath.Join(tmp, "pg"), filepath.Join(tmp, "redis")
		_ = os.MkdirAll(pgDir, 0o755)
		_ = os.MkdirAll(redisDir, 0o755)
		var pg *testenv.Postgres
		var rd *testenv.Redis
		var perr, rerr error
		_ = prog.step("starting PostgreSQL and Redis", func() error {
			pg, perr = testenv.StartPostgres(ctx, pgDir)
			rd, rerr = testenv.StartRedis(ctx, redisDir)
			return errors.Join(perr, rerr)
		})
		switch {
		case perr == nil && rerr == nil:
			cleanups = append(cleanups, pg.Stop, rd.Stop)
			env = append(env, "DATABASE_URL="+pg.DSN, "REDIS_URL="+rd.URL)
			storage = "postgres+redis"
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

	bin := o.backendBin
	if bin == "" {
		bin = filepath.Join(state, "bin", "chess-server")
		log.Info("building the backend")
		if err := prog.step("building the backend (go build ./app/cmd/chess-server)", command(ctx, root, nil, "go", "build", "-o", bin, "./app/cmd/chess-server").Run); err != nil {
			return fmt.Errorf("building the backend: %w", err)
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	backendLog := filepath.Join(state, "backend.log")
	backend, err := start(root, env, backendLog, bin)
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { stopProc(backend, 25*time.Second) })
	backendURL := "http://127.0.0.1:" + strconv.Itoa(o.backendPort)
	if err := prog.step("waiting for the backend to answer", func() error {
		return waitHTTP(ctx, backendURL+"/healthz", 60*time.Second, backend.done)
	}); err != nil {
		return fmt.Errorf("backend did not start (see %s): %w", backendLog, err)
	}
	log.Info("backend ready", "url", backendURL, "log", backendLog)

	reports := o.reports
	if reports == "" {
		reports = filepath.Join(state, "reports")
		// A report of an earlier run describes other ports: start from an empty window.
		_ = os.RemoveAll(reports)
	}
	if reports, err = filepath.Abs(reports); err != nil {
		return err
	}
	if err := os.MkdirAll(reports, 0o755); err != nil {
		return err
	}
	if o.seedServices {
		seeded, err := seedFile(filepath.Join(root, "scripts", "fixtures", "services.json"), filepath.Join(reports, "services.json"))
		if err != nil {
			return fmt.Errorf("seeding the service listing: %w", err)
		}
		if seeded {
			log.Warn("services.json is sample data from scripts/fixtures (no AWS listing here)", "reports", reports)
		}
	}
	webURL := "http://127.0.0.1:" + strconv.Itoa(o.webPort)
	operatorSecret, operatorFile, err := operatorCredential(state, os.Getenv("OPERATOR_SECRET"))
	if err != nil {
		return err
	}

	webDir := filepath.Join(root, "app", "web")
	if err := npmInstall(ctx, webDir, log, prog); err != nil {
		return err
	}
	wsURL := "ws://127.0.0.1:" + strconv.Itoa(o.backendPort) + "/ws"
	webEnv := []string{
		"BACKEND_URL=" + backendURL,
		"CHESS_WS_URL=" + wsURL,
		"REPORTS_DIR=" + reports,
		"OPERATOR_SECRET=" + operatorSecret,
		"PORT=" + strconv.Itoa(o.webPort),
		"HOSTNAME=127.0.0.1",
		"NEXT_TELEMETRY_DISABLED=1",
	}
	webLog := filepath.Join(state, "web.log")
	var web *child
	if o.webMode == "prod" {
		fresh, why := webBuildFresh(webDir)
		if o.webBuild == "always" || !fresh {
			log.Info("building the web app (next build)", "why", why)
			if err := prog.step("building the web app (next build)", command(ctx, webDir, webEnv, "npm", "run", "--silent", "build").Run); err != nil {
				return fmt.Errorf("building the web app: %w", err)
			}
		} else {
			log.Info("using the existing web build", "why", why)
		}
		// Not `npm start`: npm would stay between us and the server in the process tree.
		web, err = start(webDir, webEnv, webLog, "node", ".next/standalone/server.js")
	} else {
		web, err = start(webDir, webEnv, webLog, "npx", "next", "dev", "--hostname", "127.0.0.1", "--port", strconv.Itoa(o.webPort))
	}
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { stopProc(web, 10*time.Second) })
	// next dev compiles the first page it serves, which takes a while on a first run.
	if err := prog.step("starting the web app", func() error {
		return waitHTTP(ctx, webURL+"/api/config", 5*time.Minute, web.done)
	}); err != nil {
		return fmt.Errorf("web app did not start (see %s): %w", webLog, err)
	}
	if o.healthCheck {
		// The utility polls once everything is up, so its window starts clean.
		health, err := start(root, nil, filepath.Join(state, "health-check.log"), "bash", "scripts/health-check.sh",
			"--interval", "15", "--timeout", "5", "--output", filepath.Join(reports, "health.json"),
			backendURL+"/healthz", backendURL+"/readyz", webURL+"/api/config")
		if err != nil {
			log.Warn("health-check utility not started", "err", err)
		} else {
			cleanups = append(cleanups, func() { stopProc(health, 5*time.Second) })
		}
	}
	line, _ := json.Marshal(ready{Web: webURL, Backend: backendURL, WS: wsURL, Storage: storage, Reports: reports, State: state, PID: os.Getpid(), OperatorSecretFile: operatorFile})
	// The URL comes last, where the eye lands when the progress lines stop.
	fmt.Printf("%s%s\n\n  backend %s (%s) · logs in %s · Ctrl-C stops everything\n"+
		"  operator view of %s/status: sign in at %s/operator with the secret in %s\n"+
		"    (or: curl -H \"Authorization: Bearer $(cat %s)\" %s/api/services)\n\n"+
		"  Chess platform running after %s: open %s\n\n",
		ReadyPrefix, line, backendURL, storage, state, webURL, webURL, operatorFile, operatorFile, webURL,
		seconds(time.Since(began)), webURL)

	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-backend.done:
		return fmt.Errorf("backend exited: %v (see %s)", err, backendLog)
	case err := <-web.done:
		return fmt.Errorf("web app exited: %v (see %s)", err, webLog)
	}
	return nil
}

// pickPorts replaces 0 with free ports. Both are chosen before anything listens, so the web
// app's origin is known to the backend (ALLOWED_ORIGINS) before either starts.
func pickPorts(o *options) error {
	for _, p := range []*int{&o.backendPort, &o.webPort} {
		if *p != 0 {
			continue
		}
		for {
			free, err := testenv.FreePort()
			if err != nil {
				return fmt.Errorf("finding a free port: %w", err)
			}
			if free != o.backendPort && free != o.webPort {
				*p = free
				break
			}
		}
	}
	if o.backendPort == o.webPort {
		return fmt.Errorf("-backend-port and -web-port are both %d", o.webPort)
	}
	return nil
}

// stopAtEOF returns a context that is also cancelled when r reaches EOF or fails: a test
// harness keeps our stdin open and its death closes it, so nothing outlives a killed test.
func stopAtEOF(ctx context.Context, r io.Reader, log *slog.Logger) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		_, _ = io.Copy(io.Discard, r)
		log.Info("stdin closed: stopping")
		cancel()
	}()
	return ctx
}

// webBuildInputs are the files of app/web that change what `next build` produces.
var webBuildInputs = []string{"src", "public", "next.config.ts", "package.json", "package-lock.json", "tsconfig.json"}

// webBuildFresh reports whether the last complete production build is newer than every input.
func webBuildFresh(webDir string) (bool, string) {
	st, err := os.Stat(filepath.Join(webDir, buildMarker))
	if err != nil {
		return false, "no complete build yet"
	}
	built := st.ModTime()
	for _, in := range webBuildInputs {
		var newer string
		err := filepath.WalkDir(filepath.Join(webDir, in), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.ModTime().After(built) {
				newer = path
				return fs.SkipAll
			}
			return nil
		})
		if err != nil {
			return false, "cannot check the build inputs: " + err.Error()
		}
		if newer != "" {
			rel, _ := filepath.Rel(webDir, newer)
			return false, rel + " changed since the last build"
		}
	}
	return true, "the build is newer than every input"
}

// seedFile copies src to dst unless dst exists; it reports whether it copied.
func seedFile(src, dst string) (bool, error) {
	if _, err := os.Stat(dst); err == nil {
		return false, nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return false, err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, dst)
}

// npmInstall runs npm ci when node_modules is missing or older than the lock file.
func npmInstall(ctx context.Context, dir string, log *slog.Logger, prog *progress) error {
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
	if err := prog.step("installing the web app's npm packages (npm ci)", cmd.Run); err != nil {
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

// waitHTTP polls url until it answers below 500. A child that exits meanwhile fails the wait
// at once (its exit is put back for the caller's select).
func waitHTTP(ctx context.Context, url string, timeout time.Duration, exited chan error) error {
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
		case e := <-exited:
			exited <- e
			return fmt.Errorf("exited before answering: %v", e)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// minOperatorSecret is the web app's minimum (app/web/src/lib/server/operator.ts).
const minOperatorSecret = 32

// operatorCredential is the operator secret of this run: OPERATOR_SECRET when the caller set
// one, else a fresh random one. It goes into <state>/operator-secret (mode 0600) rather than
// the terminal, so it does not end up in logs.
func operatorCredential(state, given string) (secret, file string, err error) {
	secret = given
	if secret == "" {
		secret = randomHex(32)
	} else if len(secret) < minOperatorSecret {
		return "", "", fmt.Errorf("OPERATOR_SECRET has %d characters: the web app needs at least %d (unset it to get a generated one)", len(secret), minOperatorSecret)
	}
	file = filepath.Join(state, "operator-secret")
	_ = os.Remove(file) // WriteFile keeps the mode of an existing file
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("writing the operator secret: %w", err)
	}
	return secret, file, nil
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
