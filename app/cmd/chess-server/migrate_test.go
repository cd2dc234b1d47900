package main

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/store/pgstore"
)

// `chess-server -migrate` brings an empty database to the newest version as the privileged
// user; the backend's configuration (DB_MIGRATE=false, user chess_app) then opens it, and would
// have refused it before.
func TestMigrateModeThenBackendAsAppRole(t *testing.T) {
	pg := testenv.PostgresT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	appURL := func() string {
		u, err := url.Parse(pg.DSN)
		require.NoError(t, err)
		u.User = url.User("chess_app")
		return u.String()
	}()
	backendEnv := map[string]string{"DATABASE_URL": appURL, "DB_MIGRATE": "false"}
	backendCfg, err := pgstore.ConfigFromEnv(env(backendEnv))
	require.NoError(t, err)

	_, err = pgstore.Open(ctx, backendCfg)
	require.Error(t, err, "before the migration the backend must not start")

	var logs bytes.Buffer
	// DB_MIGRATE=false is ignored by the migrate mode.
	require.NoError(t, migrate(ctx, env(map[string]string{"DATABASE_URL": pg.DSN, "DB_MIGRATE": "false"}), &logs))
	assert.Contains(t, logs.String(), "schema migrated")

	conn, err := pgx.Connect(ctx, pg.DSN)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var version int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version))
	latest, err := pgstore.LatestMigration()
	require.NoError(t, err)
	assert.Equal(t, latest, version)

	s, err := pgstore.Open(ctx, backendCfg)
	require.NoError(t, err)
	s.Close()
}

// The init container's STARTUP_TIMEOUT bounds the migrate mode (the backend's health-check grace
// period counts on it): an unreachable server fails within it, and a bad value is refused.
func TestMigrateModeStartupTimeout(t *testing.T) {
	unreachable := map[string]string{"DATABASE_URL": "postgres://u:p@127.0.0.1:1/chess?sslmode=disable", "STARTUP_TIMEOUT": "1s"}
	start := time.Now()
	err := migrate(context.Background(), env(unreachable), &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "opening PostgreSQL")
	assert.Less(t, time.Since(start), 8*time.Second, "STARTUP_TIMEOUT=1s bounds the wait (default 10m)")

	unreachable["STARTUP_TIMEOUT"] = "soon"
	err = migrate(context.Background(), env(unreachable), &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "STARTUP_TIMEOUT")
}
