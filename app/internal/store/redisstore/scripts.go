package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts run with EVALSHA (falling back to EVAL after a restart emptied the script
// cache). Each one is atomic: Redis runs nothing else while it runs. Numbers that may exceed
// Lua's integer-exact range or that Redis would format as floats (Unix ms) are passed as
// strings and stored as given.

// putGameScript caches a game state, extends its history, arms its deadline and publishes
// its new events, all at once, so that every subscriber on every instance sees each version
// exactly once and in order, whichever instance committed it.
//
// KEYS: 1 game hash, 2 history list, 3 deadline sorted set, 4 ranking sorted set and 5
// ranking hash of the game's speed.
// ARGV: 1 version, 2 state JSON, 3 deadline (Unix ms, "0" for none), 4 ended ("1"/"0"),
// 5 history size, 6 channel, 7 TTL of an ended game (ms), 8 game id, 9 "1" when the events
// must follow the published version (the first is an ordinary event, not a full state),
// 10 number n of ranking entries, then n ranking entries of 5 (see setRankLua), then per
// event: version, frame.
//
// It returns -1 and changes nothing when the events must follow the published version and do
// not (store.ErrGap). The ranking entries (the new ratings of a rated game's end) are applied in
// the same script that caches and publishes the end, so no reader sees a rating change before
// its game's end; each is version-checked on its own, so they apply even when the state is not
// newer (another instance cached the ended game from the durable store first).
//
// The game hash holds v (cached version), s (state), e (ended), p (highest event version
// published) and h (version of the last history entry; present only when the history is
// contiguous up to v).
//
// The state, deadline and TTL change only when st.V is newer than the cache. Events are
// published (and kept) when they are newer than p, even if the state is not: an instance that
// lost a commit race may re-cache the winner's state from the durable store (without events)
// before the winner's own PutGame runs, and the winner's events must still go out. Since p only
// grows, no event is published twice or after a newer one. The history is reset at a gap and
// dropped when it does not end at the cached version, so History never claims completeness
// across a hole.
var putGameScript = redis.NewScript(setRankLua + `
local v = tonumber(ARGV[1])
local cur = redis.call('HGET', KEYS[1], 'v')
if cur then cur = tonumber(cur) else redis.call('DEL', KEYS[2]) end
local newer = (not cur) or v > cur
local top = v
if not newer then top = cur end
local pv = tonumber(redis.call('HGET', KEYS[1], 'p') or '-1')
local hlast = redis.call('HGET', KEYS[1], 'h')
if hlast then hlast = tonumber(hlast) end
local nranks = tonumber(ARGV[10])
local first = 11 + 5 * nranks
if ARGV[9] == '1' and cur and pv >= 0 then
  for i = first, #ARGV, 2 do
    local ev = tonumber(ARGV[i])
    if ev > pv then
      if ev ~= pv + 1 then return -1 end
      break
    end
  end
end
for i = 11, first - 1, 5 do
  set_rank(KEYS[4], KEYS[5], ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
end
local fresh = {}
for i = first, #ARGV, 2 do
  local ev = tonumber(ARGV[i])
  if ev > pv then
    if (not hlast) or ev ~= hlast + 1 then
      redis.call('DEL', KEYS[2])
    end
    redis.call('RPUSH', KEYS[2], ARGV[i + 1])
    hlast = ev
    pv = ev
    fresh[#fresh + 1] = ARGV[i + 1]
  end
end
if not newer and #fresh == 0 then return 0 end
if newer then
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2], 'e', ARGV[4])
end
if #fresh > 0 then
  redis.call('HSET', KEYS[1], 'p', tostring(pv))
end
if hlast == top then
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
  redis.call('HSET', KEYS[1], 'h', tostring(top))
else
  redis.call('DEL', KEYS[2])
  redis.call('HDEL', KEYS[1], 'h')
end
if newer then
  if ARGV[3] ~= '0' then
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[8])
  else
    redis.call('ZREM', KEYS[3], ARGV[8])
  end
  if ARGV[4] == '1' then
    redis.call('PEXPIRE', KEYS[1], ARGV[7])
    redis.call('PEXPIRE', KEYS[2], ARGV[7])
  end
else
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
for _, f in ipairs(fresh) do
  redis.call('PUBLISH', ARGV[6], f)
end
return #fresh + 1
`)

// historyScript reads the events after a version: {1, frames} when complete, {0} when some of
// them are not kept (or the game is not cached).
//
// KEYS: 1 game hash, 2 history list. ARGV: 1 afterV.
var historyScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'v', 'h')
if not r[1] then return {0} end
local v, after = tonumber(r[1]), tonumber(ARGV[1])
if after >= v then return {1, {}} end
if not r[2] or tonumber(r[2]) ~= v then return {0} end
local n = redis.call('LLEN', KEYS[2])
local first = v - n + 1
if n == 0 or after + 1 < first then return {0} end
return {1, redis.call('LRANGE', KEYS[2], after + 1 - first, -1)}
`)

// dueGamesScript returns the games whose deadline has passed, earliest first, and leases each
// by moving its deadline to ARGV[2], so that concurrent callers do not get the same game and a
// caller that dies leaves the game to come due again.
//
// KEYS: 1 deadline sorted set. ARGV: 1 now, 2 now + lease, 3 limit.
var dueGamesScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return ids
`)

// armDeadlineScript sets (or with "0" clears) a game's deadline if the cached version is still
// the caller's; a game that is not cached, has moved on, or has ended is left alone, so a late
// re-arm can neither overwrite a newer move's deadline nor resurrect an ended game's.
//
// KEYS: 1 game hash, 2 deadline sorted set. ARGV: 1 deadline, 2 game id, 3 version.
var armDeadlineScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'v', 'e')
if (not r[1]) or r[1] ~= ARGV[3] then return 0 end
if ARGV[1] == '0' then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
if r[2] == '1' then return 0 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1
`)

// takePairsScript removes the seeks of each proposed pair if both are still in the pool exactly
// as they were read, and returns the indexes of the pairs it removed. A seek that another
// instance paired (or its player replaced or cancelled) meanwhile fails the check, so no seek
// is ever paired twice.
//
// KEYS: 1 seek hash. ARGV: per pair: player A, seek A, player B, seek B.
var takePairsScript = redis.NewScript(`
local taken = {}
for i = 1, #ARGV, 4 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] and redis.call('HGET', KEYS[1], ARGV[i + 2]) == ARGV[i + 3] then
    redis.call('HDEL', KEYS[1], ARGV[i], ARGV[i + 2])
    taken[#taken + 1] = (i - 1) / 4
  end
end
return taken
`)

// presenceScript counts a player's connections per instance and reports whether the player
// came online (connect) or went offline (disconnect) over all live instances. Counts held by
// instances whose heartbeat key has expired (crashed) are removed on the way.
//
// KEYS: 1 presence hash (field instance id, value count), 2 the player's gone key (a connect
// forgets since when the player was gone, see GoneSince). ARGV: 1 this instance, 2 prefix of
// the heartbeat keys, 3 "connect" or "disconnect".
//
// The heartbeat keys are not declared in KEYS: fine on a single node, not in Redis Cluster.
var presenceScript = redis.NewScript(`
local own = ARGV[1]
local f = redis.call('HGETALL', KEYS[1])
local others = false
for i = 1, #f, 2 do
  local id, n = f[i], tonumber(f[i + 1])
  if id ~= own then
    if n > 0 and redis.call('EXISTS', ARGV[2] .. id) == 1 then
      others = true
    else
      redis.call('HDEL', KEYS[1], id)
    end
  end
end
if ARGV[3] == 'connect' then
  redis.call('DEL', KEYS[2])
  local n = redis.call('HINCRBY', KEYS[1], own, 1)
  if n == 1 and not others then return 1 end
  return 0
end
local n = tonumber(redis.call('HGET', KEYS[1], own) or '0')
if n <= 0 then return 0 end
n = redis.call('HINCRBY', KEYS[1], own, -1)
if n > 0 then return 0 end
redis.call('HDEL', KEYS[1], own)
if others then return 0 end
return 1
`)

// claimConnScript changes a gateway connection's owner if it is still the expected one; the
// key keeps its TTL.
//
// KEYS: 1 connection hash. ARGV: 1 old owner, 2 new owner.
var claimConnScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'o', ARGV[2])
  return 1
end
return 0
`)

// connCapScript counts connections per instance in one hash (a player's or an address's) under
// a cap over all live instances; counts of instances whose heartbeat key has expired are
// removed on the way. The hash expires a day after its last change, so the count of a crashed
// instance that nobody cleans up does not stay forever.
//
// KEYS: 1 the hash (field instance id, value count). ARGV: 1 this instance, 2 prefix of the
// heartbeat keys, 3 the cap (0: none), 4 "acquire", "force" or "release".
// Returns 1 when the cap refused, else 0.
var connCapScript = redis.NewScript(`
local own = ARGV[1]
if ARGV[4] == 'release' then
  local n = tonumber(redis.call('HGET', KEYS[1], own) or '0')
  if n <= 1 then redis.call('HDEL', KEYS[1], own) else redis.call('HINCRBY', KEYS[1], own, -1) end
  return 0
end
local total = 0
local f = redis.call('HGETALL', KEYS[1])
for i = 1, #f, 2 do
  local id, n = f[i], tonumber(f[i + 1])
  if id == own or redis.call('EXISTS', ARGV[2] .. id) == 1 then
    total = total + n
  else
    redis.call('HDEL', KEYS[1], id)
  end
end
local cap = tonumber(ARGV[3])
if ARGV[4] == 'acquire' and cap > 0 and total >= cap then return 1 end
redis.call('HINCRBY', KEYS[1], own, 1)
redis.call('EXPIRE', KEYS[1], 86400)
return 0
`)
