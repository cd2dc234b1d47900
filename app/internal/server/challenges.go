package server

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// Challenges are two-way: the challenger's connections get challengeSent, the target's get
// challenge, and both get challengeGone when it is accepted, declined, cancelled or expires.
// Everything goes through the players' topics, so it reaches them on any instance.

// challenge sends a challenge to a named player, or creates an open one (a link) without "to".
func (s *Server) challenge(ctx context.Context, sess *Session, m protocol.ClientMessage) error {
	p := sess.Player
	c := store.Challenge{
		ID: newChallengeID(), FromID: p.PlayerID, From: p.Name,
		TC: m.TC.String(), Color: m.Color, Rated: m.Rated, Expires: s.nowMs() + store.ChallengeTTL.Milliseconds(),
	}
	if m.To != "" {
		target, err := s.durable.PlayerByName(ctx, m.To)
		if errors.Is(err, store.ErrNotFound) {
			return protocol.Errorf(protocol.CodeNotFound, "no player named %q", m.To)
		}
		if err != nil {
			return unavailable(err)
		}
		if target.ID == p.PlayerID {
			return protocol.Errorf(protocol.CodeBadRequest, "you cannot challenge yourself")
		}
		if m.Rated && target.Guest {
			return protocol.Errorf(protocol.CodeBadRequest, "rated games need two registered players")
		}
		c.ToID, c.To = target.ID, target.Name
	}
	if m.Rated && p.Guest {
		return protocol.Errorf(protocol.CodeBadRequest, "rated games need two registered players")
	}
	return s.offer(ctx, c)
}

// offer stores a challenge and tells both sides.
func (s *Server) offer(ctx context.Context, c store.Challenge) error {
	if err := s.live.PutChallenge(ctx, c); err != nil {
		return unavailable(err)
	}
	d := challengePayload(c)
	if err := s.live.Publish(ctx, store.PlayerTopic(c.FromID), protocol.MustEncode(protocol.TChallengeSent, 0, d)); err != nil {
		return unavailable(err)
	}
	if c.ToID == "" {
		return nil
	}
	return unavailable(s.live.Publish(ctx, store.PlayerTopic(c.ToID), protocol.MustEncode(protocol.TChallenge, 0, d)))
}

func challengePayload(c store.Challenge) protocol.ChallengePayload {
	return protocol.ChallengePayload{ID: c.ID, From: c.From, To: c.To, TC: c.TC, Color: c.Color, Rated: c.Rated, ExpiresAt: c.Expires, Rematch: c.Rematch}
}

// Challenge returns an open or direct challenge for the HTTP API (the challenge link page).
func (s *Server) Challenge(ctx context.Context, id string) (protocol.ChallengePayload, error) {
	c, err := s.live.GetChallenge(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return protocol.ChallengePayload{}, err
		}
		return protocol.ChallengePayload{}, unavailable(err)
	}
	return challengePayload(c), nil
}

// gone tells both sides of a challenge that it is no longer open. A failure is logged: the
// action itself has happened, and the clients also drop challenges at their expiry.
func (s *Server) gone(ctx context.Context, c store.Challenge, g protocol.ChallengeGonePayload) {
	frame := protocol.MustEncode(protocol.TChallengeGone, 0, g)
	for _, id := range []string{c.FromID, c.ToID} {
		if id == "" {
			continue
		}
		if err := s.live.Publish(ctx, store.PlayerTopic(id), frame); err != nil {
			s.log.WarnContext(ctx, "announcing challenge gone", "challenge", c.ID, "reason", g.Reason, "err", err)
		}
	}
}

// takeChallenge takes a challenge out of the store for action, mapping the store's refusals
// to protocol errors that say which.
func (s *Server) takeChallenge(ctx context.Context, id, playerID string, action store.ChallengeAction) (store.Challenge, error) {
	c, err := s.live.TakeChallenge(ctx, id, playerID, action)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, store.ErrNotFound):
		return c, protocol.Errorf(protocol.CodeNotFound, "challenge %s has expired or was already answered", id)
	case errors.Is(err, store.ErrNotYours) && action == store.TakeCancel:
		return c, protocol.Errorf(protocol.CodeNotFound, "challenge %s was not sent by you", id)
	case errors.Is(err, store.ErrNotYours):
		return c, protocol.Errorf(protocol.CodeNotFound, "challenge %s is not addressed to you", id)
	}
	return c, unavailable(err)
}

func (s *Server) acceptChallenge(ctx context.Context, sess *Session, id string) error {
	me := sess.Player
	// Read first, to refuse with a precise reason and leave the challenge in place.
	peek, err := s.live.GetChallenge(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return protocol.Errorf(protocol.CodeNotFound, "challenge %s has expired or was already answered", id)
	case err != nil:
		return unavailable(err)
	case peek.ToID != "" && peek.ToID != me.PlayerID:
		return protocol.Errorf(protocol.CodeNotFound, "challenge %s is not addressed to you", id)
	case peek.FromID == me.PlayerID:
		return protocol.Errorf(protocol.CodeBadRequest, "you cannot accept your own challenge")
	case peek.Rated && me.Guest:
		return protocol.Errorf(protocol.CodeBadRequest, "rated games need two registered players; register to accept")
	}
	c, err := s.takeChallenge(ctx, id, me.PlayerID, store.TakeAccept)
	if err != nil {
		return err
	}
	st, err := s.startChallengeGame(ctx, c, me.PlayerID)
	if err != nil {
		// Put it back, so the accept can be retried (unavailable) and nobody is told it is gone.
		if perr := s.live.PutChallenge(ctx, c); perr != nil {
			s.log.WarnContext(ctx, "restoring challenge", "challenge", c.ID, "err", perr)
		}
		return err
	}
	c.ToID = me.PlayerID // an open challenge: the accepter's other tabs drop it too
	s.gone(ctx, c, protocol.ChallengeGonePayload{ID: c.ID, Reason: protocol.GoneAccepted, Game: st.ID, By: me.Name})
	return nil
}

// startChallengeGame starts the game of an accepted challenge, colours as the challenger chose.
func (s *Server) startChallengeGame(ctx context.Context, c store.Challenge, accepterID string) (*game.State, error) {
	tc, err := protocol.ParseTimeControl(c.TC)
	if err != nil {
		return nil, fmt.Errorf("stored challenge %s: %w", c.ID, err)
	}
	white, black := c.FromID, accepterID
	switch c.Color {
	case protocol.ColorBlack:
		white, black = black, white
	case protocol.ColorRandom:
		if rand.IntN(2) == 1 {
			white, black = black, white
		}
	}
	return s.startGame(ctx, white, black, tc, c.Rated, "")
}

func (s *Server) declineChallenge(ctx context.Context, sess *Session, id string) error {
	c, err := s.takeChallenge(ctx, id, sess.Player.PlayerID, store.TakeDecline)
	if err != nil {
		return err
	}
	s.gone(ctx, c, protocol.ChallengeGonePayload{ID: c.ID, Reason: protocol.GoneDeclined, By: sess.Player.Name})
	return nil
}

func (s *Server) cancelChallenge(ctx context.Context, sess *Session, id string) error {
	c, err := s.takeChallenge(ctx, id, sess.Player.PlayerID, store.TakeCancel)
	if err != nil {
		return err
	}
	s.gone(ctx, c, protocol.ChallengeGonePayload{ID: c.ID, Reason: protocol.GoneCancelled, By: sess.Player.Name})
	return nil
}

// expireChallenges tells the players of challenges that expired; each expired challenge is
// handed to one instance.
func (s *Server) expireChallenges(ctx context.Context) {
	expired, err := s.live.ExpireChallenges(ctx, s.nowMs())
	if err != nil {
		s.log.WarnContext(ctx, "expiring challenges", "err", err)
	}
	for _, c := range expired {
		s.gone(ctx, c, protocol.ChallengeGonePayload{ID: c.ID, Reason: protocol.GoneExpired})
	}
}
