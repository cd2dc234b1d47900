package rules

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/corentings/chess/v2"
)

// uciSyntax is checked before the library sees a move: its decoder validates
// only the origin square (defect 2), so "b1q1" would be played as b1a3.
var uciSyntax = regexp.MustCompile(`^[a-h][1-8][a-h][1-8][qrbn]?$`)

// Automatic-ending thresholds (FIDE 9.6) and claim thresholds (FIDE 9.2, 9.3).
const (
	fivefold     = 5
	threefold    = 3
	seventyFive  = 150 // half-moves
	fiftyMoves   = 100 // half-moves
	maxRepKeys   = seventyFive + 1
	resultWhite  = "1-0"
	resultBlack  = "0-1"
	resultDraw   = "1/2-1/2"
	reasonMate   = "checkmate"
	reasonStale  = "stalemate"
	reasonFive   = "fivefold"
	reasonSeven  = "seventyfive"
	reasonInsuff = "insufficient"
)

// Ending is an automatic end of the game; the zero value means none.
type Ending struct {
	Result string `json:"result,omitempty"` // "1-0", "0-1", "1/2-1/2"
	Reason string `json:"reason,omitempty"` // "checkmate", "stalemate", "fivefold", "seventyfive", "insufficient"
}

// Over reports whether the game ended.
func (e Ending) Over() bool { return e.Result != "" }

// Move is a move that was played.
type Move struct {
	UCI    string `json:"uci"`
	SAN    string `json:"san"` // encoded from the position before the move
	FEN    string `json:"fen"` // after the move
	Check  bool   `json:"check,omitempty"`
	Ending Ending `json:"ending,omitzero"` // automatic ending reached by this move
}

// Board is a game position being played.
//
// A Board is not safe for concurrent use and must never be shared between
// goroutines: the library's Position writes its legal-move cache into itself
// on every query (defect 6). Load a Board per goroutine from a State instead.
type Board struct {
	pos *chess.Position
	cur fenPos   // pos as squares and counters (the library hides the fullmove number)
	fen string   // canonical FEN of pos
	rep []string // repetition keys, current position last
	// legal caches pos's legal moves (nil until needed). Play fills it for the position it
	// moves to, where it has to generate them anyway to detect the end of the game, so a
	// Board kept for the next move validates it without generating them again.
	legal []chess.Move
}

// legalMoves returns pos's legal moves; the slice is the board's cache, not a copy.
func (b *Board) legalMoves() []chess.Move {
	if b.legal == nil {
		b.legal = b.pos.ValidMoves()
	}
	return b.legal
}

// Is reports whether the board is at exactly the state s (position and repetition history),
// so a caller that kept it may play on it instead of loading s.
func (b *Board) Is(s State) bool {
	return b.fen == s.FEN && slices.Equal(b.rep, s.RepKeys)
}

// Load parses the state into a Board. The FEN is validated; RepKeys must end
// with the key of the FEN position and hold at most halfmove clock + 1 keys.
// Empty RepKeys start a fresh history.
func Load(s State) (*Board, error) {
	if len(s.RepKeys) > maxRepKeys {
		return nil, fmt.Errorf("%w: %d repetition keys", ErrBadState, len(s.RepKeys))
	}
	p, pos, err := parseFEN(s.FEN)
	if err != nil {
		return nil, err
	}
	b := &Board{pos: pos, cur: p, fen: p.String()}
	key := repKey(pos, &p, nil)
	switch n := len(s.RepKeys); {
	case n == 0:
		b.rep = []string{key}
	case n > p.half+1:
		return nil, fmt.Errorf("%w: %d repetition keys but halfmove clock %d", ErrBadState, n, p.half)
	case s.RepKeys[n-1] != key:
		return nil, fmt.Errorf("%w: last repetition key does not match the FEN", ErrBadState)
	default:
		for _, k := range s.RepKeys {
			if !wellFormedKey(k) {
				return nil, fmt.Errorf("%w: malformed repetition key", ErrBadState)
			}
		}
		// Room for the next key, so Play appends without copying.
		b.rep = make([]string, n, n+1)
		copy(b.rep, s.RepKeys)
	}
	return b, nil
}

// State returns a copy of the board's state.
func (b *Board) State() State {
	return State{FEN: b.fen, RepKeys: slices.Clone(b.rep)}
}

// Turn returns the side to move.
func (b *Board) Turn() Color { return b.cur.turn }

// Ply returns the half-moves played so far, from the FEN counters
// (0 in the initial position, 1 after 1.e4).
func (b *Board) Ply() int {
	p := (b.cur.full - 1) * 2
	if b.cur.turn == Black {
		p++
	}
	return p
}

// FEN returns the current position.
func (b *Board) FEN() string { return b.fen }

// Ending returns the automatic ending of the current position, if any.
// Checkmate takes precedence over the seventy-five-move rule (FIDE 9.6.2).
func (b *Board) Ending() Ending {
	return b.ending(b.pos.Status())
}

func (b *Board) ending(status chess.Method) Ending {
	switch status {
	case chess.Checkmate:
		// The side to move is mated.
		if b.Turn() == White {
			return Ending{Result: resultBlack, Reason: reasonMate}
		}
		return Ending{Result: resultWhite, Reason: reasonMate}
	case chess.Stalemate:
		return Ending{Result: resultDraw, Reason: reasonStale}
	}
	if m := materialOf(&b.cur.sq); m.insufficient() {
		return Ending{Result: resultDraw, Reason: reasonInsuff}
	}
	if occurrences(b.rep, b.rep[len(b.rep)-1]) >= fivefold {
		return Ending{Result: resultDraw, Reason: reasonFive}
	}
	if b.cur.half >= seventyFive {
		return Ending{Result: resultDraw, Reason: reasonSeven}
	}
	return Ending{}
}

// ClaimableDraw reports a draw the side to move may claim now: "threefold"
// when the current position has occurred at least three times, "fifty" when
// fifty moves by each side passed without a capture or pawn move. Nothing is
// claimable once the game is over.
func (b *Board) ClaimableDraw() (reason string, ok bool) {
	if b.Ending().Over() {
		return "", false
	}
	if occurrences(b.rep, b.rep[len(b.rep)-1]) >= threefold {
		return "threefold", true
	}
	if b.cur.half >= fiftyMoves {
		return "fifty", true
	}
	return "", false
}

// HasMatingMaterial reports whether c could possibly checkmate by some legal
// sequence of moves (lichess's InsufficientMatingMaterial for one colour).
// When a side flags and its opponent has no mating material the game is a
// draw.
func (b *Board) HasMatingMaterial(c Color) bool {
	m := materialOf(&b.cur.sq)
	return m.hasMatingMaterial(c)
}

// LegalMoves returns the moves Play accepts now, in UCI, sorted. It is empty
// once the game is over (including fivefold, seventy-five moves and
// insufficient material, where moves exist on the board but the game ended).
func (b *Board) LegalMoves() []string {
	if b.Ending().Over() {
		return []string{}
	}
	ms := b.legalMoves()
	out := make([]string, 0, len(ms))
	for i := range ms {
		out = append(out, uciOf(&ms[i]))
	}
	slices.Sort(out)
	return out
}

func uciOf(m *chess.Move) string {
	return m.S1().String() + m.S2().String() + m.Promo().String()
}

// Play validates and plays one move given in UCI. On error the board is
// unchanged. Errors: ErrBadUCI (syntax, checked first), ErrIllegal (not legal
// here, or a missing/superfluous promotion suffix), ErrGameOver (wraps
// ErrIllegal).
func (b *Board) Play(uci string) (Move, error) {
	if !uciSyntax.MatchString(uci) {
		return Move{}, fmt.Errorf("%w: %q", ErrBadUCI, clip(uci))
	}
	legal := b.legalMoves()
	status := chess.NoMethod
	if len(legal) == 0 {
		status = b.pos.Status()
	}
	if e := b.ending(status); e.Over() {
		return Move{}, fmt.Errorf("%w (%s)", ErrGameOver, e.Reason)
	}

	m, err := b.find(legal, uci)
	if err != nil {
		return Move{}, err
	}
	next := applyMove(b.pos, m)
	// The full generation here (Status alone would stop at the first legal move) is what the
	// next Play on this board validates against; the repetition key and the SAN read it too.
	nextLegal := next.ValidMoves()
	san := sanOf(&b.cur.sq, legal, m, m.HasTag(chess.Check) && len(nextLegal) == 0)

	full := b.cur.full
	if b.cur.turn == Black {
		full++
	}
	cur := fenPosOf(next, full)

	// An irreversible move empties the repetition history: no earlier position
	// can recur after a capture, a pawn move or a change of castling rights.
	key := repKey(next, &cur, nextLegal)
	rep := b.rep
	if cur.half == 0 || cur.castling != b.cur.castling {
		rep = []string{key}
	} else {
		rep = append(rep, key)
	}
	b.pos, b.cur, b.fen, b.rep, b.legal = next, cur, cur.String(), rep, nextLegal

	return Move{
		UCI:    uci,
		SAN:    san,
		FEN:    b.fen,
		Check:  m.HasTag(chess.Check),
		Ending: b.ending(next.Status()), // uses the moves just generated
	}, nil
}

// find returns the legal move matching uci (syntax already checked), with
// tags computed from scratch.
func (b *Board) find(legal []chess.Move, uci string) (*chess.Move, error) {
	s1 := chess.Square(uci[0]-'a') + chess.Square(uci[1]-'1')*8
	s2 := chess.Square(uci[2]-'a') + chess.Square(uci[3]-'1')*8
	promo := chess.NoPieceType
	if len(uci) == 5 {
		promo = chess.PieceTypeFromByte(uci[4])
	}
	sameSquares := false
	for i := range legal {
		m := &legal[i]
		if m.S1() != s1 || m.S2() != s2 {
			continue
		}
		sameSquares = true
		if m.Promo() != promo {
			continue
		}
		return fresh(b.pos, m)
	}
	switch {
	case sameSquares && promo == chess.NoPieceType:
		return nil, fmt.Errorf("%w: %q needs a promotion piece (q, r, b or n)", ErrIllegal, uci)
	case sameSquares:
		return nil, fmt.Errorf("%w: %q is not a promotion", ErrIllegal, uci)
	}
	return nil, fmt.Errorf("%w: %q", ErrIllegal, uci)
}

// fresh returns m with its tags computed from scratch. ValidMoves reuses one
// Move across the four promotion pieces without clearing its tags, so a
// promotion after a checking queen promotion carries a stale Check tag
// (upstream #116); Position.Update would copy it into the new position's
// in-check flag. Promotions are therefore decoded afresh (the decoder also
// computes the resulting position). Other moves' tags are reset per move by
// the library and are used as they are.
func fresh(pos *chess.Position, m *chess.Move) (*chess.Move, error) {
	if m.Promo() == chess.NoPieceType {
		return m, nil
	}
	f, err := chess.UCINotation{}.Decode(pos, uciOf(m))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrIllegal, uciOf(m), err)
	}
	return f, nil
}

// applyMove returns the position after m, a move from fresh. Decoded
// promotions already carry it; other moves go through Update.
func applyMove(pos *chess.Position, m *chess.Move) *chess.Position {
	if p := m.Position(); p != nil {
		return p
	}
	return pos.Update(m)
}

// clip bounds user input echoed in errors.
func clip(s string) string {
	const n = 16
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
