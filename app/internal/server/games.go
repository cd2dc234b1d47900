package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/store"
)

// errDuplicate is returned for a resent action that was already applied: the client gets its ack.
var errDuplicate = game.ErrDuplicate

// errNotYourGame is returned when a player acts in a game they do not play.
var errNotYourGame = errors.New("you do not play in this game")

// maxCommitAttempts bounds retries after version conflicts (two instances racing on one game).
const maxCommitAttempts = 5

// op is one state-machine step on a game; by is the acting colour (ignored for system steps).
type op func(st *game.State, by rules.Color) (game.Outcome, error)

// gameAction runs a player's game message.
func (s *Server) gameAction(ctx context.Context, playerID string, m protocol.ClientMessage) error {
	now := s.nowMs
	var f op
	switch m.Type {
	case protocol.TMove:
		f = func(st *game.State, by rules.Color) (game.Outcome, error) {
			return st.Move(by, m.UCI, m.Ply, m.LagMs, now())
		}
	case protocol.TResign:
		f = func(st *game.State, by rules.Color) (game.Outcome, error) { return st.Resign(by, m.Ack, now()) }
	case protocol.TAbort:
		f = func(st *game.State, by rules.Color) (game.Outcome, error) { return st.Abort(by, m.Ack, now()) }
	case protocol.TDrawOffer:
		f = func(st *game.State, by rules.Color) (game.Outcome, error) { return st.OfferDraw(by, m.Ack, now()) }
	case protocol.TDrawAccept:
		f = func(st *game.State, by rules.Color) (game.Outcome, error) { return st.AcceptDraw(by, m.Ack, now()) }
	case protocol.TDrawDecline:
		f = func(st *game.State, by rules.Color) (game.Outcome, error) { return st.DeclineDraw(by, m.Ack) }
	case protocol.TDrawClaim:
		f = func(st *game.State, by rules.Color) (game.Outcome, error) { return st.ClaimDraw(by, m.Ack, now()) }
	case protocol.TFlag:
		f = func(st *game.State, _ rules.Color) (game.Outcome, error) {
			if st.Ended() {
				return game.Outcome{}, game.ErrGameOver
			}
			return st.CheckTime(now()), nil
		}
	default:
		return fmt.Errorf("unhandled message type %q", m.Type)
	}
	return s.apply(ctx, m.Game, playerID, f)
}

// apply runs f on the current state of a game and commits the result. playerID "" is the
// system (timers), which may act in any game.
func (s *Server) apply(ctx context.Context, gameID, playerID string, f op) error {
	useCache, fromDurable := true, false
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		var st *game.State
		cached := false
		if useCache {
			st, cached = s.mem.get(gameID, s.cfg.Now())
		}
		var err error
		durable := !cached && (fromDurable || attempt > 0)
		if !cached {
			if st, err = s.loadGame(ctx, gameID, durable); err != nil {
				return err
			}
		}
		var by rules.Color
		if playerID != "" {
			c, ok := st.ColorOf(playerID)
			if !ok {
				return errNotYourGame
			}
			by = c
		}
		prevV := st.V
		out, opErr := f(st, by)
		if !out.Changed() {
			if opErr != nil && !durable {
				// A rejection must not rest on a copy that may be stale: this instance's (a newer
				// version it has not heard of) or Live's (behind a commit whose publication is
				// still pending after a Redis outage). Decide it again on the durable state.
				useCache, fromDurable = false, true
				attempt--
				continue
			}
			return opErr
		}
		err = s.commit(ctx, st, prevV, &out)
		if errors.Is(err, store.ErrConflict) {
			// Someone committed first. Usually that instance is publishing right now; if it
			// died between its commit and its publish, nobody would ever tell the watchers, so
			// look again shortly and repair if the change is still unpublished.
			s.log.InfoContext(ctx, "commit lost a version race; retrying on the durable state", "game", gameID, "v", prevV)
			s.mem.drop(gameID)
			s.repairSoon(gameID)
			useCache = false
			continue
		}
		if err != nil {
			return err
		}
		return opErr
	}
	return fmt.Errorf("game %s: %w after %d attempts", gameID, store.ErrConflict, maxCommitAttempts)
}

// commit makes an outcome durable, then caches and publishes it.
func (s *Server) commit(ctx context.Context, st *game.State, prevV int64, out *game.Outcome) error {
	var writes []store.RatingWrite
	if out.Ended && st.Rated {
		w, err := s.rate(ctx, st)
		if err != nil {
			return err
		}
		writes = w
	}
	events := st.Seal(out)
	if err := s.durable.CommitGame(ctx, store.Commit{PrevV: prevV, State: st, Move: out.Move, Ratings: writes}); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return err
		}
		return fmt.Errorf("committing game %s v%d: %w: %w", st.ID, st.V, store.ErrUnavailable, err)
	}
	// From here on the change is durable; failures below only delay delivery.
	s.mem.put(st.Clone(), s.cfg.Now())
	ranks := rankEntries(st, writes)
	events, ranks = s.takePending(ctx, st, events, ranks)
	if events, err := s.publish(ctx, st, events, ranks); err != nil {
		s.log.WarnContext(ctx, "caching and publishing game events; will retry", "game", st.ID, "v", st.V, "err", err)
		s.addPending(st, events, ranks)
	}
	if out.Ended {
		if err := s.live.RemoveActive(ctx, st.ID, st.White.ID, st.Black.ID); err != nil {
			s.log.WarnContext(ctx, "removing active game", "game", st.ID, "err", err)
		}
	}
	return nil
}

// rate computes the rating changes of a rated game that just ended and records them in st.
func (s *Server) rate(ctx context.Context, st *game.State) ([]store.RatingWrite, error) {
	score, counts := st.WhiteScore()
	if !counts {
		return nil, nil
	}
	w, err := s.currentRating(ctx, st.White.ID, st.Speed)
	if err != nil {
		return nil, err
	}
	b, err := s.currentRating(ctx, st.Black.ID, st.Speed)
	if err != nil {
		return nil, err
	}
	w2, b2 := s.calc.Game(w.Rating, b.Rating, score, s.cfg.Now())
	st.SetRatings(protocol.EndRatings{
		White: protocol.RatingChange{Before: w.Rating.Int(), After: w2.Int()},
		Black: protocol.RatingChange{Before: b.Rating.Int(), After: b2.Int()},
	})
	return []store.RatingWrite{
		{PlayerID: st.White.ID, Speed: st.Speed, PrevVersion: w.Version, New: w2},
		{PlayerID: st.Black.ID, Speed: st.Speed, PrevVersion: b.Version, New: b2},
	}, nil
}

func (s *Server) currentRating(ctx context.Context, playerID string, speed rating.Speed) (store.PlayerRating, error) {
	rs, err := s.durable.Ratings(ctx, playerID)
	if err != nil {
		return store.PlayerRating{}, fmt.Errorf("reading ratings of %s: %w: %w", playerID, store.ErrUnavailable, err)
	}
	r, ok := rs[speed]
	if !ok {
		return store.PlayerRating{Speed: speed, Rating: rating.New()}, nil
	}
	return r, nil
}

// loadGame returns the live state of a game. A game missing from the cache is loaded from the
// durable store and cached; fromDurable reads the durable store only (the cache is known to be
// stale, and is left for its committer or repair to update, so that an unpublished change
// stays visible as one).
func (s *Server) loadGame(ctx context.Context, id string, fromDurable bool) (*game.State, error) {
	if !fromDurable {
		st, err := s.live.GetGame(ctx, id)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("reading live game %s: %w: %w", id, store.ErrUnavailable, err)
		}
	}
	st, err := s.durable.LoadGame(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("loading game %s: %w: %w", id, store.ErrUnavailable, err)
	}
	if !fromDurable {
		if err := s.live.PutGame(ctx, st, nil); err != nil {
			s.log.WarnContext(ctx, "caching game", "game", id, "err", err)
		}
	}
	return st, nil
}

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

// GameState returns the current state of a game (for the HTTP API).
func (s *Server) GameState(ctx context.Context, id string) (protocol.GameState, error) {
	st, err := s.loadGame(ctx, id, false)
	if err != nil {
		return protocol.GameState{}, err
	}
	return st.Snapshot(s.nowMs()), nil
}

// watch subscribes a session to a game and brings it up to date from version v, the client's
// last seen version. A catch-up of the server's own (fromSession) starts instead from what the
// session last delivered, read when the catch-up begins.
func (s *Server) watch(ctx context.Context, sess *Session, gameID string, v int64, fromSession bool) error {
	st, err := s.loadGame(ctx, gameID, false)
	if err != nil {
		return err
	}
	already, delivered := sess.beginWatch(gameID)
	if fromSession {
		v = delivered
	}
	if !already {
		if err := s.hub.join(ctx, store.GameTopic(gameID), sess); err != nil {
			sess.unwatch(gameID)
			return fmt.Errorf("following game %s: %w: %w", gameID, store.ErrUnavailable, err)
		}
		s.watchesChanged(sess)
	}
	// Read after joining, so nothing published from now on is missed.
	frames, complete, err := s.live.History(ctx, gameID, v)
	if err != nil {
		complete = false
	}
	if v > 0 && v <= st.V && complete {
		versions := make([]int64, len(frames))
		for i, f := range frames {
			versions[i] = frameV(f)
		}
		sess.finishWatch(gameID, v, frames, versions)
		return nil
	}
	// Full state: re-read it, since the history read may be newer than st.
	if latest, err := s.loadGame(ctx, gameID, false); err == nil {
		st = latest
	}
	frame := protocol.MustEncode(protocol.TState, 0, st.Snapshot(s.nowMs()))
	sess.finishWatch(gameID, st.V, [][]byte{frame}, []int64{0})
	return nil
}

// checkDeadlines ends the games whose flag fell or whose first move did not come in time.
func (s *Server) checkDeadlines(ctx context.Context) {
	now := s.nowMs()
	ids, err := s.live.DueGames(ctx, now, s.cfg.DeadlineLease.Milliseconds(), 256)
	if err != nil {
		s.log.WarnContext(ctx, "reading due games", "err", err)
		return
	}
	for _, id := range ids {
		var deadline, v int64
		err := s.apply(ctx, id, "", func(st *game.State, _ rules.Color) (game.Outcome, error) {
			out := st.CheckTime(s.nowMs())
			deadline, v = st.Deadline(), st.V
			return out, nil
		})
		if err != nil {
			s.log.WarnContext(ctx, "checking game time", "game", id, "err", err)
			continue
		}
		if deadline != 0 {
			// Not due after all (e.g. the lease postponed it while a move arrived): re-arm.
			if err := s.live.ArmDeadline(ctx, id, v, deadline); err != nil {
				s.log.WarnContext(ctx, "re-arming deadline", "game", id, "err", err)
			}
		}
	}
}

// toProtocolError maps internal errors to protocol error codes.
func toProtocolError(err error) *protocol.Error {
	var perr *protocol.Error
	switch {
	case errors.As(err, &perr):
		return perr
	case errors.Is(err, game.ErrGameOver):
		return protocol.Errorf(protocol.CodeGameOver, "the game is over")
	case errors.Is(err, game.ErrNotYourTurn):
		return protocol.Errorf(protocol.CodeNotYourTurn, "it is not your turn")
	case errors.Is(err, game.ErrWrongPly):
		return protocol.Errorf(protocol.CodeBadRequest, "%s", err.Error())
	case errors.Is(err, game.ErrIllegal):
		return protocol.Errorf(protocol.CodeIllegalMove, "%s", err.Error())
	case errors.Is(err, game.ErrNoClaim):
		return protocol.Errorf(protocol.CodeNoClaim, "no threefold repetition or fifty-move rule to claim")
	case errors.Is(err, game.ErrNoDrawOffer):
		return protocol.Errorf(protocol.CodeBadRequest, "your opponent has not offered a draw")
	case errors.Is(err, game.ErrTooLateAbort):
		return protocol.Errorf(protocol.CodeBadRequest, "the game can only be aborted before each side has moved")
	case errors.Is(err, errNotYourGame):
		return protocol.Errorf(protocol.CodeNotYourGame, "you do not play in this game")
	case errors.Is(err, store.ErrNotFound):
		return protocol.Errorf(protocol.CodeNotFound, "no such game or challenge")
	case errors.Is(err, store.ErrInvalid):
		return protocol.Errorf(protocol.CodeBadRequest, "a value in the message cannot be stored")
	default:
		return protocol.Errorf(protocol.CodeUnavailable, "the service is temporarily unavailable; retry")
	}
}

// unavailable wraps a storage error so it maps to the `unavailable` code.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// checkEpoch rebuilds the live state of every running game from the durable store when Live
// turns out to be empty (first start, or Redis restarted without its data), so flag deadlines
// and the players' active games are armed again whichever instance notices first.
func (s *Server) checkEpoch(ctx context.Context) {
	fresh, err := s.live.EnsureEpoch(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "checking live epoch", "err", err)
		return
	}
	if !fresh {
		return
	}
	s.kickRankings()
	games, err := s.durable.ActiveGames(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "listing running games to rebuild live state", "err", err)
		return
	}
	rebuilt := 0
	for _, g := range games {
		id := g.ID
		st, err := s.durable.LoadGame(ctx, id)
		if err != nil {
			s.log.WarnContext(ctx, "loading game for rebuild", "game", id, "err", err)
			continue
		}
		if err := s.live.PutGame(ctx, st, nil); err != nil {
			s.log.WarnContext(ctx, "rebuilding live game", "game", id, "err", err)
			continue
		}
		if err := s.live.AddActive(ctx, id, st.White.ID, st.Black.ID); err != nil {
			s.log.WarnContext(ctx, "rebuilding active games", "game", id, "err", err)
		}
		rebuilt++
	}
	if len(games) > 0 {
		s.log.InfoContext(ctx, "live state rebuilt from durable store", "games", rebuilt, "of", len(games))
	}
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
// may have lost messages (the Live subscription reconnected).
func (s *Server) resyncAll(ctx context.Context) {
	s.mu.Lock()
	sessions := make([]*Session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	n := 0
	for _, sess := range sessions {
		games, _ := sess.watchedGames()
		for _, g := range games {
			if err := s.watch(ctx, sess, g, 0, true); err != nil {
				s.log.WarnContext(ctx, "resyncing a watcher", "game", g, "player", sess.Player.PlayerID, "err", err)
				continue
			}
			n++
		}
	}
	s.log.InfoContext(ctx, "resynced watchers after a fan-out reconnect", "sessions", len(sessions), "watches", n)
}
