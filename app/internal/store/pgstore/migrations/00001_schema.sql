-- Initial schema of the durable store. Keep it in step with store.Durable and pgstore's queries.

-- +goose Up
CREATE TABLE players (
    id            text PRIMARY KEY,
    name          text NOT NULL CHECK (name <> ''),
    guest         boolean NOT NULL DEFAULT false,
    password_hash text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL
);
-- Names are unique regardless of case; PlayerByName looks up through this index too.
CREATE UNIQUE INDEX players_name_lower_key ON players (lower(name));

CREATE TABLE ratings (
    player_id  text NOT NULL REFERENCES players (id),
    speed      text NOT NULL CHECK (speed IN ('bullet', 'blitz', 'rapid', 'classical')),
    r          double precision NOT NULL,
    rd         double precision NOT NULL,
    vol        double precision NOT NULL,
    games      integer NOT NULL CHECK (games >= 0),
    last_rated timestamptz,
    -- version counts the writes of this row (compare-and-set in CommitGame); a missing row is version 0.
    version    bigint NOT NULL CHECK (version > 0),
    PRIMARY KEY (player_id, speed)
);
-- Leaderboard: established ratings of one speed, best first. "rd < 110" must stay the negation
-- of rating.Rating.Provisional (RD >= 110) so that the leaderboard query can use this index.
CREATE INDEX ratings_leaderboard_idx ON ratings (speed, r DESC) WHERE rd < 110;

CREATE TABLE games (
    id         text PRIMARY KEY,
    white_id   text NOT NULL REFERENCES players (id),
    black_id   text NOT NULL REFERENCES players (id),
    tc         text NOT NULL,
    rated      boolean NOT NULL,
    speed      text NOT NULL CHECK (speed IN ('bullet', 'blitz', 'rapid', 'classical')),
    status     text NOT NULL CHECK (status IN ('started', 'ended')),
    result     text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    -- v is the version of the last committed event (game.State.V): the compare-and-set key.
    v          bigint NOT NULL CHECK (v >= 0),
    -- plies is len(state.moves): it guards the moves table against a gap or a repeated ply and
    -- lets history lines show the length without reading the moves.
    plies      integer NOT NULL DEFAULT 0 CHECK (plies >= 0),
    state      jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    ended_at   timestamptz,
    CHECK (white_id <> black_id)
) WITH (fillfactor = 80); -- room on the page so that a move's update can stay HOT (no index column changes)

-- A player's history, newest first: one index per colour. PlayerGames reads the top N of each
-- and merges them (2N rows at most), and Record ORs both with a bitmap scan. A player_games
-- table would save that merge but costs two more rows and index entries per game written at
-- game creation, and a join back to games for every history line.
CREATE INDEX games_white_history_idx ON games (white_id, created_at DESC);
CREATE INDEX games_black_history_idx ON games (black_id, created_at DESC);
-- Running games (rebuilding Live after a Redis loss); ended games leave the index.
CREATE INDEX games_active_idx ON games (created_at, id) WHERE status <> 'ended';

CREATE TABLE moves (
    game_id   text NOT NULL REFERENCES games (id),
    ply       integer NOT NULL CHECK (ply > 0),
    uci       text NOT NULL,
    san       text NOT NULL,
    fen       text NOT NULL,
    clock_w   bigint NOT NULL,
    clock_b   bigint NOT NULL,
    played_at timestamptz NOT NULL,
    PRIMARY KEY (game_id, ply)
);

-- CommitGame calls this from its single statement when the game row matched but a rating row
-- did not: raising aborts the whole statement, so nothing of the commit stays. SQLSTATE CH409
-- is ours; pgstore maps it to store.ErrConflict.
-- +goose StatementBegin
CREATE FUNCTION chess_commit_conflict(game_id text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rating version conflict committing game %', game_id USING ERRCODE = 'CH409';
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION chess_commit_conflict(text);
DROP TABLE moves;
DROP TABLE games;
DROP TABLE ratings;
DROP TABLE players;
