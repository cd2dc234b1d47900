-- The application's own database role: the backend connects as chess_app, which may read and
-- write the application's rows but not change the schema. Only the migrations (run as the
-- master user by `chess-server -migrate`) create, alter or drop anything. Roles belong to the
-- whole server, so the role is created only if missing (several databases of one server, as
-- in the tests, share it; two databases migrating at once may race to create it).
--
-- Login: on RDS the role is a member of rds_iam, so it signs in with IAM auth tokens only
-- (the backend's task role holds rds-db:connect for this user alone) and has no password. A
-- server without rds_iam (plain PostgreSQL: tests, make dev) lets pg_hba decide.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chess_app') THEN
        BEGIN
            CREATE ROLE chess_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created meanwhile by a migration of another database
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO chess_app;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO chess_app', current_database());
    -- No temporary tables either (PUBLIC has TEMPORARY by default; the application needs none).
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
-- +goose StatementEnd

-- PostgreSQL 15+ no longer lets PUBLIC create in the public schema; say so for older servers.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO chess_app;
-- DML on the application's tables, and on the tables later migrations create (default
-- privileges apply to objects the migrating role creates). No TRUNCATE, REFERENCES or TRIGGER.
GRANT SELECT, INSERT, UPDATE, DELETE ON players, ratings, games, moves, rating_history TO chess_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO chess_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO chess_app;
-- The backend checks at start that the schema is current (it reads goose's table, never writes it).
GRANT SELECT ON goose_db_version TO chess_app;
-- CommitGame's conflict function: executable by the role, owned by the migrator.
REVOKE EXECUTE ON FUNCTION chess_commit_conflict(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chess_commit_conflict(text) TO chess_app;

-- +goose Down
REVOKE EXECUTE ON FUNCTION chess_commit_conflict(text) FROM chess_app;
GRANT EXECUTE ON FUNCTION chess_commit_conflict(text) TO PUBLIC;
REVOKE SELECT ON goose_db_version FROM chess_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM chess_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM chess_app;
REVOKE SELECT, INSERT, UPDATE, DELETE ON players, ratings, games, moves, rating_history FROM chess_app;
REVOKE USAGE ON SCHEMA public FROM chess_app;
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM chess_app', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;
-- +goose StatementEnd
-- The role stays: other databases of the server may use it.
