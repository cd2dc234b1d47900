package pgstore

import (
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/storetest"
)

// appRoleDSN is dsn with the application role as the user (the test server trusts local
// logins, as pg_hba of a dev server would; on RDS the role logs in with IAM tokens).
func appRoleDSN(t testing.TB, dsn string) string {
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.User = url.User("chess_app")
	return u.String()
}

// migratedAppDB returns a fresh database migrated by the superuser (standing in for the RDS
// master user) and its DSN for the application role.
func migratedAppDB(t *testing.T) (admin, app string) {
	admin = freshDB(t, sharedPG)
	openStore(t, admin).Close()
	return admin, appRoleDSN(t, admin)
}

// The application role reads and writes the application's rows (the whole durable-store
// contract runs as chess_app) but cannot change the schema: CREATE, DROP, ALTER, TRUNCATE and
// temporary tables are refused with insufficient_privilege or must-be-owner.
func TestAppRoleHasDMLOnlyNoDDL(t *testing.T) {
	t.Run("contract as chess_app", func(t *testing.T) {
		storetest.RunDurable(t, func(t *testing.T) store.Durable {
			_, app := migratedAppDB(t)
			return openStore(t, app, func(c *Config) { c.SkipMigrate = true })
		})
	})

	_, app := migratedAppDB(t)
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, app)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	var user string
	var super bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super))
	require.Equal(t, "chess_app", user)
	require.False(t, super)

	// DML on every application table.
	for _, q := range []string{
		`INSERT INTO players (id, name, created_at) VALUES ('p1', 'Role Test', now())`,
		`UPDATE players SET guest = true WHERE id = 'p1'`,
		`SELECT count(*) FROM players`,
		`SELECT count(*) FROM ratings`, `SELECT count(*) FROM games`, `SELECT count(*) FROM moves`,
		`SELECT count(*) FROM rating_history`, `SELECT max(version_id) FROM goose_db_version`,
		`DELETE FROM players WHERE id = 'p1'`,
	} {
		_, err := conn.Exec(ctx, q)
		assert.NoError(t, err, q)
	}

	// No DDL, no schema-wide destruction, no writes to the migration record.
	for _, q := range []string{
		`CREATE TABLE intruder (id int)`,
		`CREATE TEMPORARY TABLE intruder (id int)`,
		`CREATE INDEX intruder_idx ON players (created_at)`,
		`CREATE SCHEMA intruder`,
		`CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
		`CREATE VIEW intruder AS SELECT 1`,
		`DROP TABLE moves`,
		`DROP INDEX players_name_lower_key`,
		`DROP FUNCTION chess_commit_conflict(text)`,
		`ALTER TABLE players ADD COLUMN intruder int`,
		`ALTER TABLE games DROP CONSTRAINT games_check`,
		`ALTER TABLE players RENAME TO gone`,
		`TRUNCATE moves`,
		`DELETE FROM goose_db_version`,
		`INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)`,
		`CREATE ROLE intruder`,
	} {
		_, err := conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if assert.True(t, errors.As(err, &pgErr), "%s: want a refusal, got %v", q, err) {
			assert.Contains(t, []string{"42501"}, pgErr.Code, "%s: %s", q, pgErr.Message) // insufficient_privilege (also "must be owner")
		}
	}
}

// The backend opened with SkipMigrate refuses a database that lacks its migrations, naming the
// versions, and does not create anything; once migrated, it opens.
func TestSkipMigrateRefusesASchemaBehind(t *testing.T) {
	admin := freshDB(t, sharedPG)
	_, err := Open(testCtx(t), Config{URL: admin, Logger: quietLogger(), SkipMigrate: true})
	require.ErrorIs(t, err, ErrSchemaBehind)
	latest, lerr := LatestMigration()
	require.NoError(t, lerr)
	assert.Contains(t, err.Error(), fmt.Sprintf("version 0, this build needs %d", latest))
	conn, err := pgx.Connect(testCtx(t), admin)
	require.NoError(t, err)
	var tables int
	require.NoError(t, conn.QueryRow(testCtx(t), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables))
	_ = conn.Close(testCtx(t))
	assert.Zero(t, tables, "a check must not create goose's table")

	openStore(t, admin).Close() // the migrate task
	openStore(t, appRoleDSN(t, admin), func(c *Config) { c.SkipMigrate = true })
}

// The role may not migrate: a store opened as chess_app without SkipMigrate on an empty database
// fails (it cannot create goose's table), so only the master user's migrate step can.
func TestAppRoleCannotMigrate(t *testing.T) {
	admin := freshDB(t, sharedPG)
	openStore(t, admin).Close() // creates the role (it is server-wide) and migrates
	empty := freshDB(t, sharedPG)
	_, err := Open(testCtx(t), Config{URL: appRoleDSN(t, empty), Logger: quietLogger()})
	require.Error(t, err)
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "%v", err)
	assert.Equal(t, "42501", pgErr.Code)
}

func TestConfigFromEnvMigrateSwitch(t *testing.T) {
	base := map[string]string{"DB_HOST": "db.internal", "DB_NAME": "chess", "DB_USER": "chess_app", "DB_IAM_AUTH": "true", "AWS_REGION": "eu-west-1"}
	c, err := ConfigFromEnv(mapEnv(base))
	require.NoError(t, err)
	assert.False(t, c.SkipMigrate, "migrating is the default (dev, tests)")
	base["DB_MIGRATE"] = "false"
	c, err = ConfigFromEnv(mapEnv(base))
	require.NoError(t, err)
	assert.True(t, c.SkipMigrate)
	base["DB_MIGRATE"] = "sometimes"
	_, err = ConfigFromEnv(mapEnv(base))
	require.ErrorContains(t, err, "DB_MIGRATE")
}
