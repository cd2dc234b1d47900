package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/store"
)

type challengeJSON struct {
	ID      string `json:"id"`
	FromID  string `json:"fromId"`
	From    string `json:"from"`
	ToID    string `json:"toId"`
	To      string `json:"to"`
	TC      string `json:"tc"`
	Color   string `json:"color"`
	Rated   bool   `json:"rated,omitempty"`
	Expires int64  `json:"exp"`
	Rematch string `json:"rematch,omitempty"`
}

// challengeSlack keeps a challenge key a little past its expiry, so ExpireChallenges still
// finds it; the scripts' check against the store's clock decides, the TTL only collects
// garbage.
const challengeSlack = 30 * time.Second

// maxExpiredPerCall bounds one ExpireChallenges call; the rest wait for the next.
const maxExpiredPerCall = 100

// takeChallengeScript removes a challenge and returns it if the player may take it for the
// action (store.MayTake) and it has not expired by the store's clock. It returns {0} when the
// challenge is gone or expired (an expired one is left for expireChallengesScript), {2} when
// it is someone else's, {1, json} when taken.
//
// KEYS: 1 challenge hash, 2 expiry zset. ARGV: 1 now, 2 player id, 3 accept|decline|cancel,
// 4 challenge id.
var takeChallengeScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'e', 'd', 'f', 't')
if not r[2] then return {0} end
if tonumber(r[1]) <= tonumber(ARGV[1]) then return {0} end
local me, act, from, to = ARGV[2], ARGV[3], r[3], r[4]
local ok = false
if act == 'accept' then ok = (to == me) or (to == '' and from ~= me)
elseif act == 'decline' then ok = (to ~= '' and to == me)
elseif act == 'cancel' then ok = (from == me) end
if not ok then return {2} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[4])
return {1, r[2]}
`)

// expireChallengesScript removes up to ARGV[3] challenges due at ARGV[1] and returns their JSON;
// the zset entry is removed by the one caller that gets it.
//
// KEYS: 1 expiry zset. ARGV: 1 now, 2 prefix of the challenge keys, 3 limit.
//
// The challenge hashes are not declared in KEYS: fine on a single node, not in Redis Cluster.
var expireChallengesScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local k = ARGV[2] .. id
  local d = redis.call('HGET', k, 'd')
  if d then
    redis.call('DEL', k)
    out[#out + 1] = d
  end
end
return out
`)

// PutChallenge implements store.Live.
func (s *Store) PutChallenge(ctx context.Context, c store.Challenge) error {
	if c.ID == "" {
		return errors.New("put challenge: no id")
	}
	left := time.Duration(c.Expires-s.cfg.Now()) * time.Millisecond
	if left <= 0 {
		return nil // already expired: TakeChallenge would not return it anyway
	}
	b, err := json.Marshal(challengeJSON(c))
	if err != nil {
		return fmt.Errorf("encoding challenge: %w", err)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	k := s.challengeKey(c.ID)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k)
		p.HSet(ctx, k, "e", strconv.FormatInt(c.Expires, 10), "d", b, "f", c.FromID, "t", c.ToID)
		p.PExpire(ctx, k, left+challengeSlack)
		p.ZAdd(ctx, s.challengeExpiryKey(), redis.Z{Score: float64(c.Expires), Member: c.ID})
		return nil
	})
	return wrap("storing challenge "+c.ID, err)
}

// GetChallenge implements store.Live.
func (s *Store) GetChallenge(ctx context.Context, id string) (store.Challenge, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	r, err := s.rdb.HMGet(ctx, s.challengeKey(id), "e", "d").Result()
	if err != nil {
		return store.Challenge{}, wrap("reading challenge "+id, err)
	}
	e, _ := r[0].(string)
	d, _ := r[1].(string)
	exp, perr := strconv.ParseInt(e, 10, 64)
	if d == "" || perr != nil || exp <= s.cfg.Now() {
		return store.Challenge{}, fmt.Errorf("reading challenge %s: %w", id, store.ErrNotFound)
	}
	return decodeChallenge(id, d)
}

// TakeChallenge implements store.Live.
func (s *Store) TakeChallenge(ctx context.Context, id, playerID string, action store.ChallengeAction) (store.Challenge, error) {
	var act string
	switch action {
	case store.TakeAccept:
		act = "accept"
	case store.TakeDecline:
		act = "decline"
	case store.TakeCancel:
		act = "cancel"
	default:
		return store.Challenge{}, fmt.Errorf("taking challenge %s: unknown action %d", id, action)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	r, err := takeChallengeScript.Run(ctx, s.rdb, []string{s.challengeKey(id), s.challengeExpiryKey()},
		strconv.FormatInt(s.cfg.Now(), 10), playerID, act, id).Slice()
	if err != nil {
		return store.Challenge{}, wrap("taking challenge "+id, err)
	}
	status, _ := r[0].(int64)
	switch {
	case status == 2:
		return store.Challenge{}, fmt.Errorf("taking challenge %s: %w", id, store.ErrNotYours)
	case status != 1 || len(r) < 2:
		return store.Challenge{}, fmt.Errorf("taking challenge %s: %w", id, store.ErrNotFound)
	}
	d, _ := r[1].(string)
	return decodeChallenge(id, d)
}

// ExpireChallenges implements store.Live.
func (s *Store) ExpireChallenges(ctx context.Context, now int64) ([]store.Challenge, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	r, err := expireChallengesScript.Run(ctx, s.rdb, []string{s.challengeExpiryKey()},
		strconv.FormatInt(now, 10), s.challengeKey(""), maxExpiredPerCall).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrap("expiring challenges", err)
	}
	out := make([]store.Challenge, 0, len(r))
	for _, d := range r {
		c, err := decodeChallenge("(expired)", d)
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}

func decodeChallenge(id, d string) (store.Challenge, error) {
	var c challengeJSON
	if err := json.Unmarshal([]byte(d), &c); err != nil {
		return store.Challenge{}, fmt.Errorf("decoding challenge %s: %w", id, err)
	}
	return store.Challenge(c), nil
}
