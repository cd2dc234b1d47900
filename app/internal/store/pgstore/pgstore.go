// Package pgstore implements store.Durable on PostgreSQL with pgx. Open runs the embedded goose
// migrations under a PostgreSQL advisory lock, so instances starting together do not race.
//
// Every write is one autocommitted statement with synchronous_commit on: when a method returns
// nil the change is on disk (and on the synchronous standby, if one is configured). Errors that
// mean "the database cannot be reached or cannot serve now" wrap store.ErrUnavailable; version
// mismatches are store.ErrConflict. A Store is safe for concurrent use.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"chessplatform/app/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the advisory lock key held while migrating (an arbitrary constant of ours,
// so that another goose user of the same database does not wait on us).
const migrationLockID int64 = 0x63686573735f6462 // "chess_db"

// Store is the PostgreSQL store.Durable.
type Store struct {
	pool  *pgxpool.Pool
	creds CredentialSource // nil: static credentials
	log   *slog.Logger
	group *groupCommitter // nil: every commit runs alone
}

var _ store.Durable = (*Store)(nil)

// Open connects to PostgreSQL and brings the schema up to date (with SkipMigrate: checks that
// it is, failing with ErrSchemaBehind otherwise). It fails (wrapping
// store.ErrUnavailable when the server cannot be reached) rather than waiting for the server.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	pc, err := pgxpool.ParseConfig(cfg.connString())
	if err != nil {
		return nil, fmt.Errorf("database config: %s", redactErr(err, cfg.connString()))
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pc.MinConns = cfg.MinConns
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	pc.ConnConfig.ConnectTimeout = timeout
	// A connection idle for a while is pinged before use; a ping never waits longer than a connect.
	pc.PingTimeout = timeout
	pc.HealthCheckPeriod = 30 * time.Second
	app := cfg.AppName
	if app == "" {
		app = "chess-server"
	}
	pc.ConnConfig.RuntimeParams["application_name"] = app
	// No acknowledgement before the commit is durable, whatever the parameter group says.
	pc.ConnConfig.RuntimeParams["synchronous_commit"] = "on"

	src, err := credentialSource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if src != nil {
		pc.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			user, pass, err := src.Credentials(ctx)
			if err != nil {
				return err
			}
			if user != "" {
				cc.User = user
			}
			cc.Password = pass
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	s := &Store{pool: pool, creds: src, log: log}
	if cfg.SkipMigrate {
		err = s.checkSchema(ctx)
	} else {
		_, err = s.migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	if cfg.GroupCommit > 0 {
		s.group = newGroupCommitter(s, cfg.GroupCommit)
	}
	return s, nil
}

// credentialSource picks where credentials come from at connection time (nil: the static ones).
func credentialSource(ctx context.Context, cfg Config) (CredentialSource, error) {
	if cfg.Credentials != nil {
		return cfg.Credentials, nil
	}
	if cfg.SecretARN == "" && !cfg.IAMAuth {
		return nil, nil
	}
	var ac aws.Config
	if cfg.AWS != nil {
		ac = cfg.AWS.Copy()
	} else {
		var opts []func(*awsconfig.LoadOptions) error
		if cfg.AWSRegion != "" {
			opts = append(opts, awsconfig.WithRegion(cfg.AWSRegion))
		}
		loaded, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("loading AWS configuration: %w", err)
		}
		ac = loaded
	}
	if cfg.AWSRegion != "" {
		ac.Region = cfg.AWSRegion
	}
	if cfg.SecretARN != "" {
		return NewSecretSource(secretsmanager.NewFromConfig(ac), cfg.SecretARN, cfg.SecretTTL), nil
	}
	return NewIAMSource(cfg.Host, cfg.Port, ac.Region, cfg.User, ac.Credentials)
}

// Close stops the group committers and closes every connection.
func (s *Store) Close() {
	if s.group != nil {
		s.group.close()
	}
	s.pool.Close()
}

// Ping implements store.Durable.
func (s *Store) Ping(ctx context.Context) error {
	return s.do(ctx, "ping", func(ctx context.Context) error { return s.pool.Ping(ctx) })
}

// migrate applies the pending migrations under goose's session advisory lock.
func (s *Store) migrate(ctx context.Context) ([]*goose.MigrationResult, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	// goose locks only when given a locker. Poll every second (its default is 5 s) for up to 5 min.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool) // through the pool, so BeforeConnect credentials apply
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true), goose.WithSlog(s.log))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var res []*goose.MigrationResult
	err = s.do(ctx, "migrating schema", func(ctx context.Context) error {
		var err error
		res, err = p.Up(ctx)
		return err
	})
	return res, err
}

// do runs f once more when the first failure is known not to have reached the server (a
// connection refused for credentials that the source has since been told about, or a request
// never sent), then classifies the error.
func (s *Store) do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	err := f(ctx)
	if err != nil && ctx.Err() == nil {
		retry := pgconn.SafeToRetry(err)
		if isAuthFailure(err) && s.creds != nil {
			s.creds.Refused()
			retry = true
		}
		if retry {
			err = f(ctx)
		}
	}
	if err != nil && isAuthFailure(err) && s.creds != nil {
		s.creds.Refused()
	}
	return classify(op, err)
}

// SQLSTATEs that change what an error means to the caller.
const (
	codeCommitConflict  = "CH409" // chess_commit_conflict() in the schema
	codeUniqueViolation = "23505"
	codeFKViolation     = "23503"
)

// classify wraps err with op and with the store sentinel it stands for.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrNameTaken) || errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == codeCommitConflict,
			pgErr.Code == "40001", // serialization_failure
			pgErr.Code == "40P01": // deadlock_detected (two commits locking rating rows in opposite order)
			return fmt.Errorf("%s: %w: %w", op, store.ErrConflict, err)
		case unavailableCode(pgErr.Code):
			return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
		case strings.HasPrefix(pgErr.Code, "22"):
			// data exception: 22021 (a NUL or invalid UTF-8), 22001 (too long), 22P02 ...
			return fmt.Errorf("%s: %w: %w", op, store.ErrInvalid, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	var scanErr pgx.ScanArgError
	if errors.As(err, &scanErr) {
		return fmt.Errorf("%s: %w", op, err) // our bug, not the server's state
	}
	// Everything else happened on the client side of the wire: dial errors, broken or closed
	// connections, timeouts, a closed pool, a credentials source that failed.
	return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
}

// unavailableCode reports whether a server error means "cannot serve now" rather than "this
// request is wrong".
func unavailableCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), // connection exception
		strings.HasPrefix(code, "53"),                     // insufficient resources (too many connections, disk full)
		strings.HasPrefix(code, "28"),                     // invalid authorization (rotated or wrong password)
		code == "57P01", code == "57P02", code == "57P03", // shutdown, crash, starting up
		code == "57014", // query canceled (statement_timeout, or our context)
		code == "25006", // read-only transaction: we reached a standby during a failover
		code == "3D000": // database does not exist (yet)
		return true
	}
	return false
}

func isAuthFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000")
}
