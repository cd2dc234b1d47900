package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// pgBinDirs are where Debian puts the PostgreSQL server binaries.
var pgBinDirs = []string{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}

// Postgres is a private PostgreSQL server.
type Postgres struct {
	Port    int
	DataDir string
	DSN     string // postgres://chess@127.0.0.1:port/chess?sslmode=disable

	bin  string
	cred *syscall.Credential
	p    proc
}

// StartPostgres initialises a cluster in a temporary directory and starts it. Durability
// settings stay at their defaults (fsync on), so tests measure what production does.
func StartPostgres(ctx context.Context, dir string) (*Postgres, error) {
	initdb, err := lookPath("initdb", pgBinDirs...)
	if err != nil {
		return nil, err
	}
	// Resolve symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) so the
	// sibling binaries (postgres, pg_isready, createdb) are found next to it.
	if real, err := filepath.EvalSymlinks(initdb); err == nil {
		initdb = real
	}
	bin := filepath.Dir(initdb)
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "pgdata")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	if err := chownAll(dir, cred); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, initdb, "-D", data, "-U", "chess", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	pg := &Postgres{Port: port, DataDir: data, bin: bin, cred: cred,
		DSN: fmt.Sprintf("postgres://chess@127.0.0.1:%d/chess?sslmode=disable", port)}
	if err := pg.Start(ctx); err != nil {
		return nil, err
	}
	createdb := exec.CommandContext(ctx, filepath.Join(bin, "createdb"), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "chess", "chess")
	if out, err := createdb.CombinedOutput(); err != nil {
		pg.Stop()
		return nil, fmt.Errorf("createdb: %w: %s", err, out)
	}
	return pg, nil
}

// Start (re)starts the server on its port and waits until it accepts connections.
func (pg *Postgres) Start(ctx context.Context) error {
	args := []string{"-D", pg.DataDir, "-p", strconv.Itoa(pg.Port), "-k", pg.DataDir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "shared_buffers=128MB"}
	logPath := filepath.Join(filepath.Dir(pg.DataDir), "postgres.log")
	if err := pg.p.start(filepath.Join(pg.bin, "postgres"), args, logPath, pg.cred, nil); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pg.waitReady(ctx); err != nil {
		return fmt.Errorf("postgres did not start: %w\n%s", err, tail(logPath, 20))
	}
	return nil
}

func (pg *Postgres) waitReady(ctx context.Context) error {
	isready := filepath.Join(pg.bin, "pg_isready")
	for {
		cmd := exec.CommandContext(ctx, isready, "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "chess")
		if err := cmd.Run(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop shuts the server down fast (SIGINT: abort transactions, clean shutdown).
func (pg *Postgres) Stop() { pg.p.signal(syscall.SIGINT, 20*time.Second) }

// Kill stops the server abruptly (SIGKILL), like a crash.
func (pg *Postgres) Kill() { pg.p.signal(syscall.SIGKILL, 5*time.Second) }

// Log returns the end of the server log, for failure messages.
func (pg *Postgres) Log() string {
	return tail(filepath.Join(filepath.Dir(pg.DataDir), "postgres.log"), 40)
}
