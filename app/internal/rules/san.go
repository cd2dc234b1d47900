package rules

import (
	"strings"

	"github.com/corentings/chess/v2"
)

// sanOf writes m, a legal move of the position sq (whose legal moves are legal), in SAN: the
// same text as the library's AlgebraicNotation.Encode of the pre-move position (defect 5),
// which TestSANMatchesLibrary and FuzzKeptBoardMatchesLibrary check. The library's encoder
// copies the position's legal moves to disambiguate and, for a checking move, plays it again
// and generates the replies to tell check from mate; here mate comes from the caller, who
// generated the replies anyway.
func sanOf(sq *[64]chess.Piece, legal []chess.Move, m *chess.Move, mate bool) string {
	var b strings.Builder
	b.Grow(8)
	switch {
	case m.HasTag(chess.KingSideCastle):
		b.WriteString("O-O")
	case m.HasTag(chess.QueenSideCastle):
		b.WriteString("O-O-O")
	default:
		p := sq[m.S1()]
		if p.Type() != chess.Pawn {
			b.WriteString(pieceLetter(p.Type()))
			writeDisambiguation(&b, sq, legal, m, p)
		}
		if m.HasTag(chess.Capture) || m.HasTag(chess.EnPassant) {
			if p.Type() == chess.Pawn {
				b.WriteByte(m.S1().File().Byte())
			}
			b.WriteByte('x')
		}
		b.WriteString(m.S2().String())
		if m.Promo() != chess.NoPieceType {
			b.WriteByte('=')
			b.WriteString(pieceLetter(m.Promo()))
		}
	}
	switch {
	case mate:
		b.WriteByte('#')
	case m.HasTag(chess.Check):
		b.WriteByte('+')
	}
	return b.String()
}

// writeDisambiguation adds the origin file and/or rank when another piece of the same kind
// can reach the same square, by the library's rule (formS1).
func writeDisambiguation(b *strings.Builder, sq *[64]chess.Piece, legal []chess.Move, m *chess.Move, p chess.Piece) {
	var req, fileReq, rankReq bool
	for i := range legal {
		o := &legal[i]
		if o.S1() != m.S1() && o.S2() == m.S2() && sq[o.S1()] == p {
			req = true
			if o.S1().File() == m.S1().File() {
				rankReq = true
			}
			if o.S1().Rank() == m.S1().Rank() {
				fileReq = true
			}
		}
	}
	if fileReq || !rankReq && req {
		b.WriteByte(m.S1().File().Byte())
	}
	if rankReq {
		b.WriteByte(m.S1().Rank().Byte())
	}
}

func pieceLetter(t chess.PieceType) string {
	switch t {
	case chess.King:
		return "K"
	case chess.Queen:
		return "Q"
	case chess.Rook:
		return "R"
	case chess.Bishop:
		return "B"
	case chess.Knight:
		return "N"
	}
	return ""
}
