package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/testenv"
)

// sharedPG is the PostgreSQL server of this test binary; tests that stop or reconfigure a
// server start their own.
var sharedPG *testenv.Postgres

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	// The server runs as the postgres user when we are root: its directory must be reachable.
	dir, err := os.MkdirTemp("", "pgstore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	pg, err := testenv.StartPostgres(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting PostgreSQL:", err)
		return 1
	}
	defer func() {
		if err := stopServer(pg); err != nil {
			fmt.Fprintln(os.Stderr, "stopping PostgreSQL:", err)
		}
	}()
	sharedPG = pg
	defer func() {
		if moto.m != nil {
			if err := stopMoto(moto.m); err != nil {
				fmt.Fprintln(os.Stderr, "stopping moto_server:", err)
			}
		}
	}()
	return m.Run()
}

// moto is the moto_server of this test binary, started by the first test that needs it.
var moto struct {
	once sync.Once
	m    *testenv.Moto
	err  error
}

func sharedMoto(t *testing.T) *testenv.Moto {
	t.Helper()
	moto.once.Do(func() {
		dir, err := os.MkdirTemp("", "pgstore-moto-")
		if err != nil {
			moto.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		moto.m, moto.err = testenv.StartMoto(ctx, dir)
	})
	require.NoError(t, moto.err, "starting moto_server")
	return moto.m
}

// stopServer shuts pg down fast (SIGINT, as pg.Stop does) and waits until the postmaster is
// gone. It exists because testenv's Stop polls exec.Cmd.ProcessState while its own goroutine's
// Wait writes it, which the race detector reports; once the process is reaped, pg.Stop returns
// before that read, and it still clears testenv's bookkeeping so pg.Start works again.
func stopServer(pg *testenv.Postgres) error {
	b, err := os.ReadFile(filepath.Join(pg.DataDir, "postmaster.pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		return fmt.Errorf("postmaster.pid: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			pg.Stop()
			return nil
		}
	}
	return fmt.Errorf("postmaster %d did not exit", pid)
}

// stopMoto is stopServer for moto_server (same testenv race): it finds our child listening on
// the moto port through /proc, stops it and waits until it is reaped.
func stopMoto(m *testenv.Moto) error {
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return err
	}
	port := strconv.Itoa(m.Port)
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if !strings.Contains(string(b), "moto_server") || !containsArgs(args, "-p", port) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || parentOf(pid) != os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			return err
		}
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				m.Stop()
				return nil
			}
		}
		return fmt.Errorf("moto_server %d did not exit", pid)
	}
	return fmt.Errorf("moto_server on port %s not found", port)
}

func containsArgs(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// pid (comm) state ppid ...; comm may contain spaces, so split after its closing paren.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 2 {
		return -1
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var dbSeq atomic.Int64

// freshDB creates an empty database on pg and returns its DSN; it is dropped at cleanup.
func freshDB(t testing.TB, pg *testenv.Postgres) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	admin := adminExec(t, pg.DSN)
	admin(`CREATE DATABASE ` + name)
	t.Cleanup(func() { admin(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	return withDB(t, pg.DSN, name)
}

// adminExec returns a function running SQL as the superuser on dsn (one connection per call, so
// it works whenever the server is up).
func adminExec(t testing.TB, dsn string) func(sql string, args ...any) {
	return func(sql string, args ...any) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql, args...)
		require.NoError(t, err, sql)
	}
}

func withDB(t testing.TB, dsn, db string) string {
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + db
	return u.String()
}

// openStore opens a store on dsn and closes it at cleanup.
func openStore(t testing.TB, dsn string, opts ...func(*Config)) *Store {
	t.Helper()
	cfg := Config{URL: dsn, Logger: quietLogger()}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := Open(testCtx(t), cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}
