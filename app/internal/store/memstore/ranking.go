package memstore

import (
	"context"
	"fmt"

	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// rankings are Live's copy of the rankings, guarded by Live.mu: every entry written, ranked or
// not, so that its version decides over a late update.
type rankings struct {
	entries    map[rating.Speed]map[string]store.RankEntry // speed -> name -> entry
	built      bool
	leaseUntil int64 // Unix ms; a rebuild is under way until then
}

// apply keeps each entry that is newer than the one held.
func (r *rankings) apply(entries []store.RankEntry) {
	for _, e := range entries {
		m := r.entries[e.Speed]
		if m == nil {
			m = map[string]store.RankEntry{}
			r.entries[e.Speed] = m
		}
		if cur, ok := m[e.Name]; ok && cur.Version >= e.Version {
			continue
		}
		m[e.Name] = e
	}
}

// ranking lists the ranked entries of a speed in order.
func (r *rankings) ranking(speed rating.Speed) []store.LeaderboardEntry {
	var out []store.LeaderboardEntry
	for _, e := range r.entries[speed] {
		if e.Ranked() {
			out = append(out, store.LeaderboardEntry{Name: e.Name, Rating: e.Rating})
		}
	}
	store.SortRanking(out)
	return out
}

// Leaderboard implements store.Live.
func (l *Live) Leaderboard(_ context.Context, speed rating.Speed, limit int) ([]store.LeaderboardEntry, error) {
	if limit < 0 {
		return nil, fmt.Errorf("leaderboard: negative limit %d", limit)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ranks.built {
		return nil, store.ErrRankingsNotBuilt
	}
	out := l.ranks.ranking(speed)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Ranks implements store.Live.
func (l *Live) Ranks(_ context.Context, name string) (map[rating.Speed]int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ranks.built {
		return nil, store.ErrRankingsNotBuilt
	}
	out := map[rating.Speed]int{}
	for _, speed := range store.RankSpeeds {
		for i, e := range l.ranks.ranking(speed) {
			if e.Name == name {
				out[speed] = i + 1
				break
			}
		}
	}
	return out, nil
}

// ClaimRankRebuild implements store.Live. The memory store is never emptied while it runs, so
// one rebuild (of what the memory Durable holds at start) is all it ever needs.
func (l *Live) ClaimRankRebuild(_ context.Context, leaseMs int64) (string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.ranks.built || now < l.ranks.leaseUntil {
		return "", false, nil
	}
	l.ranks.leaseUntil = now + leaseMs
	clear(l.ranks.entries) // a rebuild starts from nothing, as in Redis
	return "memory", true, nil
}

// RenewRankRebuild implements store.Live (one process: the lease is always its own).
func (l *Live) RenewRankRebuild(_ context.Context, leaseMs int64) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ranks.built {
		return false, nil
	}
	l.ranks.leaseUntil = l.now() + leaseMs
	return true, nil
}

// LoadRanks implements store.Live.
func (l *Live) LoadRanks(_ context.Context, entries []store.RankEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ranks.apply(entries)
	return nil
}

// FinishRankRebuild implements store.Live.
func (l *Live) FinishRankRebuild(_ context.Context, token string) error {
	if token != "memory" {
		return fmt.Errorf("finish rank rebuild: unknown token %q", token)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ranks.built, l.ranks.leaseUntil = true, 0
	return nil
}
