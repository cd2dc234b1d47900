package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"chessplatform/app/internal/store/pgstore"
)

// migrate is `chess-server -migrate`: apply the pending schema migrations and exit. In a
// deployment it is the backend task's init container, with the master user's name and password
// injected by ECS; the backend container starts after it succeeds, connects as the application
// role and only checks the schema (DB_MIGRATE=false). DB_MIGRATE is ignored here: this mode
// exists to migrate. STARTUP_TIMEOUT (default 10m) bounds waiting for PostgreSQL and migrating,
// so the task's health-check grace period can cover it.
func migrate(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := pgstore.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	timeout, err := envDuration(getenv, "STARTUP_TIMEOUT", 10*time.Minute)
	if err != nil {
		return err
	}
	cfg.SkipMigrate = false
	cfg.Logger = log
	cfg.AppName = "chess-migrate"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := retry(ctx, log, "PostgreSQL", func() (*pgstore.Store, error) { return pgstore.Open(ctx, cfg) })
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	s.Close()
	v, _ := pgstore.LatestMigration()
	log.Info("schema migrated", "version", v)
	return nil
}
