package pgstore

import (
	"io/fs"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func migrationCount(t *testing.T) int {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return len(files)
}

// tables lists the tables and indexes of the public schema.
func schemaObjects(t *testing.T, s *Store) (tables, indexes []string) {
	ctx := testCtx(t)
	rows, err := s.pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, rows.Err())
	rows, err = s.pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		indexes = append(indexes, n)
	}
	require.NoError(t, rows.Err())
	return
}

func TestMigrationsUpFromEmptyThenIdempotent(t *testing.T) {
	dsn := freshDB(t, sharedPG)
	s := openStore(t, dsn)
	tables, indexes := schemaObjects(t, s)
	assert.Equal(t, []string{"games", "goose_db_version", "moves", "players", "rating_history", "ratings"}, tables)
	assert.Subset(t, indexes, []string{"players_name_lower_key", "ratings_leaderboard_idx",
		"games_white_history_idx", "games_black_history_idx", "games_active_idx", "rating_history_order_idx"})

	var version int64
	require.NoError(t, s.pool.QueryRow(testCtx(t), `SELECT max(version_id) FROM goose_db_version`).Scan(&version))
	assert.Equal(t, int64(migrationCount(t)), version)

	// Running again, in this store or in a new one, applies nothing.
	res, err := s.migrate(testCtx(t))
	require.NoError(t, err)
	assert.Empty(t, res)
	s2 := openStore(t, dsn)
	res, err = s2.migrate(testCtx(t))
	require.NoError(t, err)
	assert.Empty(t, res)
	var rows int
	require.NoError(t, s.pool.QueryRow(testCtx(t), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&rows))
	assert.Equal(t, migrationCount(t), rows)
}

// Instances starting together: goose's advisory lock lets one migrate while the others wait,
// then find nothing to do. Without the lock they would fail on duplicate tables.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := freshDB(t, sharedPG)
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*Store, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(testCtx(t), Config{URL: dsn, Logger: quietLogger()})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "instance %d", i)
		t.Cleanup(stores[i].Close)
	}
	var rows int
	require.NoError(t, stores[0].pool.QueryRow(testCtx(t), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&rows))
	assert.Equal(t, migrationCount(t), rows, "each migration recorded once")
}

// Even where the database (or an RDS parameter group) turns synchronous_commit off, the store's
// sessions keep it on: a commit is acknowledged only once it is durable.
func TestSessionsKeepSynchronousCommitOn(t *testing.T) {
	dsn := freshDB(t, sharedPG)
	var name string
	{
		s := openStore(t, dsn)
		require.NoError(t, s.pool.QueryRow(testCtx(t), `SELECT current_database()`).Scan(&name))
		s.Close()
	}
	adminExec(t, sharedPG.DSN)(`ALTER DATABASE ` + name + ` SET synchronous_commit = off`)
	s := openStore(t, dsn)
	var syncCommit, app string
	require.NoError(t, s.pool.QueryRow(testCtx(t), `SELECT current_setting('synchronous_commit'), current_setting('application_name')`).Scan(&syncCommit, &app))
	assert.Equal(t, "on", syncCommit)
	assert.Equal(t, "chess-server", app)
}
