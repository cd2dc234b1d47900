package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/store"
)

// LatestGames implements store.Durable: a backward scan of the partial index of running games
// (games_active_idx on (created_at, id) WHERE status <> 'ended'), which stops after limit rows,
// however many games have ended. The state is read without its bulky parts, as PlayerGames
// reads it.
func (s *Store) LatestGames(ctx context.Context, limit int) ([]store.GameSummary, error) {
	if limit < 0 {
		return nil, fmt.Errorf("latest games: negative limit %d", limit)
	}
	out := []store.GameSummary{}
	if limit == 0 {
		return out, nil
	}
	err := s.do(ctx, "listing the latest running games", func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, latestGamesSQL, limit)
		if err != nil {
			return err
		}
		var (
			id    string
			plies int
			b     []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &plies, &b}, func() error {
			var st game.State
			if err := json.Unmarshal(b, &st); err != nil {
				return fmt.Errorf("decoding stored game %s: %w", id, err)
			}
			sum := store.Summarize(&st)
			sum.Plies = plies
			out = append(out, sum)
			return nil
		})
		return err
	})
	return out, err
}

// latestGamesSQL is shared with the test that checks its plan uses the index.
const latestGamesSQL = `
	SELECT id, plies, state - '{moves,rules,clock,acks}'::text[]
	FROM games WHERE status <> 'ended'
	ORDER BY created_at DESC, id DESC
	LIMIT $1`
