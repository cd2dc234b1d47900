package pgstore

import (
	"context"
	"fmt"

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
		out, err = appendSummaries(out, rows)
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
