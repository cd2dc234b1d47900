package server

import (
	"context"
	"errors"
	"strings"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// A rematch is a challenge to the opponent of an ended game, with the colours swapped and the
// same time control and rated flag. Its id is derived from the game and the offering side, so
// when both players ask, the second `rematch` finds the first offer and accepts it.

// rematchID is the challenge id of the rematch of gameID offered by the side that played colour.
func rematchID(gameID, colour string) string {
	body := strings.TrimPrefix(gameID, "g_")
	if len(body) > 23 {
		body = body[:23] // ids stay within the protocol's 24 characters
	}
	side := "W"
	if colour == protocol.ColorBlack {
		side = "B"
	}
	return "c_" + body + side
}

func (s *Server) rematch(ctx context.Context, sess *Session, gameID string) error {
	st, err := s.loadGame(ctx, gameID, false)
	if errors.Is(err, store.ErrNotFound) {
		return protocol.Errorf(protocol.CodeNotFound, "no game %s", gameID)
	}
	if err != nil {
		return err
	}
	me := sess.Player.PlayerID
	var mine, theirs string
	var opponent game.PlayerRef
	switch me {
	case st.White.ID:
		mine, theirs, opponent = protocol.ColorWhite, protocol.ColorBlack, st.Black
	case st.Black.ID:
		mine, theirs, opponent = protocol.ColorBlack, protocol.ColorWhite, st.White
	default:
		return protocol.Errorf(protocol.CodeNotYourGame, "you do not play in this game")
	}
	if !st.Ended() {
		return protocol.Errorf(protocol.CodeBadRequest, "the game is still running; a rematch is offered after it ends")
	}
	// The opponent asked first: this is the answer.
	theirOffer := rematchID(gameID, theirs)
	if _, err := s.live.GetChallenge(ctx, theirOffer); err == nil {
		return s.acceptChallenge(ctx, sess, theirOffer)
	} else if !errors.Is(err, store.ErrNotFound) {
		return unavailable(err)
	}
	return s.offer(ctx, store.Challenge{
		ID: rematchID(gameID, mine), FromID: me, From: sess.Player.Name, ToID: opponent.ID, To: opponent.Name,
		TC: st.TC, Color: theirs, Rated: st.Rated, Rematch: gameID,
		Expires: s.nowMs() + store.ChallengeTTL.Milliseconds(),
	})
}
