package testenv

import (
	"context"
	"os"
	"testing"
	"time"
)

// tempDir makes a directory that the postgres user can use when we run as root (t.TempDir
// lives under a 0700 directory owned by root).
func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "chess-testenv-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("chmod temp dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// PostgresT starts PostgreSQL for a test or benchmark and stops it at cleanup.
func PostgresT(t testing.TB) *Postgres {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, err := StartPostgres(ctx, tempDir(t))
	if err != nil {
		t.Fatalf("starting PostgreSQL: %v", err)
	}
	t.Cleanup(pg.Stop)
	return pg
}

// RedisT starts redis-server for a test or benchmark and stops it at cleanup.
func RedisT(t testing.TB) *Redis {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := StartRedis(ctx, tempDir(t))
	if err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

// MotoT starts moto_server for a test and stops it at cleanup.
func MotoT(t testing.TB) *Moto {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := StartMoto(ctx, tempDir(t))
	if err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	t.Cleanup(m.Stop)
	return m
}
