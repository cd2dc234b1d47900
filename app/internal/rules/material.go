package rules

import "github.com/corentings/chess/v2"

// material summarises the pieces on the board, per colour.
type material struct {
	count [2][7]int // [colour][chess.PieceType]
	// bishops on light and dark squares, both colours together
	lightBishops, darkBishops int
}

func materialOf(sq *[64]chess.Piece) material {
	var m material
	for i, p := range sq {
		if p == chess.NoPiece {
			continue
		}
		m.count[colorOf(p.Color())][p.Type()]++
		if p.Type() == chess.Bishop {
			if lightSquare(i) {
				m.lightBishops++
			} else {
				m.darkBishops++
			}
		}
	}
	return m
}

// lightSquare: a1 (index 0) is dark; a square is light when file+rank is odd.
func lightSquare(i int) bool { return (i%8+i/8)%2 == 1 }

// nonKings is the number of pieces of c other than the king.
func (m *material) nonKings(c Color) int {
	n := 0
	for t := chess.Queen; t <= chess.Pawn; t++ {
		n += m.count[c][t]
	}
	return n
}

// only reports whether every piece of c is of one of the given types
// (the king is always allowed).
func (m *material) only(c Color, types ...chess.PieceType) bool {
	allowed := 0
	for _, t := range types {
		allowed += m.count[c][t]
	}
	return m.nonKings(c) == allowed
}

// insufficient is the automatic draw of FIDE 5.2.2 as the library and the
// brief define it: K v K, K+minor v K, and K+B(s) v K+B(s) with every bishop
// on squares of one colour. Positions like K+N v K+N stay playable: a mate
// is possible there with the opponent's help.
func (m *material) insufficient() bool {
	for c := White; c <= Black; c++ {
		if m.count[c][chess.Queen]+m.count[c][chess.Rook]+m.count[c][chess.Pawn] > 0 {
			return false
		}
	}
	knights := m.count[White][chess.Knight] + m.count[Black][chess.Knight]
	bishops := m.lightBishops + m.darkBishops
	switch {
	case knights == 0:
		return m.lightBishops == 0 || m.darkBishops == 0
	case knights == 1:
		return bishops == 0
	}
	return false
}

// hasMatingMaterial answers "could c ever checkmate, with any legal sequence".
// It follows lichess-org/scalachess core/src/main/scala/InsufficientMatingMaterial.scala,
// apply(board, color) (commit 4765295, 2025-07-25), negated: c has no mating
// material exactly when
//   - c has only its king; or
//   - c has king and exactly one knight, and the opponent has nothing but
//     king and queens (anything else could block the mating square); or
//   - c has king and bishops only, no two bishops on the board stand on
//     squares of different colours, and the opponent has no knight or pawn.
func (m *material) hasMatingMaterial(c Color) bool {
	o := c.Other()
	onlyKing := m.nonKings(c) == 0
	kn := m.only(c, chess.Knight) && m.count[c][chess.Knight] == 1 && m.only(o, chess.Queen)
	bishopsOpposite := m.lightBishops > 0 && m.darkBishops > 0
	kb := m.only(c, chess.Bishop) &&
		!(bishopsOpposite || m.count[o][chess.Knight]+m.count[o][chess.Pawn] > 0)
	return !(onlyKing || kn || kb)
}
