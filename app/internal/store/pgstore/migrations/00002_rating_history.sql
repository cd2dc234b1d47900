-- A player's rating per speed after each rated game, written by CommitGame in the same
-- statement as the rating update it records (profiles draw it; a rating can be audited game by
-- game). Points start with this migration: games rated before it left no point.

-- +goose Up
CREATE TABLE rating_history (
    player_id text NOT NULL REFERENCES players (id),
    speed     text NOT NULL CHECK (speed IN ('bullet', 'blitz', 'rapid', 'classical')),
    game_id   text NOT NULL REFERENCES games (id),
    r         double precision NOT NULL,
    rd        double precision NOT NULL,
    vol       double precision NOT NULL,
    -- games counts the player's rated games of the speed, this one included: the order of the
    -- points. Not unique on purpose: a surprise duplicate must never block a game's last commit.
    games     integer NOT NULL CHECK (games >= 0),
    rated_at  timestamptz NOT NULL,
    PRIMARY KEY (player_id, speed, game_id)
);
CREATE INDEX rating_history_order_idx ON rating_history (player_id, speed, games DESC, rated_at DESC);

-- +goose Down
DROP TABLE rating_history;
