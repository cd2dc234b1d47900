package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
)

// lostLeaseLive is a Live whose rebuild lease is always lost (another instance took it over).
type lostLeaseLive struct{ store.Live }

func (lostLeaseLive) RenewRankRebuild(context.Context, int64) (bool, error) { return false, nil }

// TestRankRebuildStopsWhenItsLeaseIsLost: a rebuild that no longer holds its lease stops before
// loading anything and does not mark the rankings built (another instance is rebuilding them
// from empty sets); reads keep answering from Durable meanwhile.
func TestRankRebuildStopsWhenItsLeaseIsLost(t *testing.T) {
	d := memstore.NewDurable()
	host := newStorePlayer(t, d, "host_player", false)
	p := newStorePlayer(t, d, "ranked_one", false)
	seedRating(t, d, p, host, rating.Blitz, rating.Rating{R: 1900, RD: 60, Vol: 0.06, Games: 40}, time.Now().UnixMilli())
	l := memstore.NewLive(func() int64 { return time.Now().UnixMilli() })
	s := startServer(t, d, lostLeaseLive{l}, Config{EpochInterval: time.Hour})
	ctx := context.Background()

	s.checkRankings(ctx) // the rankings loop may have claimed first; then it runs this
	assert.Never(t, func() bool {
		_, err := l.Leaderboard(ctx, rating.Blitz, 10)
		return !errors.Is(err, store.ErrRankingsNotBuilt)
	}, 300*time.Millisecond, 10*time.Millisecond, "a rebuild without its lease finished")
	lb, err := s.Leaderboard(ctx, rating.Blitz, 10)
	require.NoError(t, err)
	require.Len(t, lb, 1, "the answer comes from Durable")
	assert.Equal(t, p.Name, lb[0].Name)
}
