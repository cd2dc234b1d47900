package game

import "chessplatform/app/internal/rules"

// ReasonAbandoned ends a game that the remaining player claimed (as a win or a draw) after the
// opponent had been gone longer than the server's abandon timeout. The state machine does not
// know about connections: the server decides that the claim is due before calling
// ClaimAbandoned.
const ReasonAbandoned = "abandoned"

// ClaimAbandoned ends the game for `by` (the player who stayed): a win, or a draw when draw is
// set.
func (s *State) ClaimAbandoned(by rules.Color, draw bool, ack, now int64) (Outcome, error) {
	var o Outcome
	if err := s.checkAction(by, ack); err != nil {
		return o, err
	}
	s.remember(by, ack)
	result := winFor(by)
	if draw {
		result = ResultDraw
	}
	s.end(&o, result, ReasonAbandoned, now)
	return o, nil
}
