package server

import (
	"context"
	"fmt"
	"math/rand/v2"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// seek puts the player in the pool of a time control; pairing happens in matchmake.
func (s *Server) seek(ctx context.Context, sess *Session, m protocol.ClientMessage) error {
	p := sess.Player
	if m.Rated && p.Guest {
		return protocol.Errorf(protocol.CodeBadRequest, "guests play casual games only; register to play rated")
	}
	speed := rating.SpeedOf(m.TC.Minutes*60, m.TC.Increment)
	r, err := s.currentRating(ctx, p.PlayerID, speed)
	if err != nil {
		return err
	}
	seek := store.Seek{PlayerID: p.PlayerID, Name: p.Name, Rating: r.Rating.Int(), TC: m.TC.String(), Rated: m.Rated, Since: s.nowMs()}
	if err := s.live.AddSeek(ctx, seek); err != nil {
		return unavailable(err)
	}
	sess.send(protocol.MustEncode(protocol.TSeeking, 0, protocol.SeekingPayload{TC: seek.TC, Rated: seek.Rated}))
	s.matchmake(ctx)
	return nil
}

// matchmake pairs waiting seeks and starts their games.
func (s *Server) matchmake(ctx context.Context) {
	pairs, err := s.live.MatchSeeks(ctx, s.nowMs())
	if err != nil {
		s.log.WarnContext(ctx, "matching seeks", "err", err)
		return
	}
	for _, pair := range pairs {
		a, b := pair[0], pair[1]
		if rand.IntN(2) == 1 {
			a, b = b, a
		}
		tc, err := protocol.ParseTimeControl(a.TC)
		if err != nil {
			s.log.ErrorContext(ctx, "pool holds a bad time control", "tc", a.TC, "err", err)
			continue
		}
		if _, err := s.startGame(ctx, a.PlayerID, b.PlayerID, tc, a.Rated, ""); err != nil {
			s.log.WarnContext(ctx, "starting paired game", "white", a.PlayerID, "black", b.PlayerID, "err", err)
			// Put both back so they are paired again rather than left waiting for nothing.
			for _, sk := range []store.Seek{a, b} {
				if err := s.live.AddSeek(ctx, sk); err != nil {
					s.log.WarnContext(ctx, "re-adding seek", "player", sk.PlayerID, "err", err)
				}
			}
		}
	}
}

// StartGame creates a game between two players and tells both. A non-empty startFEN starts a
// casual game from that position (white to move).
func (s *Server) StartGame(ctx context.Context, whiteID, blackID string, tc protocol.TimeControl, rated bool, startFEN string) (*game.State, error) {
	return s.startGame(ctx, whiteID, blackID, tc, rated, startFEN)
}

// startGame creates a game, stores it and tells both players.
func (s *Server) startGame(ctx context.Context, whiteID, blackID string, tc protocol.TimeControl, rated bool, startFEN string) (*game.State, error) {
	speed := rating.SpeedOf(tc.Minutes*60, tc.Increment)
	white, err := s.playerRef(ctx, whiteID, speed)
	if err != nil {
		return nil, err
	}
	black, err := s.playerRef(ctx, blackID, speed)
	if err != nil {
		return nil, err
	}
	if rated && (white.Guest || black.Guest) {
		rated = false
	}
	st := game.New(newGameID(), white, black, tc, rated, s.nowMs())
	if startFEN != "" {
		if st, err = game.NewFromPosition(st.ID, white, black, tc, startFEN, s.nowMs()); err != nil {
			return nil, fmt.Errorf("start position: %w", err)
		}
	}
	if err := s.durable.CreateGame(ctx, st); err != nil {
		return nil, fmt.Errorf("creating game: %w: %w", store.ErrUnavailable, err)
	}
	if err := s.live.PutGame(ctx, st, nil); err != nil {
		s.log.WarnContext(ctx, "caching new game", "game", st.ID, "err", err)
	}
	if err := s.live.AddActive(ctx, st.ID, whiteID, blackID); err != nil {
		s.log.WarnContext(ctx, "recording active game", "game", st.ID, "err", err)
	}
	frame := protocol.MustEncode(protocol.TGameStart, 0, st.Snapshot(s.nowMs()))
	for _, id := range []string{whiteID, blackID} {
		if err := s.live.Publish(ctx, store.PlayerTopic(id), frame); err != nil {
			s.log.WarnContext(ctx, "announcing game", "game", st.ID, "player", id, "err", err)
		}
	}
	s.log.InfoContext(ctx, "game started", "game", st.ID, "white", white.Name, "black", black.Name, "tc", st.TC, "rated", rated)
	return st, nil
}

func (s *Server) playerRef(ctx context.Context, id string, speed rating.Speed) (game.PlayerRef, error) {
	p, err := s.durable.PlayerByID(ctx, id)
	if err != nil {
		return game.PlayerRef{}, fmt.Errorf("reading player %s: %w", id, err)
	}
	r, err := s.currentRating(ctx, id, speed)
	if err != nil {
		return game.PlayerRef{}, err
	}
	return game.PlayerRef{ID: p.ID, Name: p.Name, Rating: r.Rating.Int(), Provisional: r.Rating.Provisional(), Guest: p.Guest}, nil
}
