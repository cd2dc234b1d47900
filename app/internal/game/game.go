// Package game is the chess game domain: the serializable live state of one game and the pure
// state machine that applies players' actions to it. It does no I/O: the server loads a State,
// calls one operation, commits the result durably and only then publishes the events.
package game

import (
	"errors"
	"fmt"

	"chessplatform/app/internal/clock"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/rules"
)

// Statuses of a game.
const (
	StatusStarted = "started"
	StatusEnded   = "ended"
)

// Results and reasons that are not produced by the rules package.
const (
	ResultWhite   = "1-0"
	ResultBlack   = "0-1"
	ResultDraw    = "1/2-1/2"
	ResultAborted = "*" // an aborted game has no result (PGN's "*")

	ReasonResign                = "resign"
	ReasonTimeout               = "timeout"
	ReasonTimeoutVsInsufficient = "timeoutVsInsufficient"
	ReasonAgreement             = "agreement"
	ReasonAbort                 = "abort"
)

// AbortWindowMs is how long each side has to make its first move before the game is aborted.
const AbortWindowMs = 30_000

// recentAcks is how many ack ids per side a game remembers to answer resent actions.
const recentAcks = 8

// Errors of the state machine; the server maps them to protocol error codes.
var (
	ErrGameOver     = errors.New("the game is over")
	ErrNotYourTurn  = errors.New("it is not your turn")
	ErrWrongPly     = errors.New("the move's ply does not follow the game")
	ErrIllegal      = errors.New("illegal move")
	ErrNoClaim      = errors.New("no draw can be claimed in this position")
	ErrNoDrawOffer  = errors.New("your opponent has not offered a draw")
	ErrTooLateAbort = errors.New("the game can no longer be aborted")
	// ErrDuplicate marks a resent action that was already applied: answer with its ack again.
	ErrDuplicate = errors.New("already applied")
)

// PlayerRef is a player as recorded in a game.
type PlayerRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Rating      int    `json:"rating"`
	Provisional bool   `json:"provisional,omitempty"`
	Guest       bool   `json:"guest,omitempty"`
}

// State is the live state of one game: everything needed to continue it on any server
// instance. Plain data, JSON-serializable; not safe for concurrent use.
type State struct {
	ID        string       `json:"id"`
	V         int64        `json:"v"` // version of the last event (0 before any)
	White     PlayerRef    `json:"white"`
	Black     PlayerRef    `json:"black"`
	TC        string       `json:"tc"`
	Rated     bool         `json:"rated"`
	Speed     rating.Speed `json:"speed"`
	CreatedAt int64        `json:"createdAt"` // Unix ms
	Rules     rules.State  `json:"rules"`
	Moves     []string     `json:"moves"`
	Clock     clock.Clock  `json:"clock"`
	Status    string       `json:"status"`
	Result    string       `json:"result,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	EndedAt   int64        `json:"endedAt,omitempty"`
	DrawOffer string       `json:"drawOffer,omitempty"` // "white" or "black"
	// AbortAt is when the side to move loses the chance to make its first move (0 once both have moved).
	AbortAt int64 `json:"abortAt,omitempty"`
	// Aborted says who aborted the game or failed to move first (reason abort only).
	Aborted protocol.AbortInfo   `json:"aborted,omitzero"`
	Ratings *protocol.EndRatings `json:"ratings,omitempty"`
	Acks    [2][]int64           `json:"acks,omitempty"` // recent ack ids of non-move actions per side

	// encoded is the JSON of the state as sealed: the live cache and the durable store both
	// store it, so Seal encodes it once per change (see EncodeJSON).
	encoded []byte
	// board is the rules board the last Move left at Rules, kept so the next Move validates
	// against the legal moves already generated for this position (see rules.Board). A board
	// must never be shared: Clone leaves it behind and only Handoff moves it.
	board *rules.Board
}

// EncodeJSON returns the state's JSON: the encoding Seal made, or a fresh one for a state that
// was never sealed (a new game). It never modifies the state, so concurrent readers are safe.
// Every change of a state ends with Seal, which re-encodes it; fields set directly (tests, a
// new game being set up) are seen as long as nothing sealed the state after them.
func (s *State) EncodeJSON() ([]byte, error) {
	if s.encoded != nil {
		return s.encoded, nil
	}
	return s.AppendJSON(nil), nil
}

// New creates a game that starts now with white to move.
func New(id string, white, black PlayerRef, tc protocol.TimeControl, rated bool, now int64) *State {
	return &State{
		ID:        id,
		White:     white,
		Black:     black,
		TC:        tc.String(),
		Rated:     rated,
		Speed:     rating.SpeedOf(tc.Minutes*60, tc.Increment),
		CreatedAt: now,
		Rules:     rules.StartState(),
		Moves:     []string{},
		Clock:     clock.New(clock.Config{BaseMs: tc.BaseMs(), IncMs: tc.IncMs()}),
		Status:    StatusStarted,
		AbortAt:   now + AbortWindowMs,
	}
}

// NewFromPosition creates a casual game from a position with white to move (a "from
// position" game, as lichess offers; never rated).
func NewFromPosition(id string, white, black PlayerRef, tc protocol.TimeControl, fen string, now int64) (*State, error) {
	rs, err := rules.StateFromFEN(fen)
	if err != nil {
		return nil, err
	}
	b, err := rules.Load(rs)
	if err != nil {
		return nil, err
	}
	if b.Turn() != rules.White {
		return nil, fmt.Errorf("start position must have white to move")
	}
	st := New(id, white, black, tc, false, now)
	st.Rules = rs
	return st, nil
}

// Clone returns a deep copy, so an operation can be tried without touching the original.
func (s *State) Clone() *State {
	c := *s // the memoized encoding is shared: both are the same state until one is sealed
	c.board = nil
	c.Moves = append([]string(nil), s.Moves...)
	c.Rules.RepKeys = append([]string(nil), s.Rules.RepKeys...)
	c.Acks[0] = append([]int64(nil), s.Acks[0]...)
	c.Acks[1] = append([]int64(nil), s.Acks[1]...)
	if s.Ratings != nil {
		r := *s.Ratings
		c.Ratings = &r
	}
	return &c
}

// Handoff returns a Clone that takes over s's kept rules board (s keeps none), so the copy
// that plays the next move can reuse it. The caller must own s exclusively.
func (s *State) Handoff() *State {
	c := s.Clone()
	c.board, s.board = s.board, nil
	return c
}

// loadBoard returns the kept board if it is at s.Rules, or loads one; either way s no
// longer keeps it.
func (s *State) loadBoard() (*rules.Board, error) {
	b := s.board
	s.board = nil
	if b != nil && b.Is(s.Rules) {
		return b, nil
	}
	return rules.Load(s.Rules)
}

// Ended reports whether the game is over.
func (s *State) Ended() bool { return s.Status == StatusEnded }

// Turn is the side to move.
func (s *State) Turn() rules.Color {
	if len(s.Moves)%2 == 0 {
		return rules.White
	}
	return rules.Black
}

// ColorOf returns the colour playerID plays in this game.
func (s *State) ColorOf(playerID string) (rules.Color, bool) {
	switch playerID {
	case s.White.ID:
		return rules.White, true
	case s.Black.ID:
		return rules.Black, true
	}
	return 0, false
}

// Player returns the player of colour c.
func (s *State) Player(c rules.Color) PlayerRef {
	if c == rules.White {
		return s.White
	}
	return s.Black
}

// Deadline is the Unix ms at which CheckTime may change the game (flag fall or the first-move
// abort), or 0 when nothing is pending.
func (s *State) Deadline() int64 {
	if s.Ended() {
		return 0
	}
	if s.Clock.Running {
		return s.Clock.FlagDeadline()
	}
	return s.AbortAt
}

// Event is one versioned game event, encoded once and sent as is to every watcher.
type Event struct {
	V     int64
	Frame []byte
	// State marks a frame that is a full state standing for every version up to V, so it may
	// follow any published version; an ordinary event must follow the last published one.
	State bool
}

// MoveRecord describes an applied move for durable storage.
type MoveRecord struct {
	Ply    int
	UCI    string
	SAN    string
	FEN    string
	ClockW int64
	ClockB int64
	At     int64 // Unix ms
}

// Outcome collects what one operation changed. Events are pending until Seal assigns versions.
type Outcome struct {
	pending []pendingEvent
	Move    *MoveRecord
	Ended   bool
}

type pendingEvent struct {
	t string
	d any
}

// Changed reports whether the operation changed the state (and so must be committed).
func (o *Outcome) Changed() bool { return len(o.pending) > 0 }

func (o *Outcome) add(t string, d any) { o.pending = append(o.pending, pendingEvent{t, d}) }

// Seal assigns versions to the outcome's events, encodes them and advances s.V. Call it once,
// after the ratings of a rated game end are known (SetRatings).
func (s *State) Seal(o *Outcome) []Event {
	prevEncoded := s.encoded
	s.encoded = nil
	events := make([]Event, 0, len(o.pending))
	defer func() {
		// Encode once for both stores, without reflection (statejson.go). The buffer is sized
		// from the last encoding: the state grows by a move at a time.
		s.encoded = s.AppendJSON(make([]byte, 0, len(prevEncoded)+64))
	}()
	for _, p := range o.pending {
		if end, ok := p.d.(*protocol.EndPayload); ok {
			end.Ratings = s.Ratings
		}
		s.V++
		events = append(events, Event{V: s.V, Frame: protocol.MustEncode(p.t, s.V, p.d)})
	}
	o.pending = nil
	return events
}

// SetRatings records the rating changes of a rated game that just ended.
func (s *State) SetRatings(r protocol.EndRatings) { s.Ratings = &r; s.encoded = nil }

// Move applies the move uci by colour by, claimed to be ply number ply, at now with the
// client-reported lag. A move made after the mover's flag fell ends the game on time instead:
// then the returned Outcome carries the end and the error is ErrGameOver.
func (s *State) Move(by rules.Color, uci string, ply int, lagMs, now int64) (Outcome, error) {
	var o Outcome
	if ply >= 1 && ply <= len(s.Moves) {
		if plyColor(ply) == by && s.Moves[ply-1] == uci {
			return o, ErrDuplicate
		}
		if s.Ended() {
			return o, ErrGameOver
		}
		return o, fmt.Errorf("%w: ply %d was already played, next is %d", ErrWrongPly, ply, len(s.Moves)+1)
	}
	if s.Ended() {
		return o, ErrGameOver
	}
	if s.Turn() != by {
		return o, ErrNotYourTurn
	}
	if ply != len(s.Moves)+1 {
		return o, fmt.Errorf("%w: got ply %d, next is %d", ErrWrongPly, ply, len(s.Moves)+1)
	}
	board, err := s.loadBoard()
	if err != nil {
		return o, fmt.Errorf("game %s: loading position: %w", s.ID, err)
	}
	if s.Clock.Running && s.Clock.OutOfTime(int(by), now, true) {
		s.flag(&o, now)
		return o, ErrGameOver
	}
	m, err := board.Play(uci)
	if err != nil {
		s.board = board // Play changes nothing on error: keep it for the next try
		return o, fmt.Errorf("%w: %s", ErrIllegal, uci)
	}
	clk := s.Clock
	res := clk.Move(now, lagMs)
	if res.Flagged {
		// Too late even with lag compensation: the flag fell before the move arrived.
		s.Clock = clk
		s.flag(&o, now)
		return o, ErrGameOver
	}
	s.Clock = clk
	s.Rules = board.State()
	s.board = board
	s.Moves = append(s.Moves, uci)
	if s.DrawOffer == by.Other().String() {
		s.DrawOffer = "" // an offer lapses when the offerer's opponent moves
	}
	switch len(s.Moves) {
	case 1:
		s.AbortAt = now + AbortWindowMs
	case 2:
		s.AbortAt = 0
		s.Clock.Start(now)
	}
	cw, cb := s.Clock.RemainingAt(0, now), s.Clock.RemainingAt(1, now)
	o.Move = &MoveRecord{Ply: len(s.Moves), UCI: uci, SAN: m.SAN, FEN: m.FEN, ClockW: cw, ClockB: cb, At: now}
	o.add(protocol.TMoveEvent, &protocol.MovePayload{
		Game: s.ID, UCI: uci, SAN: m.SAN, FEN: m.FEN, Ply: len(s.Moves),
		Clock: protocol.Clock{W: cw, B: cb}, Check: m.Check,
	})
	if m.Ending.Over() {
		s.end(&o, m.Ending.Result, m.Ending.Reason, now)
	}
	return o, nil
}

// Resign ends the game as a loss for by.
func (s *State) Resign(by rules.Color, ack, now int64) (Outcome, error) {
	var o Outcome
	if err := s.checkAction(by, ack); err != nil {
		return o, err
	}
	s.remember(by, ack)
	s.end(&o, winFor(by.Other()), ReasonResign, now)
	return o, nil
}

// Abort ends the game without a result; allowed only until each side has moved once.
func (s *State) Abort(by rules.Color, ack, now int64) (Outcome, error) {
	var o Outcome
	if err := s.checkAction(by, ack); err != nil {
		return o, err
	}
	if len(s.Moves) >= 2 {
		return o, ErrTooLateAbort
	}
	s.remember(by, ack)
	s.Aborted = protocol.AbortInfo{AbortedBy: by.String()}
	s.end(&o, ResultAborted, ReasonAbort, now)
	return o, nil
}

// OfferDraw offers a draw; offering while the opponent's offer stands accepts it.
func (s *State) OfferDraw(by rules.Color, ack, now int64) (Outcome, error) {
	var o Outcome
	if err := s.checkAction(by, ack); err != nil {
		return o, err
	}
	switch s.DrawOffer {
	case by.Other().String():
		s.remember(by, ack)
		s.end(&o, ResultDraw, ReasonAgreement, now)
	case by.String():
		// Already offered: nothing changes, the ack confirms it.
	default:
		s.remember(by, ack)
		s.DrawOffer = by.String()
		o.add(protocol.TDrawOffered, &protocol.DrawOfferedPayload{Game: s.ID, By: by.String()})
	}
	return o, nil
}

// AcceptDraw accepts the opponent's standing offer.
func (s *State) AcceptDraw(by rules.Color, ack, now int64) (Outcome, error) {
	var o Outcome
	if err := s.checkAction(by, ack); err != nil {
		return o, err
	}
	if s.DrawOffer != by.Other().String() {
		return o, ErrNoDrawOffer
	}
	s.remember(by, ack)
	s.end(&o, ResultDraw, ReasonAgreement, now)
	return o, nil
}

// DeclineDraw declines the opponent's standing offer.
func (s *State) DeclineDraw(by rules.Color, ack int64) (Outcome, error) {
	var o Outcome
	if err := s.checkAction(by, ack); err != nil {
		return o, err
	}
	if s.DrawOffer != by.Other().String() {
		return o, ErrNoDrawOffer
	}
	s.remember(by, ack)
	s.DrawOffer = ""
	o.add(protocol.TDrawDeclined, &protocol.GameRef{Game: s.ID})
	return o, nil
}

// ClaimDraw ends the game as a draw by threefold repetition or the fifty-move rule.
func (s *State) ClaimDraw(by rules.Color, ack, now int64) (Outcome, error) {
	var o Outcome
	if err := s.checkAction(by, ack); err != nil {
		return o, err
	}
	board, err := rules.Load(s.Rules)
	if err != nil {
		return o, fmt.Errorf("game %s: loading position: %w", s.ID, err)
	}
	reason, ok := board.ClaimableDraw()
	if !ok {
		return o, ErrNoClaim
	}
	s.remember(by, ack)
	s.end(&o, ResultDraw, reason, now)
	return o, nil
}

// CheckTime ends the game if the side to move has flagged or has not made its first move in
// time. It changes nothing otherwise, so any instance may call it at any time.
func (s *State) CheckTime(now int64) Outcome {
	var o Outcome
	if s.Ended() {
		return o
	}
	if s.Clock.Running {
		if s.Clock.OutOfTime(int(s.Turn()), now, true) {
			s.flag(&o, now)
		}
		return o
	}
	if s.AbortAt != 0 && now >= s.AbortAt {
		s.Aborted = protocol.AbortInfo{NoMove: s.Turn().String()}
		s.end(&o, ResultAborted, ReasonAbort, now)
	}
	return o
}

// flag ends the game on time against the side to move: a loss, or a draw when the opponent
// could not possibly mate.
func (s *State) flag(o *Outcome, now int64) {
	loser := s.Turn()
	result, reason := winFor(loser.Other()), ReasonTimeout
	if board, err := rules.Load(s.Rules); err == nil && !board.HasMatingMaterial(loser.Other()) {
		result, reason = ResultDraw, ReasonTimeoutVsInsufficient
	}
	s.Clock.Remaining[loser] = 0
	s.end(o, result, reason, now)
}

func (s *State) end(o *Outcome, result, reason string, now int64) {
	s.Clock.Stop(now)
	s.Status = StatusEnded
	s.Result = result
	s.Reason = reason
	s.EndedAt = now
	s.DrawOffer = ""
	s.AbortAt = 0
	o.Ended = true
	o.add(protocol.TEnd, &protocol.EndPayload{Game: s.ID, Result: result, Reason: reason, AbortInfo: s.Aborted})
}

// checkAction validates a non-move action and detects a resent one.
func (s *State) checkAction(by rules.Color, ack int64) error {
	if ack > 0 {
		for _, a := range s.Acks[by] {
			if a == ack {
				return ErrDuplicate
			}
		}
	}
	if s.Ended() {
		return ErrGameOver
	}
	return nil
}

func (s *State) remember(by rules.Color, ack int64) {
	if ack <= 0 {
		return
	}
	acks := append(s.Acks[by], ack)
	if len(acks) > recentAcks {
		acks = acks[len(acks)-recentAcks:]
	}
	s.Acks[by] = acks
}

// WhiteScore is white's score in an ended game (1, 0.5 or 0) and whether the game counts.
func (s *State) WhiteScore() (float64, bool) {
	switch s.Result {
	case ResultWhite:
		return 1, true
	case ResultBlack:
		return 0, true
	case ResultDraw:
		return 0.5, true
	}
	return 0, false
}

// Snapshot is the full state as the protocol shows it, with clocks read at now.
func (s *State) Snapshot(now int64) protocol.GameState {
	gs := protocol.GameState{
		Game:         s.ID,
		V:            s.V,
		White:        protocol.PlayerInfo{Name: s.White.Name, Rating: s.White.Rating, Provisional: s.White.Provisional, Guest: s.White.Guest},
		Black:        protocol.PlayerInfo{Name: s.Black.Name, Rating: s.Black.Rating, Provisional: s.Black.Provisional, Guest: s.Black.Guest},
		TC:           s.TC,
		Rated:        s.Rated,
		FEN:          s.Rules.FEN,
		Moves:        s.Moves,
		Clock:        protocol.Clock{W: s.Clock.RemainingAt(0, now), B: s.Clock.RemainingAt(1, now)},
		Turn:         s.Turn().String(),
		Status:       s.Status,
		Ratings:      s.Ratings,
		ClockRunning: s.Clock.Running,
		ServerTime:   now,
	}
	if gs.Moves == nil {
		gs.Moves = []string{}
	}
	if s.Ended() {
		r, why := s.Result, s.Reason
		gs.Result, gs.Reason = &r, &why
		gs.AbortInfo = s.Aborted
	} else if !s.Clock.Running {
		gs.FirstMoveBy = s.AbortAt
	}
	if s.DrawOffer != "" {
		d := s.DrawOffer
		gs.DrawOffer = &d
	}
	return gs
}

func plyColor(ply int) rules.Color {
	if ply%2 == 1 {
		return rules.White
	}
	return rules.Black
}

func winFor(c rules.Color) string {
	if c == rules.White {
		return ResultWhite
	}
	return ResultBlack
}
