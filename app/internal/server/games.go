package server

import (
	"context"
	"errors"
	"fmt"

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
	s.mem.put(st.Handoff(), s.cfg.Now())
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
