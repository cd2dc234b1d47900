package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// The rankings (one per speed):
//
//	rank:<speed>    zset   name -> -R of every ranked player (not guest, not provisional). The
//	                       score is the exact rating negated, so ascending order is highest
//	                       rating first, and Redis orders equal scores by member bytes: the name
//	                       in byte order, as PostgreSQL's COLLATE "C" tie-break does.
//	rank:<speed>:d  hash   name -> "version R RD vol games lastRatedMs" of every player whose
//	                       rating was written, ranked or not: the version decides over a late
//	                       update, and the leaderboard reads RD and games from it.
//	rank:built      string the epoch value the rankings were last rebuilt for; deleting it
//	                       forces a rebuild from nothing (reads fall back to Durable meanwhile)
//	rank:lease      string the instance rebuilding them (PX)
//
// Reads compare rank:built with the epoch key in the same script: after Redis lost its data
// both are gone and the rankings answer store.ErrRankingsNotBuilt until a rebuild finished.

// setRankLua defines set_rank(zset, hash, name, version, ranked "1"/"0", score, data): the
// entry is written only if its version is newer than the one held.
const setRankLua = `
local function set_rank(zkey, hkey, name, ver, ranked, score, data)
  local cur = redis.call('HGET', hkey, name)
  if cur and tonumber(string.match(cur, '^%d+')) >= tonumber(ver) then return end
  redis.call('HSET', hkey, name, data)
  if ranked == '1' then
    redis.call('ZADD', zkey, score, name)
  else
    redis.call('ZREM', zkey, name)
  end
end
`

// loadRanksScript applies entries of one speed. KEYS: 1 ranking zset, 2 ranking hash. ARGV:
// entries of 5 (see setRankLua).
var loadRanksScript = redis.NewScript(setRankLua + `
for i = 1, #ARGV, 5 do
  set_rank(KEYS[1], KEYS[2], ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
end
return 1
`)

// builtCheckLua returns false from a script unless the rankings were built for the current
// epoch. KEYS: 1 epoch, 2 rank:built.
const builtCheckLua = `
local ep = redis.call('GET', KEYS[1])
if (not ep) or redis.call('GET', KEYS[2]) ~= ep then return false end
`

// leaderboardScript returns name, data, name, data, ... of the first ARGV[1] ranked players.
// KEYS: 1 epoch, 2 rank:built, 3 ranking zset, 4 ranking hash.
var leaderboardScript = redis.NewScript(builtCheckLua + `
local names = redis.call('ZRANGE', KEYS[3], 0, tonumber(ARGV[1]) - 1)
local out = {}
for _, n in ipairs(names) do
  out[#out + 1] = n
  out[#out + 1] = redis.call('HGET', KEYS[4], n) or ''
end
return out
`)

// ranksScript returns the 1-based rank of ARGV[1] in each ranking zset of KEYS[3...] (0: not
// ranked). KEYS: 1 epoch, 2 rank:built, then the zsets.
var ranksScript = redis.NewScript(builtCheckLua + `
local out = {}
for i = 3, #KEYS do
  local r = redis.call('ZRANK', KEYS[i], ARGV[1])
  if r then out[#out + 1] = r + 1 else out[#out + 1] = 0 end
end
return out
`)

// claimRebuildScript returns the epoch value when the rankings need a rebuild and the lease
// was free, else false. A claimed rebuild starts from nothing: the ranking keys are deleted,
// so whatever they held that Durable no longer says (an update that never arrived) goes too.
// That is safe against games ending meanwhile: an entry Redis took before this point was
// committed to Durable before it, so the rebuild's reads, which come after, see it.
// KEYS: 1 epoch, 2 rank:built, 3 rank:lease, then the ranking keys. ARGV: 1 lease ms, 2 owner.
var claimRebuildScript = redis.NewScript(`
local ep = redis.call('GET', KEYS[1])
if not ep then return false end
if redis.call('GET', KEYS[2]) == ep then return false end
if not redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[1]) then return false end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
return ep
`)

// renewRebuildScript extends the lease if ARGV[2] still holds it. KEYS: 1 rank:lease.
// ARGV: 1 lease ms, 2 owner.
var renewRebuildScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

// finishRebuildScript marks the rankings built for epoch ARGV[1] if that is still the epoch,
// and releases the lease if it is still ARGV[2]'s. KEYS: 1 epoch, 2 rank:built, 3 rank:lease.
var finishRebuildScript = redis.NewScript(`
local built = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[1])
  built = 1
end
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return built
`)

func (s *Store) epochKey() string                   { return s.prefix + "epoch" }
func (s *Store) rankKey(sp rating.Speed) string     { return s.prefix + "rank:" + string(sp) }
func (s *Store) rankDataKey(sp rating.Speed) string { return s.prefix + "rank:" + string(sp) + ":d" }
func (s *Store) rankBuiltKey() string               { return s.prefix + "rank:built" }
func (s *Store) rankLeaseKey() string               { return s.prefix + "rank:lease" }

// rankArgs appends an entry's five script arguments (see setRankLua).
func rankArgs(args []any, e store.RankEntry) []any {
	ranked := "0"
	if e.Ranked() {
		ranked = "1"
	}
	var last int64
	if !e.Rating.LastRated.IsZero() {
		last = e.Rating.LastRated.UnixMilli()
	}
	data := strings.Join([]string{
		strconv.FormatInt(e.Version, 10), fmtFloat(e.Rating.R), fmtFloat(e.Rating.RD), fmtFloat(e.Rating.Vol),
		strconv.Itoa(e.Rating.Games), strconv.FormatInt(last, 10),
	}, " ")
	return append(args, e.Name, strconv.FormatInt(e.Version, 10), ranked, fmtFloat(-e.Rating.R), data)
}

// fmtFloat formats f so that Redis (strtod) and ParseFloat read back exactly f.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// parseRankData reads a ranking hash value.
func parseRankData(name, s string) (store.LeaderboardEntry, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return store.LeaderboardEntry{}, fmt.Errorf("ranking entry of %s: malformed %q", name, s)
	}
	var (
		e    = store.LeaderboardEntry{Name: name}
		last int64
		errs [5]error
	)
	e.Rating.R, errs[0] = strconv.ParseFloat(f[1], 64)
	e.Rating.RD, errs[1] = strconv.ParseFloat(f[2], 64)
	e.Rating.Vol, errs[2] = strconv.ParseFloat(f[3], 64)
	e.Rating.Games, errs[3] = strconv.Atoi(f[4])
	last, errs[4] = strconv.ParseInt(f[5], 10, 64)
	if err := errors.Join(errs[:]...); err != nil {
		return store.LeaderboardEntry{}, fmt.Errorf("ranking entry of %s: %w", name, err)
	}
	if last != 0 {
		e.Rating.LastRated = time.UnixMilli(last).UTC()
	}
	return e, nil
}

// PutResult implements store.Live: PutGame's script with the ranking entries.
func (s *Store) PutResult(ctx context.Context, st *game.State, events []game.Event, ranks []store.RankEntry) error {
	for _, e := range ranks {
		if st == nil || e.Speed != st.Speed || e.Name == "" || e.Version <= 0 {
			return fmt.Errorf("put result: ranking entry %+v does not fit the game", e)
		}
	}
	return s.putGame(ctx, st, events, ranks)
}

// Leaderboard implements store.Live.
func (s *Store) Leaderboard(ctx context.Context, speed rating.Speed, limit int) ([]store.LeaderboardEntry, error) {
	if limit < 0 {
		return nil, fmt.Errorf("leaderboard: negative limit %d", limit)
	}
	out := []store.LeaderboardEntry{}
	if limit == 0 {
		return out, nil
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	res, err := leaderboardScript.Run(ctx, s.rdb,
		[]string{s.epochKey(), s.rankBuiltKey(), s.rankKey(speed), s.rankDataKey(speed)}, limit).StringSlice()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrRankingsNotBuilt
	}
	if err != nil {
		return nil, wrap("reading leaderboard "+string(speed), err)
	}
	for i := 0; i+1 < len(res); i += 2 {
		e, err := parseRankData(res[i], res[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Ranks implements store.Live with one ZRANK per speed, in one script.
func (s *Store) Ranks(ctx context.Context, name string) (map[rating.Speed]int, error) {
	keys := []string{s.epochKey(), s.rankBuiltKey()}
	for _, sp := range store.RankSpeeds {
		keys = append(keys, s.rankKey(sp))
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	res, err := ranksScript.Run(ctx, s.rdb, keys, name).Int64Slice()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrRankingsNotBuilt
	}
	if err != nil {
		return nil, wrap("reading ranks of "+name, err)
	}
	if len(res) != len(store.RankSpeeds) {
		return nil, fmt.Errorf("reading ranks of %s: %d answers for %d speeds", name, len(res), len(store.RankSpeeds))
	}
	out := map[rating.Speed]int{}
	for i, r := range res {
		if r > 0 {
			out[store.RankSpeeds[i]] = int(r)
		}
	}
	return out, nil
}

// ClaimRankRebuild implements store.Live.
func (s *Store) ClaimRankRebuild(ctx context.Context, leaseMs int64) (string, bool, error) {
	if leaseMs <= 0 {
		return "", false, fmt.Errorf("claim rank rebuild: lease %d ms must be positive", leaseMs)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	keys := []string{s.epochKey(), s.rankBuiltKey(), s.rankLeaseKey()}
	for _, sp := range store.RankSpeeds {
		keys = append(keys, s.rankKey(sp), s.rankDataKey(sp))
	}
	ep, err := claimRebuildScript.Run(ctx, s.rdb, keys, leaseMs, s.cfg.InstanceID).Text()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap("claiming the ranking rebuild", err)
	}
	return ep, true, nil
}

// RenewRankRebuild implements store.Live.
func (s *Store) RenewRankRebuild(ctx context.Context, leaseMs int64) (bool, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	n, err := renewRebuildScript.Run(ctx, s.rdb, []string{s.rankLeaseKey()}, leaseMs, s.cfg.InstanceID).Int()
	if err != nil {
		return false, wrap("renewing the ranking rebuild lease", err)
	}
	return n == 1, nil
}

// loadBatch bounds the entries of one LoadRanks script, so that Redis is never blocked for
// long by a rebuild (a script runs alone).
const loadBatch = 500

// LoadRanks implements store.Live, in scripts of at most loadBatch entries of one speed.
func (s *Store) LoadRanks(ctx context.Context, entries []store.RankEntry) error {
	bySpeed := map[rating.Speed][]store.RankEntry{}
	for _, e := range entries {
		if e.Name == "" || e.Version <= 0 {
			return fmt.Errorf("load ranks: bad entry %+v", e)
		}
		bySpeed[e.Speed] = append(bySpeed[e.Speed], e)
	}
	for sp, list := range bySpeed {
		for start := 0; start < len(list); start += loadBatch {
			chunk := list[start:min(start+loadBatch, len(list))]
			args := make([]any, 0, 5*len(chunk))
			for _, e := range chunk {
				args = rankArgs(args, e)
			}
			cctx, cancel := s.opCtx(ctx)
			err := loadRanksScript.Run(cctx, s.rdb, []string{s.rankKey(sp), s.rankDataKey(sp)}, args...).Err()
			cancel()
			if err != nil {
				return wrap("loading ranks of "+string(sp), err)
			}
		}
	}
	return nil
}

// FinishRankRebuild implements store.Live.
func (s *Store) FinishRankRebuild(ctx context.Context, token string) error {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	built, err := finishRebuildScript.Run(ctx, s.rdb, []string{s.epochKey(), s.rankBuiltKey(), s.rankLeaseKey()},
		token, s.cfg.InstanceID).Int()
	if err != nil {
		return wrap("finishing the ranking rebuild", err)
	}
	if built != 1 {
		return fmt.Errorf("finishing the ranking rebuild: live storage was emptied again meanwhile: %w", store.ErrConflict)
	}
	return nil
}
