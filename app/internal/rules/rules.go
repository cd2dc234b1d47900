package rules

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/corentings/chess/v2"
)

// Color is a side: White = 0, Black = 1.
type Color int8

// The two sides.
const (
	White Color = 0
	Black Color = 1
)

// String returns "white" or "black".
func (c Color) String() string {
	if c == Black {
		return "black"
	}
	return "white"
}

// Other returns the opponent's colour.
func (c Color) Other() Color {
	if c == Black {
		return White
	}
	return Black
}

func (c Color) lib() chess.Color {
	if c == Black {
		return chess.Black
	}
	return chess.White
}

func colorOf(c chess.Color) Color {
	if c == chess.Black {
		return Black
	}
	return White
}

// State is everything needed to continue a game by the rules; plain data,
// JSON-serializable.
type State struct {
	FEN string `json:"fen"`
	// RepKeys are the repetition keys of the positions since the last
	// irreversible move (capture, pawn move or change of castling rights),
	// oldest first, current position last. At most halfmove clock + 1 keys.
	RepKeys []string `json:"rep,omitempty"`
}

// Errors returned by this package. Callers test them with errors.Is.
var (
	// ErrBadUCI: the move text is not ^[a-h][1-8][a-h][1-8][qrbn]?$.
	ErrBadUCI = errors.New("rules: malformed UCI move")
	// ErrIllegal: well-formed but not a legal move in this position
	// (including a missing or superfluous promotion suffix).
	ErrIllegal = errors.New("rules: illegal move")
	// ErrGameOver: the position is already finished (checkmate, stalemate,
	// fivefold, seventy-five moves, insufficient material). It wraps
	// ErrIllegal, so errors.Is(err, ErrIllegal) also holds.
	ErrGameOver = fmt.Errorf("%w: the game is over", ErrIllegal)
	// ErrBadFEN: the FEN cannot be parsed or is not a legal chess position.
	ErrBadFEN = errors.New("rules: invalid FEN")
	// ErrBadState: the repetition keys do not belong to the FEN.
	ErrBadState = errors.New("rules: inconsistent state")
	// ErrBadPGN: invalid tags or moves given to PGN.
	ErrBadPGN = errors.New("rules: cannot build PGN")
)

// StartFEN is the standard initial position.
const StartFEN = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"

// maxFENLen bounds FEN input; a legal FEN is under 100 bytes.
const maxFENLen = 128

// fenMu serializes every FEN/PGN parse done by the library: v2.3.2 splits
// ranks into a package-level buffer (rankBuffer in fen.go), which races and
// corrupts positions under concurrent use (defect 1). It guards the library's
// global, not data of this package. Hold it around chess.FEN, chess.NewGame,
// chess.PGN and Position.UnmarshalText, and nothing else.
var fenMu sync.Mutex

// StartState returns the state of a new standard game.
func StartState() State {
	s, err := StateFromFEN(StartFEN)
	if err != nil {
		panic("rules: start position rejected: " + err.Error()) // cannot happen: constant input
	}
	return s
}

// StateFromFEN validates fen and returns the state of a game starting there.
// The returned FEN is canonical (single spaces, castling rights as KQkq).
// A four-field FEN (no clocks) is accepted as "0 1".
func StateFromFEN(fen string) (State, error) {
	p, pos, err := parseFEN(fen)
	if err != nil {
		return State{}, err
	}
	return State{FEN: p.String(), RepKeys: []string{repKey(pos, &p, nil)}}, nil
}

// parseFEN parses and validates a FEN; the only way positions enter the
// package.
func parseFEN(fen string) (fenPos, *chess.Position, error) {
	p, err := parseFENText(fen)
	if err != nil {
		return p, nil, err
	}
	if err := p.validate(); err != nil {
		return p, nil, err
	}
	pos, err := p.position()
	if err != nil {
		return p, nil, err
	}
	return p, pos, nil
}

// validate rejects positions the library would accept but cannot play
// correctly: missing or extra kings, pawns on the back ranks, the side not to
// move in check, castling rights without king and rook at home (the library
// would conjure a rook when castling), and an e.p. square no double step can
// have produced.
func (p *fenPos) validate() error {
	var kings [2]int
	for i, pc := range p.sq {
		if pc == chess.NoPiece {
			continue
		}
		switch pc.Type() {
		case chess.King:
			kings[colorOf(pc.Color())]++
		case chess.Pawn:
			if r := i / 8; r == 0 || r == 7 {
				return fmt.Errorf("%w: pawn on %s", ErrBadFEN, chess.Square(i))
			}
		}
	}
	if kings[White] != 1 || kings[Black] != 1 {
		return fmt.Errorf("%w: need exactly one king per side", ErrBadFEN)
	}
	if attacked(&p.sq, kingSquare(&p.sq, p.turn.Other()), p.turn) {
		return fmt.Errorf("%w: the side not to move is in check", ErrBadFEN)
	}

	home := []struct {
		letter       byte
		king, rook   chess.Square
		kingP, rookP chess.Piece
	}{
		{'K', chess.E1, chess.H1, chess.WhiteKing, chess.WhiteRook},
		{'Q', chess.E1, chess.A1, chess.WhiteKing, chess.WhiteRook},
		{'k', chess.E8, chess.H8, chess.BlackKing, chess.BlackRook},
		{'q', chess.E8, chess.A8, chess.BlackKing, chess.BlackRook},
	}
	for _, h := range home {
		if strings.IndexByte(p.castling, h.letter) >= 0 && (p.sq[h.king] != h.kingP || p.sq[h.rook] != h.rookP) {
			return fmt.Errorf("%w: castling right %c without king and rook at home", ErrBadFEN, h.letter)
		}
	}

	if ep := p.ep; ep != chess.NoSquare {
		// White to move: Black just played x7-x5, so ep is on rank 6, a black
		// pawn stands below it on rank 5, and ep and the rank-7 square are empty.
		pawn, pawnSq, from, wantRank := chess.BlackPawn, ep-8, ep+8, chess.Rank6
		if p.turn == Black {
			pawn, pawnSq, from, wantRank = chess.WhitePawn, ep+8, ep-8, chess.Rank3
		}
		if ep.Rank() != wantRank || p.sq[pawnSq] != pawn || p.sq[ep] != chess.NoPiece || p.sq[from] != chess.NoPiece {
			return fmt.Errorf("%w: impossible en passant square %s", ErrBadFEN, ep)
		}
	}
	return nil
}

func kingSquare(sq *[64]chess.Piece, c Color) int {
	k := chess.NewPiece(chess.King, c.lib())
	for i, p := range sq {
		if p == k {
			return i
		}
	}
	return -1
}

// attacked reports whether square t is attacked by a piece of colour by.
// Used only to validate loaded positions; move generation is the library's.
func attacked(sq *[64]chess.Piece, t int, by Color) bool {
	if t < 0 {
		return false
	}
	tf, tr := t%8, t/8
	at := func(f, r int) chess.Piece {
		if f < 0 || f > 7 || r < 0 || r > 7 {
			return chess.NoPiece
		}
		return sq[r*8+f]
	}
	own := func(p chess.Piece, pt chess.PieceType) bool {
		return p != chess.NoPiece && p.Type() == pt && colorOf(p.Color()) == by
	}
	// Pawns attack diagonally forward, so look one rank back from t.
	dr := -1
	if by == Black {
		dr = 1
	}
	if own(at(tf-1, tr+dr), chess.Pawn) || own(at(tf+1, tr+dr), chess.Pawn) {
		return true
	}
	for _, d := range [8][2]int{{1, 2}, {2, 1}, {2, -1}, {1, -2}, {-1, -2}, {-2, -1}, {-2, 1}, {-1, 2}} {
		if own(at(tf+d[0], tr+d[1]), chess.Knight) {
			return true
		}
	}
	for _, d := range [8][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1}} {
		if own(at(tf+d[0], tr+d[1]), chess.King) {
			return true
		}
		diagonal := d[0] != 0 && d[1] != 0
		for f, r := tf+d[0], tr+d[1]; f >= 0 && f < 8 && r >= 0 && r < 8; f, r = f+d[0], r+d[1] {
			p := sq[r*8+f]
			if p == chess.NoPiece {
				continue
			}
			if own(p, chess.Queen) || (diagonal && own(p, chess.Bishop)) || (!diagonal && own(p, chess.Rook)) {
				return true
			}
			break
		}
	}
	return false
}
