package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrSchemaBehind is returned by Open with SkipMigrate when the database lacks migrations this
// build needs: `chess-server -migrate` (as the master user) has not run yet.
var ErrSchemaBehind = errors.New("database schema is behind this build")

// LatestMigration is the version of the newest embedded migration.
func LatestMigration() (int64, error) {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	var latest int64
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return 0, fmt.Errorf("migration %s: name must start with a version number", base)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// schemaVersion reads the highest applied migration (0 when none ran). It only reads goose's
// table, which the application role may SELECT but not write.
func (s *Store) schemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.do(ctx, "reading schema version", func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
			v, err = 0, nil
		}
		return err
	})
	return v, err
}

// checkSchema fails with ErrSchemaBehind unless every embedded migration has been applied. A
// newer schema is fine: migrations only add (a release's migrations run before its backend).
func (s *Store) checkSchema(ctx context.Context) error {
	want, err := LatestMigration()
	if err != nil {
		return err
	}
	have, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if have < want {
		return fmt.Errorf("%w: it is at version %d, this build needs %d; run `chess-server -migrate` with the master credentials first", ErrSchemaBehind, have, want)
	}
	return nil
}
