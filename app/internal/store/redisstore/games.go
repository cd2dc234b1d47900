package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/store"
)

// GetGame implements store.Live.
func (s *Store) GetGame(ctx context.Context, id string) (*game.State, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	b, err := s.rdb.HGet(ctx, s.gameKey(id), "s").Bytes()
	if err != nil {
		return nil, wrap("reading game "+id, err)
	}
	var st game.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decoding cached game %s: %w", id, err)
	}
	return &st, nil
}

// PutGame implements store.Live with one script (putGameScript): the version check, the state,
// the history, the deadline and the PUBLISH of each new event happen atomically, so two
// instances committing consecutive versions still publish them in version order.
func (s *Store) PutGame(ctx context.Context, st *game.State, events []game.Event) error {
	return s.putGame(ctx, st, events, nil)
}

// putGame runs putGameScript, with the ranking entries of PutResult.
func (s *Store) putGame(ctx context.Context, st *game.State, events []game.Event, ranks []store.RankEntry) error {
	if st == nil || st.ID == "" {
		return errors.New("put game: no game state or no id")
	}
	if err := store.CheckEvents(st, events); err != nil {
		return err
	}
	b, err := st.EncodeJSON()
	if err != nil {
		return err
	}
	ended := "0"
	if st.Ended() {
		ended = "1"
	}
	join := "0"
	if len(events) > 0 && !events[0].State {
		join = "1"
	}
	args := make([]any, 0, 10+5*len(ranks)+2*len(events))
	args = append(args,
		strconv.FormatInt(st.V, 10), b, strconv.FormatInt(st.Deadline(), 10), ended,
		store.HistorySize, s.channel(store.GameTopic(st.ID)), s.cfg.EndedGameTTL.Milliseconds(), st.ID, join, len(ranks))
	for _, e := range ranks {
		args = rankArgs(args, e)
	}
	for _, e := range events {
		args = append(args, strconv.FormatInt(e.V, 10), e.Frame)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	keys := []string{s.gameKey(st.ID), s.histKey(st.ID), s.deadlineKey(), s.rankKey(st.Speed), s.rankDataKey(st.Speed)}
	err = s.puts.run(ctx, keys, args)
	if errors.Is(err, store.ErrGap) {
		return fmt.Errorf("caching game %s v%d: %w", st.ID, st.V, err)
	}
	return wrap(fmt.Sprintf("caching game %s v%d", st.ID, st.V), err)
}

// PublishedVersions implements store.Live with one pipelined HMGET per game.
func (s *Store) PublishedVersions(ctx context.Context, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		chunk := ids[start:min(start+batch, len(ids))]
		ctx, cancel := s.opCtx(ctx)
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(chunk))
		for i, id := range chunk {
			cmds[i] = pipe.HMGet(ctx, s.gameKey(id), "v", "p")
		}
		_, err := pipe.Exec(ctx)
		cancel()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, wrap("reading published versions", err)
		}
		for i, c := range cmds {
			vals, err := c.Result()
			if err != nil {
				return nil, wrap("reading the published version of "+chunk[i], err)
			}
			if len(vals) != 2 || vals[0] == nil {
				continue // not cached
			}
			var p int64
			if s, ok := vals[1].(string); ok {
				if p, err = strconv.ParseInt(s, 10, 64); err != nil {
					return nil, fmt.Errorf("published version of %s: %w", chunk[i], err)
				}
			}
			out[chunk[i]] = max(p, 0)
		}
	}
	return out, nil
}

// DropGame implements store.Live. The game's deadline stays armed: a due game that is not
// cached is loaded from the durable store by whoever handles it, so dropping a stale cache
// never loses a flag fall.
func (s *Store) DropGame(ctx context.Context, id string) error {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	return wrap("dropping game "+id, s.rdb.Del(ctx, s.gameKey(id), s.histKey(id)).Err())
}

// History implements store.Live.
func (s *Store) History(ctx context.Context, id string, afterV int64) ([][]byte, bool, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	res, err := historyScript.Run(ctx, s.rdb, []string{s.gameKey(id), s.histKey(id)}, strconv.FormatInt(afterV, 10)).Slice()
	if err != nil {
		return nil, false, wrap("reading history of "+id, err)
	}
	if len(res) == 0 {
		return nil, false, fmt.Errorf("reading history of %s: empty script reply", id)
	}
	if ok, _ := res[0].(int64); ok != 1 {
		return nil, false, nil
	}
	var frames [][]byte
	if len(res) > 1 {
		list, _ := res[1].([]any)
		for _, f := range list {
			str, ok := f.(string)
			if !ok {
				return nil, false, fmt.Errorf("reading history of %s: unexpected entry %T", id, f)
			}
			frames = append(frames, []byte(str))
		}
	}
	return frames, true, nil
}

// DueGames implements store.Live.
func (s *Store) DueGames(ctx context.Context, now, leaseMs int64, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	if leaseMs <= 0 {
		return nil, fmt.Errorf("due games: lease %d ms must be positive", leaseMs)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	ids, err := dueGamesScript.Run(ctx, s.rdb, []string{s.deadlineKey()},
		strconv.FormatInt(now, 10), strconv.FormatInt(now+leaseMs, 10), limit).StringSlice()
	if err != nil {
		return nil, wrap("leasing due games", err)
	}
	return ids, nil
}

// ArmDeadline implements store.Live.
func (s *Store) ArmDeadline(ctx context.Context, id string, v, at int64) error {
	if at < 0 {
		return fmt.Errorf("arm deadline of %s: negative time %d", id, at)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	err := armDeadlineScript.Run(ctx, s.rdb, []string{s.gameKey(id), s.deadlineKey()}, strconv.FormatInt(at, 10), id, strconv.FormatInt(v, 10)).Err()
	return wrap("arming deadline of "+id, err)
}
