package redisstore

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/store"
)

// Keys of PresenceLive (after KeyPrefix; the hash tags put each next to the keys it goes with):
//
//	gone:{<player>}  string  Unix ms since when the player has had no connection (PX a day)
//	g:{<game>}:w     hash    instance id -> connections of that instance watching the game
//	                         without playing it (PX a day after the last change)
func (s *Store) goneKey(p string) string       { return s.prefix + "gone:{" + p + "}" }
func (s *Store) spectatorsKey(g string) string { return s.prefix + "g:{" + g + "}:w" }

// presenceTTL bounds how long a gone time or a spectator count outlives its last change.
const presenceTTL = 24 * 60 * 60 * 1000 // ms

// goneSinceScript reports since when a player has had no connection on a live instance.
//
// KEYS: 1 presence hash, 2 gone key. ARGV: 1 heartbeat key prefix, 2 now, 3 TTL ms.
// Returns 0 while a live instance holds a connection of the player (and forgets the gone time).
var goneSinceScript = redis.NewScript(`
local f = redis.call('HGETALL', KEYS[1])
for i = 1, #f, 2 do
  if tonumber(f[i + 1]) > 0 and redis.call('EXISTS', ARGV[1] .. f[i]) == 1 then
    redis.call('DEL', KEYS[2])
    return 0
  end
end
local g = redis.call('GET', KEYS[2])
if g then return tonumber(g) end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return tonumber(ARGV[2])
`)

// spectateScript changes this instance's spectator count of a game, never below 0.
//
// KEYS: 1 spectators hash. ARGV: 1 instance id, 2 delta, 3 TTL ms.
var spectateScript = redis.NewScript(`
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') + tonumber(ARGV[2])
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], n)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0
`)

// publishSpectatorsScript sums the spectator counts of live instances (dropping those of dead
// ones) and publishes the frame with the sum, in one step.
//
// KEYS: 1 spectators hash. ARGV: 1 heartbeat key prefix, 2 channel, 3 frame prefix, 4 suffix.
var publishSpectatorsScript = redis.NewScript(`
local total = 0
local f = redis.call('HGETALL', KEYS[1])
for i = 1, #f, 2 do
  if redis.call('EXISTS', ARGV[1] .. f[i]) == 1 then
    total = total + tonumber(f[i + 1])
  else
    redis.call('HDEL', KEYS[1], f[i])
  end
end
redis.call('PUBLISH', ARGV[2], ARGV[3] .. total .. ARGV[4])
return total
`)

// GoneSince implements store.Live.
func (s *Store) GoneSince(ctx context.Context, playerID string, now int64) (int64, error) {
	if playerID == "" {
		return 0, errors.New("gone since: no player id")
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	since, err := goneSinceScript.Run(ctx, s.rdb, []string{s.presenceKey(playerID), s.goneKey(playerID)},
		s.instPrefix(), now, presenceTTL).Int64()
	return since, wrap("gone since "+playerID, err)
}

// Spectate implements store.Live.
func (s *Store) Spectate(ctx context.Context, gameID string, delta int) error {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	err := spectateScript.Run(ctx, s.rdb, []string{s.spectatorsKey(gameID)}, s.cfg.InstanceID, delta, presenceTTL).Err()
	return wrap("spectators of "+gameID+" by "+strconv.Itoa(delta), err)
}

// PublishSpectators implements store.Live.
func (s *Store) PublishSpectators(ctx context.Context, gameID string, prefix, suffix []byte) (int, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	n, err := publishSpectatorsScript.Run(ctx, s.rdb, []string{s.spectatorsKey(gameID)},
		s.instPrefix(), s.channel(store.GameTopic(gameID)), prefix, suffix).Int()
	return n, wrap("publishing spectators of "+gameID, err)
}
