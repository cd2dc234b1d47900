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
    -- points (ratings are version-checked, so no two commits write the same count).
    games     integer NOT NULL CHECK (games > 0),
    rated_at  timestamptz NOT NULL,
    PRIMARY KEY (player_id, speed, game_id)
);
CREATE UNIQUE INDEX rating_history_order_idx ON rating_history (player_id, speed, games DESC);

-- +goose Down
DROP TABLE rating_history;
