package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/testenv"
)

// tokenKey is the TOKEN_KEY every instance of a cluster shares, so a session token issued by one
// instance is accepted by all.
const tokenKey = "8f3a6c1e2b7d4e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778"

// cluster is one PostgreSQL database, one redis-server and the chess-server instances using
// them.
type cluster struct {
	t     *testing.T
	pg    *testenv.Postgres // the server holding the database (shared unless privatePG)
	dsn   string            // the test's own, initially empty, database
	rd    *testenv.Redis
	dir   string
	hc    *http.Client
	insts []*instance
}

// newCluster gives a test an empty database of its own on the package's PostgreSQL server
// (initdb costs seconds; CREATE DATABASE does not) and its own redis-server. Instances are
// started with start or startAll.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	needServer(t)
	return setup(t, sharedPG, createDatabase(t, sharedPG))
}

// newClusterPrivatePG is newCluster with a PostgreSQL server of the test's own, for tests that
// stop it.
func newClusterPrivatePG(t *testing.T) *cluster {
	t.Helper()
	needServer(t)
	pg := testenv.PostgresT(t)
	return setup(t, pg, pg.DSN)
}

func setup(t *testing.T, pg *testenv.Postgres, dsn string) *cluster {
	c := &cluster{t: t, pg: pg, dsn: dsn, rd: testenv.RedisT(t), dir: t.TempDir(),
		hc: &http.Client{Timeout: 10 * time.Second}}
	// Registered after the dependencies' cleanups, so it runs before them: instances stop
	// while PostgreSQL and Redis are still up.
	t.Cleanup(c.cleanup)
	return c
}

var dbSeq atomic.Int64

// createDatabase creates an empty database on pg and returns its DSN.
func createDatabase(t *testing.T, pg *testenv.Postgres) string {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	conn, err := pgx.Connect(ctx, pg.DSN)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	name := fmt.Sprintf("it_%d", dbSeq.Add(1))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	dsn := strings.Replace(pg.DSN, "/chess?", "/"+name+"?", 1)
	require.NotEqual(t, pg.DSN, dsn, "unexpected DSN shape %s", pg.DSN)
	return dsn
}

// instance is one chess-server process (restartable on the same port).
type instance struct {
	name string
	port int
	url  string // http://127.0.0.1:port
	log  string // log file (all runs appended)

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{} // closed when cmd has exited
	state *os.ProcessState
	runs  int
}

// start starts a new instance on a free port and waits until it is ready.
func (c *cluster) start(name string) *instance {
	c.t.Helper()
	port, err := testenv.FreePort()
	require.NoError(c.t, err)
	in := &instance{name: name, port: port, url: fmt.Sprintf("http://127.0.0.1:%d", port),
		log: filepath.Join(c.dir, name+".log")}
	c.insts = append(c.insts, in)
	c.run(in)
	return in
}

// startAll starts instances concurrently (they migrate the schema under an advisory lock).
func (c *cluster) startAll(names ...string) []*instance {
	c.t.Helper()
	out := make([]*instance, len(names))
	for i, n := range names {
		port, err := testenv.FreePort()
		require.NoError(c.t, err)
		out[i] = &instance{name: n, port: port, url: fmt.Sprintf("http://127.0.0.1:%d", port),
			log: filepath.Join(c.dir, n+".log")}
		c.insts = append(c.insts, out[i])
	}
	for _, in := range out {
		c.spawn(in)
	}
	for _, in := range out {
		c.waitReady(in)
	}
	return out
}

// run (re)starts the process of in on its port and waits until /readyz answers 200.
func (c *cluster) run(in *instance) {
	c.t.Helper()
	c.spawn(in)
	c.waitReady(in)
}

func (c *cluster) env(in *instance) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} { // not GORACE: race reports must reach the log
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env,
		"DATABASE_URL="+c.dsn,
		"REDIS_URL="+c.rd.URL,
		"TOKEN_KEY="+tokenKey,
		"LISTEN_ADDR=127.0.0.1:"+strconv.Itoa(in.port),
		"LOG_LEVEL=info",
		"SHUTDOWN_TIMEOUT=5s",
		"STARTUP_TIMEOUT=30s",
	)
}

func (c *cluster) spawn(in *instance) {
	c.t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	require.Nil(c.t, in.cmd, "instance %s is already running", in.name)
	f, err := os.OpenFile(in.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(c.t, err)
	in.runs++
	fmt.Fprintf(f, "### run %d of %s on port %d at %s\n", in.runs, in.name, in.port, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(serverBin)
	cmd.Env = c.env(in)
	cmd.Stdout, cmd.Stderr = f, f
	// Pdeathsig: a crashed test leaves no server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(c.t, cmd.Start())
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		in.mu.Lock()
		in.state = cmd.ProcessState
		in.mu.Unlock()
		close(done)
	}()
	in.cmd, in.done, in.state = cmd, done, nil
}

// waitAllReady waits until every instance answers /readyz with 200 again. Just after Redis
// comes back an instance's connection pool can still refuse for about a second (go-redis dials
// again once a second after failed dials), and a move in that second is answered `unavailable`,
// which the protocol lets a client resend. Tests that then play without resending wait for this
// first (TestRedisDownBetweenCommitAndPublish failed 1 run in 25 under load without it: ply 14 was
// refused 0.3 s after the pub/sub connection was back).
func (c *cluster) waitAllReady(insts []*instance) {
	c.t.Helper()
	for _, in := range insts {
		c.waitReady(in)
	}
}

func (c *cluster) waitReady(in *instance) {
	c.t.Helper()
	in.mu.Lock()
	done := in.done
	in.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.hc.Get(in.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			c.t.Fatalf("instance %s exited during start:\n%s", in.name, tail(in.log, 30))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("instance %s not ready after 60s:\n%s", in.name, tail(in.log, 30))
		}
	}
}

// pid is the process id of the running instance (0 when stopped).
func (in *instance) pid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return 0
	}
	return in.cmd.Process.Pid
}

// signal sends sig and waits up to timeout for the exit; it returns the exit state.
func (in *instance) signal(t *testing.T, sig syscall.Signal, timeout time.Duration) *os.ProcessState {
	t.Helper()
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	require.NotNil(t, cmd, "instance %s is not running", in.name)
	require.NoError(t, cmd.Process.Signal(sig))
	select {
	case <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("instance %s did not exit within %s of %s; killed", in.name, timeout, sig)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cmd, in.done = nil, nil
	return in.state
}

// kill is kill -9: the process dies at once, with no cleanup of any kind.
func (in *instance) kill(t *testing.T) {
	t.Helper()
	st := in.signal(t, syscall.SIGKILL, 10*time.Second)
	ws, ok := st.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "instance %s: exit %v, want killed by SIGKILL", in.name, st)
}

// stop is a graceful stop (SIGTERM, as ECS does); the process must exit 0.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	st := in.signal(t, syscall.SIGTERM, 15*time.Second)
	require.True(t, st.Success(), "instance %s: exit %v after SIGTERM, want 0:\n%s", in.name, st, tail(in.log, 20))
}

// pause and resume freeze and thaw the process (SIGSTOP/SIGCONT): its sockets stay open but it
// runs no code meanwhile.
func (in *instance) pause(t *testing.T) {
	t.Helper()
	require.NoError(t, syscall.Kill(in.pid(), syscall.SIGSTOP))
}

func (in *instance) resume(t *testing.T) {
	t.Helper()
	require.NoError(t, syscall.Kill(in.pid(), syscall.SIGCONT))
}

// badLog finds what must never appear in a server log: race reports, panics, fatal errors.
var badLog = regexp.MustCompile(`WARNING: DATA RACE|^panic: |^fatal error: |goroutine \d+ \[running\]`)

// cleanup stops every running instance and checks the logs for races and panics.
func (c *cluster) cleanup() {
	for _, in := range c.insts {
		in.mu.Lock()
		cmd, done := in.cmd, in.done
		in.mu.Unlock()
		if cmd == nil {
			continue
		}
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGCONT) // in case a failed test left it paused
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		in.mu.Lock()
		st := in.state
		in.cmd, in.done = nil, nil
		in.mu.Unlock()
		if !st.Success() {
			hint := ""
			if serverRace && st.ExitCode() == 66 {
				hint = " (66: the race detector found a data race; see the log)"
			}
			c.t.Errorf("instance %s: exit %v at the end of the test%s", in.name, st, hint)
		}
	}
	for _, in := range c.insts {
		b, err := os.ReadFile(in.log)
		if err != nil {
			continue
		}
		var bad []string
		for _, line := range strings.Split(string(b), "\n") {
			if badLog.MatchString(line) {
				bad = append(bad, line)
			}
		}
		if len(bad) > 0 {
			c.t.Errorf("instance %s logged %d race/panic lines (log %s), first: %q\n%s", in.name, len(bad), in.log, bad[0], tail(in.log, 80))
		}
		if c.t.Failed() {
			c.t.Logf("--- last lines of %s (%s):\n%s", in.name, in.log, tail(in.log, 40))
		}
	}
	if c.t.Failed() {
		c.t.Logf("--- postgres log:\n%s", c.pg.Log())
	}
}

// lostRaces counts the commits of a game that lost PostgreSQL's version check, on every
// instance (the server logs each one).
func (c *cluster) lostRaces(game string) int {
	n := 0
	for _, in := range c.insts {
		n += in.logCount(`"msg":"commit lost a version race; retrying on the durable state","game":"` + game + `"`)
	}
	return n
}

// logCount counts the lines of an instance's log containing s.
func (in *instance) logCount(s string) int {
	b, err := os.ReadFile(in.log)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ctxT is a context for one step of a test.
func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// db opens a direct connection to the cluster's PostgreSQL (closed at cleanup).
func (c *cluster) db() *pgx.Conn {
	c.t.Helper()
	conn, err := pgx.Connect(ctxT(c.t, 10*time.Second), c.dsn)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// moveRow is one row of the moves table.
type moveRow struct {
	Ply int
	UCI string
	SAN string
}

// dbMoves reads a game's rows of the moves table in ply order (a fresh connection each time,
// so it works across PostgreSQL restarts).
func (c *cluster) dbMoves(game string) []moveRow {
	c.t.Helper()
	ctx := ctxT(c.t, 10*time.Second)
	conn, err := pgx.Connect(ctx, c.dsn)
	require.NoError(c.t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT ply, uci, san FROM moves WHERE game_id = $1 ORDER BY ply`, game)
	require.NoError(c.t, err)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[moveRow])
	require.NoError(c.t, err)
	return out
}

// gameRow is the games row of a game.
type gameRow struct {
	Status, Result, Reason string
	V                      int64
	Plies                  int
	EndedAt                *time.Time
}

func (c *cluster) dbGame(game string) gameRow {
	c.t.Helper()
	ctx := ctxT(c.t, 10*time.Second)
	conn, err := pgx.Connect(ctx, c.dsn)
	require.NoError(c.t, err)
	defer conn.Close(context.Background())
	var g gameRow
	err = conn.QueryRow(ctx, `SELECT status, result, reason, v, plies, ended_at FROM games WHERE id = $1`, game).
		Scan(&g.Status, &g.Result, &g.Reason, &g.V, &g.Plies, &g.EndedAt)
	require.NoError(c.t, err, "reading game %s", game)
	return g
}

// redis opens a client to the cluster's redis-server (closed at cleanup).
func (c *cluster) redis() *redis.Client {
	c.t.Helper()
	r := redis.NewClient(&redis.Options{Addr: c.rd.Addr, MaxRetries: -1})
	c.t.Cleanup(func() { _ = r.Close() })
	return r
}

// readyz returns the status code and the checks of an instance's /readyz.
func (c *cluster) readyz(in *instance) (int, map[string]string) {
	c.t.Helper()
	resp, err := c.hc.Get(in.url + "/readyz")
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body.Checks
}

// eventually polls f until it returns nil or d passes; it returns the last error.
func eventually(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")

// pgQueryRow runs a one-row query on a fresh connection and scans it into dst.
func (c *cluster) pgQueryRow(sql string, dst ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, sql).Scan(dst...)
}
