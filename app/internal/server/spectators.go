package server

import (
	"context"
	"sync"
	"time"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
)

// DefaultSpectatorInterval is the shortest time between two `spectators` messages of one game
// from one instance: a crowd arriving at once costs one message per interval.
const DefaultSpectatorInterval = time.Second

// spectatorDelay is how long a change waits before it is published, so that the watches and
// unwatches of a moment go out as one count.
const spectatorDelay = 200 * time.Millisecond

// spectators tracks which sessions of this instance are counted as spectators of which games
// (Live holds the counts per instance) and throttles the `spectators` messages.
type spectators struct {
	mu        sync.Mutex
	counted   map[*Session]map[string]bool
	scheduled map[string]bool
	last      map[string]time.Time // when each game's count was last published
}

// watched runs after a session's watch succeeded: a connection that does not play in the game
// counts as a spectator (once, however often it watches), the game's count goes out (also to
// a player, who needs it for their page), and a player hears whether the opponent is gone.
func (s *Server) watched(ctx context.Context, sess *Session, gameID string) {
	st, ok := s.mem.get(gameID, s.cfg.Now())
	if !ok {
		var err error
		if st, err = s.loadGame(ctx, gameID, false); err != nil {
			return
		}
	}
	if st.Ended() {
		return // nobody counts the spectators of a finished game
	}
	if _, plays := st.ColorOf(sess.Player.PlayerID); !plays {
		s.countSpectator(ctx, sess, st)
	} else {
		s.tellOpponentGone(ctx, sess, st)
	}
	s.announceSpectators(gameID)
}

func (s *Server) countSpectator(ctx context.Context, sess *Session, st *game.State) {
	s.spec.mu.Lock()
	if s.spec.counted == nil {
		s.spec.counted = map[*Session]map[string]bool{}
	}
	games := s.spec.counted[sess]
	if games[st.ID] {
		s.spec.mu.Unlock()
		return
	}
	if games == nil {
		games = map[string]bool{}
		s.spec.counted[sess] = games
	}
	games[st.ID] = true
	s.spec.mu.Unlock()
	if err := s.live.Spectate(ctx, st.ID, 1); err != nil {
		s.log.WarnContext(ctx, "counting a spectator", "game", st.ID, "err", err)
		s.spec.mu.Lock()
		delete(games, st.ID)
		s.spec.mu.Unlock()
	}
}

// unwatched uncounts a spectator that stopped watching a game (unwatch).
func (s *Server) unwatched(ctx context.Context, sess *Session, gameID string) {
	s.spec.mu.Lock()
	counted := s.spec.counted[sess][gameID]
	if counted {
		delete(s.spec.counted[sess], gameID)
	}
	s.spec.mu.Unlock()
	if counted {
		s.uncount(ctx, gameID)
	}
}

// spectatorClosed uncounts every game a closed session was counted in.
func (s *Server) spectatorClosed(ctx context.Context, sess *Session) {
	s.spec.mu.Lock()
	games := s.spec.counted[sess]
	delete(s.spec.counted, sess)
	s.spec.mu.Unlock()
	for g := range games {
		s.uncount(ctx, g)
	}
}

func (s *Server) uncount(ctx context.Context, gameID string) {
	if err := s.live.Spectate(ctx, gameID, -1); err != nil {
		// The count of this instance stays one too high until the instance stops (its
		// heartbeat then expires and the count no longer counts) or the key expires.
		s.log.WarnContext(ctx, "uncounting a spectator", "game", gameID, "err", err)
	}
	s.announceSpectators(gameID)
}

// announceSpectators publishes the game's spectator count shortly, at most once per
// SpectatorInterval from this instance. Live reads and publishes the count in one step, so
// whichever instance publishes last sends the latest count.
func (s *Server) announceSpectators(gameID string) {
	now := time.Now()
	s.spec.mu.Lock()
	if s.spec.scheduled == nil {
		s.spec.scheduled, s.spec.last = map[string]bool{}, map[string]time.Time{}
	}
	if s.spec.scheduled[gameID] {
		s.spec.mu.Unlock()
		return
	}
	s.spec.scheduled[gameID] = true
	delay := max(spectatorDelay, s.spec.last[gameID].Add(s.cfg.SpectatorInterval).Sub(now))
	s.spec.mu.Unlock()
	time.AfterFunc(delay, func() {
		select {
		case <-s.stopped:
			return
		default:
		}
		at := time.Now()
		s.spec.mu.Lock()
		delete(s.spec.scheduled, gameID)
		s.spec.last[gameID] = at
		for g, t := range s.spec.last { // forget games quiet for longer than the interval
			if at.Sub(t) > s.cfg.SpectatorInterval && !s.spec.scheduled[g] {
				delete(s.spec.last, g)
			}
		}
		s.spec.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		prefix, suffix := protocol.SpectatorsFrame(gameID)
		if _, err := s.live.PublishSpectators(ctx, gameID, prefix, suffix); err != nil {
			s.log.WarnContext(ctx, "publishing the spectator count", "game", gameID, "err", err)
		}
	})
}
