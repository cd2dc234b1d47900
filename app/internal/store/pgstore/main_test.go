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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/testenv"
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
	return m.Run()
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
