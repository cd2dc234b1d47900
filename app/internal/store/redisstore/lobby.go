package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"chessplatform/app/internal/store"
)

// seekJSON is the stored form of a seek. The whole string is compared when pairs are taken, so
// a seek that changed after it was read is never taken.
type seekJSON struct {
	PlayerID string `json:"p"`
	Name     string `json:"n"`
	Rating   int    `json:"r"`
	TC       string `json:"tc"`
	Rated    bool   `json:"rated,omitempty"`
	Since    int64  `json:"since"`
}

// AddSeek implements store.Live. All seeks live in one hash keyed by player, so a player's
// new seek replaces the old one in whatever pool it was, in one command.
func (s *Store) AddSeek(ctx context.Context, sk store.Seek) error {
	if sk.PlayerID == "" || sk.TC == "" {
		return errors.New("add seek: player id and time control are required")
	}
	b, err := json.Marshal(seekJSON(sk))
	if err != nil {
		return fmt.Errorf("encoding seek: %w", err)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	return wrap("adding seek of "+sk.PlayerID, s.rdb.HSet(ctx, s.seekKey(), sk.PlayerID, b).Err())
}

// RemoveSeek implements store.Live.
func (s *Store) RemoveSeek(ctx context.Context, playerID string) (bool, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	n, err := s.rdb.HDel(ctx, s.seekKey(), playerID).Result()
	if err != nil {
		return false, wrap("removing seek of "+playerID, err)
	}
	return n > 0, nil
}

type poolKey struct {
	tc    string
	rated bool
}

// MatchSeeks implements store.Live: it reads every seek at once, pairs each pool with
// store.PairPool, then removes the pairs with takePairsScript, which keeps only the pairs
// whose two seeks are still stored unchanged. Concurrent callers on other instances may
// propose the same seeks; only one of them takes each.
func (s *Store) MatchSeeks(ctx context.Context, now int64) ([][2]store.Seek, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	all, err := s.rdb.HGetAll(ctx, s.seekKey()).Result()
	if err != nil {
		return nil, wrap("reading seeks", err)
	}
	raw := make(map[string]string, len(all)) // player -> stored JSON
	pools := map[poolKey][]store.Seek{}
	for player, j := range all {
		var sj seekJSON
		if err := json.Unmarshal([]byte(j), &sj); err != nil || sj.PlayerID != player {
			s.log.WarnContext(ctx, "dropping unreadable seek", "player", player, "err", err)
			s.rdb.HDel(ctx, s.seekKey(), player)
			continue
		}
		raw[player] = j
		k := poolKey{sj.TC, sj.Rated}
		pools[k] = append(pools[k], store.Seek(sj))
	}
	var proposed [][2]store.Seek
	for _, pool := range pools {
		proposed = append(proposed, store.PairPool(pool, now)...)
	}
	if len(proposed) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 4*len(proposed))
	for _, p := range proposed {
		args = append(args, p[0].PlayerID, raw[p[0].PlayerID], p[1].PlayerID, raw[p[1].PlayerID])
	}
	taken, err := takePairsScript.Run(ctx, s.rdb, []string{s.seekKey()}, args...).Int64Slice()
	if err != nil {
		return nil, wrap("taking paired seeks", err)
	}
	pairs := make([][2]store.Seek, 0, len(taken))
	for _, i := range taken {
		if i < 0 || int(i) >= len(proposed) {
			return nil, fmt.Errorf("taking paired seeks: script returned index %d of %d", i, len(proposed))
		}
		pairs = append(pairs, proposed[i])
	}
	return pairs, nil
}
