package server

// Publishing committed changes: every version reaches the watchers in order, as its event or
// inside a full state, whatever happens between a commit and its publish (a slow or dead
// committer, Live down, a lost race).

import (
	"context"
	"errors"
	"math"
	"time"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// repairDelay is how long after a lost commit race the game is checked for an unpublished
// change, and how far apart the checks are.
const repairDelay = 500 * time.Millisecond

// repairChecks bounds the checks after one lost race: a game whose published version keeps
// moving has a live committer, and the reconcile loop still watches it.
const repairChecks = 4

// repairSoon checks a game for an unpublished committed change (one series of checks per game
// at a time). Like reconcile, it repairs only after seeing the same published version behind the
// durable one twice, repairDelay apart: a committer whose publish is merely slow (a busy
// instance) must not be pre-empted by a full state, which would cost its watchers the event.
func (s *Server) repairSoon(gameID string) {
	s.repairMu.Lock()
	defer s.repairMu.Unlock()
	if s.repairing[gameID] {
		return
	}
	s.repairing[gameID] = true
	s.checkUnpublished(gameID, math.MinInt64, repairChecks)
}

// checkUnpublished is one check of repairSoon; prev is the published version the previous
// check saw behind the durable one (math.MinInt64 for none).
func (s *Server) checkUnpublished(gameID string, prev int64, left int) {
	time.AfterFunc(repairDelay, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, behind := s.publishedBehind(ctx, gameID)
		if s.afterRepairCheck != nil {
			s.afterRepairCheck(gameID, p, behind)
		}
		switch {
		case behind && p == prev:
			s.repair(ctx, gameID)
		case behind && left > 1:
			s.checkUnpublished(gameID, p, left-1)
			return
		}
		s.repairMu.Lock()
		delete(s.repairing, gameID)
		s.repairMu.Unlock()
	})
}

// publishedBehind returns the game's published version (-1 when it is not cached) and whether
// the durable store holds a newer one. On errors it reports nothing behind.
func (s *Server) publishedBehind(ctx context.Context, gameID string) (int64, bool) {
	st, err := s.durable.LoadGame(ctx, gameID)
	if err != nil {
		s.log.WarnContext(ctx, "loading a game to check its publication", "game", gameID, "err", err)
		return 0, false
	}
	published, err := s.live.PublishedVersions(ctx, []string{gameID})
	if err != nil {
		s.log.WarnContext(ctx, "reading the published version", "game", gameID, "err", err)
		return 0, false
	}
	p, ok := published[gameID]
	if !ok {
		p = -1
	}
	return p, p < st.V
}

// repair publishes a game's full state, standing for its latest version, if the cache has not
// published that version: the instance that committed it died before publishing. Live publishes
// it only if nothing newer went out meanwhile, so this never sends a state twice or late.
func (s *Server) repair(ctx context.Context, gameID string) bool {
	st, err := s.durable.LoadGame(ctx, gameID)
	if err != nil {
		s.log.WarnContext(ctx, "loading a game to repair", "game", gameID, "err", err)
		return false
	}
	published, err := s.live.PublishedVersions(ctx, []string{gameID})
	if err != nil {
		s.log.WarnContext(ctx, "reading the published version", "game", gameID, "err", err)
		return false
	}
	if p, ok := published[gameID]; ok && p >= st.V {
		return false
	}
	if err := s.live.PutResult(ctx, st, []game.Event{s.stateEvent(st)}, s.durableRanks(ctx, st)); err != nil {
		s.log.WarnContext(ctx, "publishing a repair state", "game", gameID, "v", st.V, "err", err)
		return false
	}
	s.log.InfoContext(ctx, "published the state of a committed change that was never published", "game", gameID, "v", st.V)
	return true
}

// reconcile repairs running games whose cache has stayed behind the durable store for a whole
// interval: an instance committed a change and died before caching and publishing it, and no
// other action on the game has noticed yet (the players may be waiting for each other). Seeing
// the same stale version twice avoids "repairing" a commit whose publish is merely in flight.
func (s *Server) reconcile(ctx context.Context) {
	games, err := s.durable.ActiveGames(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "listing running games to reconcile", "err", err)
		return
	}
	ids := make([]string, len(games))
	for i, g := range games {
		ids[i] = g.ID
	}
	published, err := s.live.PublishedVersions(ctx, ids)
	if err != nil {
		s.log.WarnContext(ctx, "reading published versions to reconcile", "err", err)
		return
	}
	behind := map[string]int64{}
	for _, g := range games {
		p, ok := published[g.ID]
		if !ok || p >= g.V {
			continue // not cached (the next reader loads it), or up to date
		}
		behind[g.ID] = p
		if prev, seen := s.behind[g.ID]; !seen || prev != p {
			continue // first sighting: the committing instance may be publishing right now
		}
		s.repair(ctx, g.ID)
	}
	s.behind = behind
}

// pendingPut is a committed state whose events (and ranking entries) Live has not taken yet.
type pendingPut struct {
	st     *game.State
	events []game.Event
	ranks  []store.RankEntry
}

// takePending removes the unpublished events of st's game and returns them followed by events,
// st's own. When the two do not join up, another instance committed versions in between while
// this one held its events (Live came back and took the other's commit first); no list of
// events can then carry the change in order, and Live would refuse it on every retry, stalling
// the game for good. One full state at st.V stands for all of them instead, as in a repair:
// Live publishes it unless something newer went out, and a watcher that missed the versions in
// between is brought up to date by it.
//
// Held ranking entries go along in any case (Live keeps the newest version of each).
func (s *Server) takePending(ctx context.Context, st *game.State, events []game.Event, ranks []store.RankEntry) ([]game.Event, []store.RankEntry) {
	s.pendMu.Lock()
	p, ok := s.pending[st.ID]
	delete(s.pending, st.ID)
	s.pendMu.Unlock()
	if !ok {
		return events, ranks
	}
	ranks = append(append([]store.RankEntry(nil), p.ranks...), ranks...)
	if len(p.events) == 0 {
		return events, ranks
	}
	if len(events) == 0 || p.events[len(p.events)-1].V+1 != events[0].V {
		s.log.InfoContext(ctx, "held events do not join the new ones; publishing the full state instead",
			"game", st.ID, "held_to", p.events[len(p.events)-1].V, "v", st.V)
		return []game.Event{s.stateEvent(st)}, ranks
	}
	return append(append([]game.Event(nil), p.events...), events...), ranks
}

// stateEvent is a full state frame that stands for every version up to st.V.
func (s *Server) stateEvent(st *game.State) game.Event {
	return game.Event{V: st.V, Frame: protocol.MustEncode(protocol.TState, 0, st.Snapshot(s.nowMs())), State: true}
}

// publish caches st and publishes its events. When Live refuses them because a version before
// them was committed but never published (its committer died between commit and publish, or
// still holds it after an outage), one full state at st.V goes out instead: watchers must never
// see a hole. The ranking entries of a rated end go with it either way. It returns the events
// it offered last, for the caller to hold on failure.
func (s *Server) publish(ctx context.Context, st *game.State, events []game.Event, ranks []store.RankEntry) ([]game.Event, error) {
	err := s.live.PutResult(ctx, st, events, ranks)
	if !errors.Is(err, store.ErrGap) {
		return events, err
	}
	s.log.InfoContext(ctx, "a version before these events was never published; publishing the full state instead",
		"game", st.ID, "v", st.V)
	events = []game.Event{s.stateEvent(st)}
	return events, s.live.PutResult(ctx, st, events, ranks)
}

func (s *Server) addPending(st *game.State, events []game.Event, ranks []store.RankEntry) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if p, ok := s.pending[st.ID]; ok && p.st.V > st.V {
		p.ranks = append(p.ranks, ranks...)
		return
	}
	s.pending[st.ID] = &pendingPut{st: st, events: events, ranks: ranks}
}

// retryPending offers unpublished events to Live again.
func (s *Server) retryPending(ctx context.Context) {
	s.retryMu.Lock()
	defer s.retryMu.Unlock()
	s.pendMu.Lock()
	batch := make([]*pendingPut, 0, len(s.pending))
	for _, p := range s.pending {
		batch = append(batch, p)
	}
	s.pendMu.Unlock()
	for _, p := range batch {
		if _, err := s.publish(ctx, p.st, p.events, p.ranks); err != nil {
			return // Live is still down; try again later
		}
		s.pendMu.Lock()
		if s.pending[p.st.ID] == p {
			delete(s.pending, p.st.ID)
		}
		s.pendMu.Unlock()
		s.log.InfoContext(ctx, "published events held while live storage was down", "game", p.st.ID, "v", p.st.V, "events", len(p.events))
	}
}

// resyncAll brings every local session up to date with its watched games, after the fan-out
// may have lost messages (the Live subscription reconnected). A catch-up that fails is tried
// again every RetryInterval, until it succeeds, its watch ends or a newer resync starts: just
// after Redis returns, its command connections can still refuse for a moment while the
// subscription is already back, and a watcher skipped then would have missed, for good, the
// versions published while the subscription was down.
func (s *Server) resyncAll(ctx context.Context) {
	gen := s.resyncGen.Add(1)
	s.mu.Lock()
	sessions := make([]*Session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	type watchRef struct {
		sess *Session
		game string
	}
	var todo []watchRef
	for _, sess := range sessions {
		games, _ := sess.watchedGames()
		for _, g := range games {
			todo = append(todo, watchRef{sess, g})
		}
	}
	n, retries := 0, 0
	for {
		var failed []watchRef
		for _, w := range todo {
			if !w.sess.watching(w.game) {
				continue
			}
			if err := s.watch(ctx, w.sess, w.game, 0, true); err != nil {
				if retries == 0 {
					s.log.WarnContext(ctx, "resyncing a watcher; will retry", "game", w.game, "player", w.sess.Player.PlayerID, "err", err)
				}
				failed = append(failed, w)
				continue
			}
			n++
		}
		todo = failed
		if len(todo) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.RetryInterval):
		}
		if s.resyncGen.Load() != gen {
			return
		}
		retries++
	}
	s.log.InfoContext(ctx, "resynced watchers after a fan-out reconnect", "sessions", len(sessions), "watches", n, "retries", retries)
}
