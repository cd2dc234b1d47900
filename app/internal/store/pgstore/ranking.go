package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// The ranking rules in SQL: "rd < 110" is "not rating.Provisional" and matches the predicate of
// ratings_leaderboard_idx; equal ratings are ordered by name in byte order (COLLATE "C"), the
// order Redis gives equal scores, whatever the database's default collation is.

// Leaderboard implements store.Durable.
func (s *Store) Leaderboard(ctx context.Context, speed rating.Speed, limit int) ([]store.LeaderboardEntry, error) {
	if limit < 0 {
		return nil, fmt.Errorf("leaderboard: negative limit %d", limit)
	}
	var out []store.LeaderboardEntry
	if limit == 0 {
		return out, nil
	}
	err := s.do(ctx, "reading leaderboard "+string(speed), func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, `
			SELECT p.name, r.r, r.rd, r.vol, r.games, r.last_rated
			FROM ratings r JOIN players p ON p.id = r.player_id
			WHERE r.speed = $1 AND r.rd < 110 AND NOT p.guest
			ORDER BY r.r DESC, p.name COLLATE "C"
			LIMIT $2`, string(speed), limit)
		if err != nil {
			return err
		}
		var (
			e    store.LeaderboardEntry
			last pgtype.Timestamptz
		)
		_, err = pgx.ForEachRow(rows, []any{&e.Name, &e.Rating.R, &e.Rating.RD, &e.Rating.Vol, &e.Rating.Games, &last}, func() error {
			e.Rating.LastRated = fromTimestamptz(last)
			out = append(out, e)
			return nil
		})
		return err
	})
	return out, err
}

// Ranks implements store.Durable: per ranked speed of the player, one plus the number of ranked
// players ahead. The count walks ratings_leaderboard_idx down to the player's rating, so it
// costs in proportion to the rank (the reason Live keeps the rankings).
func (s *Store) Ranks(ctx context.Context, name string) (map[rating.Speed]int, error) {
	out := map[rating.Speed]int{}
	err := s.do(ctx, "reading ranks of "+name, func(ctx context.Context) error {
		clear(out)
		rows, err := s.pool.Query(ctx, `
			SELECT me.speed, 1 + (
				SELECT count(*) FROM ratings o JOIN players q ON q.id = o.player_id
				WHERE o.speed = me.speed AND o.rd < 110 AND NOT q.guest
				  AND (o.r > me.r OR (o.r = me.r AND q.name COLLATE "C" < p.name COLLATE "C")))
			FROM players p JOIN ratings me ON me.player_id = p.id
			WHERE lower(p.name) = lower($1) AND p.name = $1 AND me.rd < 110 AND NOT p.guest`, name)
		if err != nil {
			return err
		}
		var (
			speed string
			rank  int
		)
		_, err = pgx.ForEachRow(rows, []any{&speed, &rank}, func() error {
			out[rating.Speed(speed)] = rank
			return nil
		})
		return err
	})
	return out, err
}

// RankedPage implements store.Durable through the ratings primary key (player_id, speed).
func (s *Store) RankedPage(ctx context.Context, speed rating.Speed, after string, limit int) ([]store.RankEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("ranked page: limit %d must be positive", limit)
	}
	var out []store.RankEntry
	err := s.do(ctx, "reading ranked players of "+string(speed), func(ctx context.Context) error {
		out = make([]store.RankEntry, 0, limit)
		rows, err := s.pool.Query(ctx, `
			SELECT r.player_id, p.name, r.r, r.rd, r.vol, r.games, r.last_rated, r.version
			FROM ratings r JOIN players p ON p.id = r.player_id
			WHERE r.speed = $1 AND r.player_id > $2 AND r.rd < 110 AND NOT p.guest
			ORDER BY r.player_id
			LIMIT $3`, string(speed), after, limit)
		if err != nil {
			return err
		}
		var (
			e    = store.RankEntry{Speed: speed}
			last pgtype.Timestamptz
		)
		_, err = pgx.ForEachRow(rows, []any{&e.PlayerID, &e.Name, &e.Rating.R, &e.Rating.RD, &e.Rating.Vol, &e.Rating.Games, &last, &e.Version}, func() error {
			e.Rating.LastRated = fromTimestamptz(last)
			out = append(out, e)
			return nil
		})
		return err
	})
	return out, err
}
