package store

import (
	"context"
	"errors"
	"sort"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/rating"
)

// ErrRankingsNotBuilt is returned by Live's ranking reads while the rankings have not been
// rebuilt since Live was emptied (first start, or Redis lost its data): callers answer from
// Durable meanwhile.
var ErrRankingsNotBuilt = errors.New("rankings not built yet")

// Ranking answers leaderboard and rank queries. Every implementation ranks the same players in
// the same order: registered (not guest), non-provisional players of one speed, higher rating
// (the exact R, not the rounded one) first, equal ratings by name in byte order (RankBefore).
type Ranking interface {
	// Leaderboard lists the first limit ranked players of a speed.
	Leaderboard(ctx context.Context, speed rating.Speed, limit int) ([]LeaderboardEntry, error)
	// Ranks returns the 1-based rank of the player with exactly this name in each speed where
	// the player is ranked; the other speeds are absent (provisional, guest, unknown).
	Ranks(ctx context.Context, name string) (map[rating.Speed]int, error)
}

// RankEntry is a player's rating in one speed as a ranking holds it.
type RankEntry struct {
	PlayerID string
	Name     string
	Guest    bool
	Speed    rating.Speed
	Rating   rating.Rating
	// Version is the rating row's version after the write (PlayerRating.Version): Live keeps
	// the entry with the highest version, so a late or repeated update never undoes a newer one.
	Version int64
}

// Ranked reports whether the entry belongs on its speed's leaderboard.
func (e RankEntry) Ranked() bool { return !e.Guest && !e.Rating.Provisional() }

// RankBefore is the order of every ranking: higher R first, then the name in byte order
// (PostgreSQL's COLLATE "C", Redis's order of equal scores).
func RankBefore(a, b LeaderboardEntry) bool {
	if a.Rating.R != b.Rating.R {
		return a.Rating.R > b.Rating.R
	}
	return a.Name < b.Name
}

// SortRanking sorts entries by RankBefore.
func SortRanking(entries []LeaderboardEntry) {
	sort.Slice(entries, func(i, j int) bool { return RankBefore(entries[i], entries[j]) })
}

// RankSpeeds are the speeds that have a ranking, fastest first.
var RankSpeeds = []rating.Speed{rating.Bullet, rating.Blitz, rating.Rapid, rating.Classical}

// RankingLive is the part of Live that holds the rankings: a copy of Durable's, kept in step by
// PutResult (atomically with the game end that changed the ratings) and rebuilt from Durable
// after Live lost its data (ClaimRankRebuild, LoadRanks, FinishRankRebuild).
type RankingLive interface {
	// Leaderboard and Ranks answer ErrRankingsNotBuilt until a rebuild finished since Live
	// was last emptied.
	Ranking
	// PutResult is PutGame for a commit that also changed ratings: the entries are applied
	// in the same atomic step that caches and publishes the game's events, so a rating change
	// is never visible before its game's end. An entry older than the one held (by Version)
	// is ignored.
	PutResult(ctx context.Context, st *game.State, events []game.Event, ranks []RankEntry) error
	// ClaimRankRebuild reports whether the rankings need a rebuild and leases the job to the
	// caller for leaseMs; token identifies the Live lifetime it rebuilds for. A claimed
	// rebuild starts from empty rankings.
	ClaimRankRebuild(ctx context.Context, leaseMs int64) (token string, claimed bool, err error)
	// RenewRankRebuild extends the caller's lease by leaseMs; false means the lease was lost
	// (expired, or taken over) and the caller must stop.
	RenewRankRebuild(ctx context.Context, leaseMs int64) (bool, error)
	// LoadRanks applies entries read from Durable, each only if newer than the one held.
	LoadRanks(ctx context.Context, entries []RankEntry) error
	// FinishRankRebuild marks the rankings built, if Live has not been emptied again since
	// the claim (token), and ends the lease.
	FinishRankRebuild(ctx context.Context, token string) error
}

// RankingDurable is the part of Durable the rebuild reads.
type RankingDurable interface {
	Ranking
	// RankedPage returns up to limit ranked entries of a speed whose player id is after
	// `after` ("" for the first page), in player id order.
	RankedPage(ctx context.Context, speed rating.Speed, after string, limit int) ([]RankEntry, error)
}
