package integration

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"chessplatform/app/internal/devtools/testenv"
)

// serverBin is the chess-server binary every test runs ("" in -short mode).
var serverBin string

// serverRace reports whether serverBin was built with the race detector.
var serverRace bool

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	dir, err := os.MkdirTemp("", "chess-integration-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	serverBin, serverRace, err = buildServer(dir)
	if err == nil {
		sharedPG, err = startSharedPG(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	sharedPG.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// sharedPG is the PostgreSQL server of the tests that do not stop it; each test has its own
// database there.
var sharedPG *testenv.Postgres

func startSharedPG(dir string) (*testenv.Postgres, error) {
	pgDir := filepath.Join(dir, "pg")
	// 0755 all the way: when the tests run as root, PostgreSQL runs as the postgres user.
	if err := os.Mkdir(pgDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, err := testenv.StartPostgres(ctx, pgDir)
	if err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	return pg, nil
}

// buildServer builds app/cmd/chess-server into dir, with -race when asked (see doc.go).
func buildServer(dir string) (string, bool, error) {
	race := testRace
	switch v := os.Getenv("CHESS_SERVER_RACE"); v {
	case "1":
		race = true
	case "0":
		race = false
	case "":
	default:
		return "", false, fmt.Errorf("CHESS_SERVER_RACE=%q: want 1 or 0", v)
	}
	out := filepath.Join(dir, "chess-server")
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "chessplatform/app/cmd/chess-server")
	start := time.Now()
	cmd := exec.Command("go", args...)
	cmd.Env = os.Environ()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", false, fmt.Errorf("building chess-server: %w\n%s", err, b)
	}
	fmt.Fprintf(os.Stderr, "integration: built chess-server (race=%v) in %s\n", race, time.Since(start).Round(time.Millisecond))
	return out, race, nil
}

// needServer skips a test in -short mode (it runs real processes).
func needServer(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: runs the chess-server binary, PostgreSQL and redis-server")
	}
}
