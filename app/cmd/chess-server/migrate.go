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
// deployment it runs as its own ECS task with the master user's secret (DB_SECRET_ARN), before
// the backend, which connects as the application role and only checks the schema
// (DB_MIGRATE=false). DB_MIGRATE is ignored here: this mode exists to migrate.
func migrate(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := pgstore.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	cfg.SkipMigrate = false
	cfg.Logger = log
	cfg.AppName = "chess-migrate"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
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
