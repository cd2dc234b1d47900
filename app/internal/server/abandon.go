package server

import (
	"context"
	"time"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/store"
)

// DefaultAbandonTimeout is how long a player's last connection must have been closed before
// the opponent may claim the game (claimAbandoned): long enough to reload a page or ride out a
// network change, short enough that nobody waits long for a player who left. One value for
// every time control (lichess varies it by speed); docs/protocol.md.
const DefaultAbandonTimeout = 30 * time.Second

// Bounds of Config.AbandonTimeout (ABANDON_TIMEOUT).
const (
	MinAbandonTimeout = time.Second
	MaxAbandonTimeout = 10 * time.Minute
)

// playerGone records since when a player who just lost their last connection is gone, in Live
// (so every instance decides a claim on the same time), and tells the watchers of each of the
// player's running games, with how long until the opponent may claim.
func (s *Server) playerGone(ctx context.Context, playerID string) {
	if _, err := s.live.GoneSince(ctx, playerID, s.nowMs()); err != nil {
		s.log.WarnContext(ctx, "recording since when a player is gone", "player", playerID, "err", err)
	}
	games, err := s.live.ActiveGamesOf(ctx, playerID)
	if err != nil {
		s.log.WarnContext(ctx, "listing active games", "player", playerID, "err", err)
		return
	}
	claimIn := s.cfg.AbandonTimeout.Milliseconds()
	for _, g := range games {
		frame := protocol.MustEncode(protocol.TOpponentGone, 0, protocol.OpponentGonePayload{Game: g, ClaimIn: claimIn})
		if err := s.live.Publish(ctx, store.GameTopic(g), frame); err != nil {
			s.log.WarnContext(ctx, "publishing presence", "game", g, "err", err)
		}
	}
}

// tellOpponentGone sends a player who (re)watches a running game `opponentGone` when the
// opponent is gone, so a reloaded page shows the claim countdown too.
func (s *Server) tellOpponentGone(ctx context.Context, sess *Session, st *game.State) {
	by, ok := st.ColorOf(sess.Player.PlayerID)
	if !ok || st.Ended() {
		return
	}
	now := s.nowMs()
	since, err := s.live.GoneSince(ctx, st.Player(by.Other()).ID, now)
	if err != nil {
		s.log.WarnContext(ctx, "reading since when the opponent is gone", "game", st.ID, "err", err)
		return
	}
	if since == 0 {
		return
	}
	claimIn := max(since+s.cfg.AbandonTimeout.Milliseconds()-now, 0)
	sess.send(protocol.MustEncode(protocol.TOpponentGone, 0, protocol.OpponentGonePayload{Game: st.ID, ClaimIn: claimIn}))
}

// claimAbandoned ends a game as a win or a draw for the sender when the opponent has had no
// connection for at least AbandonTimeout (by the time recorded in Live); before that, or while
// the opponent is connected, it answers bad_request and changes nothing.
func (s *Server) claimAbandoned(ctx context.Context, sess *Session, m protocol.ClientMessage) error {
	st, err := s.loadGame(ctx, m.Game, false)
	if err != nil {
		return err
	}
	by, ok := st.ColorOf(sess.Player.PlayerID)
	if !ok {
		return errNotYourGame
	}
	if !st.Ended() { // an ended game: apply answers game_over, or the ack of a resent claim
		now := s.nowMs()
		since, err := s.live.GoneSince(ctx, st.Player(by.Other()).ID, now)
		if err != nil {
			return unavailable(err)
		}
		if since == 0 {
			return protocol.Errorf(protocol.CodeBadRequest, "your opponent is connected; there is nothing to claim")
		}
		if wait := since + s.cfg.AbandonTimeout.Milliseconds() - now; wait > 0 {
			return protocol.Errorf(protocol.CodeBadRequest, "your opponent left %.1f s ago; you can claim in %.1f s",
				float64(now-since)/1000, float64(wait)/1000)
		}
	}
	return s.apply(ctx, m.Game, sess.Player.PlayerID, func(st *game.State, by rules.Color) (game.Outcome, error) {
		return st.ClaimAbandoned(by, m.Draw, m.Ack, s.nowMs())
	})
}
