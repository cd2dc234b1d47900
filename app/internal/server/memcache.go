package server

import (
	"sync"
	"time"

	"chessplatform/app/internal/game"
)

// memCache keeps the last state of each game this instance committed or loaded, so a move does
// not have to read and decode the whole state from Live. A copy is used only while no newer
// version has been seen on the game's topic; a copy that is stale anyway (another instance
// committed and this one has no watcher to hear of it) fails the durable version check and
// the move is retried on the durable state, so the cache never decides an outcome.
type memCache struct {
	mu    sync.Mutex
	games map[string]*memEntry
	max   int
}

type memEntry struct {
	st    *game.State // owned by the cache; callers get clones
	seenV int64       // highest version heard of on the game's topic
	used  time.Time
}

func newMemCache(max int) *memCache {
	return &memCache{games: map[string]*memEntry{}, max: max}
}

// get returns a copy of the cached state if it is the newest version heard of.
func (c *memCache) get(id string, now time.Time) (*game.State, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.games[id]
	if !ok || e.st == nil || e.st.V < e.seenV {
		return nil, false
	}
	e.used = now
	return e.st.Handoff(), true // the first taker gets the kept rules board
}

// put caches st (the cache takes ownership) unless it already holds a newer version.
func (c *memCache) put(st *game.State, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.Ended() {
		delete(c.games, st.ID)
		return
	}
	e, ok := c.games[st.ID]
	if !ok {
		if len(c.games) >= c.max {
			c.evictLocked()
		}
		e = &memEntry{}
		c.games[st.ID] = e
	}
	if e.st == nil || st.V >= e.st.V {
		e.st = st
	}
	e.seenV = max(e.seenV, st.V)
	e.used = now
}

// observe records that version v of a game exists (an event heard on its topic).
func (c *memCache) observe(id string, v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.games[id]; ok && v > e.seenV {
		e.seenV = v
	}
}

// drop forgets a game (after a lost commit race).
func (c *memCache) drop(id string) {
	c.mu.Lock()
	delete(c.games, id)
	c.mu.Unlock()
}

// sweep forgets games not used for idle.
func (c *memCache) sweep(now time.Time, idle time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.games {
		if now.Sub(e.used) > idle {
			delete(c.games, id)
		}
	}
}

// evictLocked removes the least recently used eighth of the cache.
func (c *memCache) evictLocked() {
	n := max(len(c.games)/8, 1)
	for ; n > 0; n-- {
		var oldest string
		var at time.Time
		for id, e := range c.games {
			if oldest == "" || e.used.Before(at) {
				oldest, at = id, e.used
			}
		}
		delete(c.games, oldest)
	}
}
