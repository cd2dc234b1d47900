package rules

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/corentings/chess/v2"
)

// Positions enter the package as FEN text, parsed here rather than by the
// library: the library's FEN parser is the racy one (defect 1), and it builds
// the board through 768 map lookups, which made Load cost ~40 µs, all of it
// under the global lock. This parser fills a square array, validates it and
// hands the library a *chess.Position through Position.UnmarshalBinary, which
// touches no shared state, so the hot path takes no lock at all. Counters the
// binary form cannot hold (halfmove > 255, fullmove > 65535) fall back to the
// library parser under fenMu.

// fenPos is a parsed FEN.
type fenPos struct {
	sq       [64]chess.Piece // a1 = 0, h8 = 63
	turn     Color
	castling string       // canonical: "-" or a subset of "KQkq" in that order
	ep       chess.Square // chess.NoSquare when "-"
	half     int
	full     int
}

// fenPiece maps FEN letters to pieces (immutable table).
var fenPiece = [128]chess.Piece{
	'K': chess.WhiteKing, 'Q': chess.WhiteQueen, 'R': chess.WhiteRook,
	'B': chess.WhiteBishop, 'N': chess.WhiteKnight, 'P': chess.WhitePawn,
	'k': chess.BlackKing, 'q': chess.BlackQueen, 'r': chess.BlackRook,
	'b': chess.BlackBishop, 'n': chess.BlackKnight, 'p': chess.BlackPawn,
}

// pieceFEN is the inverse of fenPiece, indexed by chess.Piece.
const pieceFEN = " KQRBNPkqrbnp"

// parseFENText splits and parses a FEN without judging the position.
// A four-field FEN (no clocks) is read as "0 1".
func parseFENText(fen string) (fenPos, error) {
	var p fenPos
	if len(fen) > maxFENLen {
		return p, fmt.Errorf("%w: longer than %d bytes", ErrBadFEN, maxFENLen)
	}
	f := strings.Fields(fen)
	switch len(f) {
	case 4:
		f = append(f, "0", "1")
	case 6:
	default:
		return p, fmt.Errorf("%w: want 6 fields, got %d", ErrBadFEN, len(f))
	}

	// Placement: ranks 8 to 1, files a to h.
	ranks := strings.Split(f[0], "/")
	if len(ranks) != 8 {
		return p, fmt.Errorf("%w: want 8 ranks, got %d", ErrBadFEN, len(ranks))
	}
	for i, rank := range ranks {
		r, file := 7-i, 0
		for j := 0; j < len(rank); j++ {
			c := rank[j]
			switch {
			case c >= '1' && c <= '8':
				file += int(c - '0')
			case c < 128 && fenPiece[c] != chess.NoPiece:
				if file < 8 {
					p.sq[r*8+file] = fenPiece[c]
				}
				file++
			default:
				return p, fmt.Errorf("%w: bad character %q in rank %d", ErrBadFEN, c, r+1)
			}
		}
		if file != 8 {
			return p, fmt.Errorf("%w: rank %d has %d squares", ErrBadFEN, r+1, file)
		}
	}

	switch f[1] {
	case "w":
		p.turn = White
	case "b":
		p.turn = Black
	default:
		return p, fmt.Errorf("%w: side to move %q", ErrBadFEN, f[1])
	}

	var err error
	if p.castling, err = canonicalCastling(f[2]); err != nil {
		return p, err
	}

	p.ep = chess.NoSquare
	if e := f[3]; e != "-" {
		if len(e) != 2 || e[0] < 'a' || e[0] > 'h' || (e[1] != '3' && e[1] != '6') {
			return p, fmt.Errorf("%w: en passant square %q", ErrBadFEN, e)
		}
		p.ep = chess.Square(e[0]-'a') + chess.Square(e[1]-'1')*8
	}

	counters := [2]struct {
		name string
		min  int
		dst  *int
	}{{"halfmove clock", 0, &p.half}, {"fullmove number", 1, &p.full}}
	for i, c := range counters {
		v := f[4+i]
		n, err := strconv.Atoi(v)
		// Plain decimal only ("+3" and "007" would not round-trip).
		if err != nil || n < c.min || n > 1_000_000 || strconv.Itoa(n) != v {
			return p, fmt.Errorf("%w: bad %s %q", ErrBadFEN, c.name, v)
		}
		*c.dst = n
	}
	return p, nil
}

// canonicalCastling accepts "-" or a duplicate-free subset of KQkq in any
// order and returns it in KQkq order.
func canonicalCastling(s string) (string, error) {
	if s == "-" {
		return s, nil
	}
	var have [4]bool
	const order = "KQkq"
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(order, s[i])
		if j < 0 || have[j] {
			return "", fmt.Errorf("%w: bad castling field %q", ErrBadFEN, s)
		}
		have[j] = true
	}
	var b strings.Builder
	for j := range order {
		if have[j] {
			b.WriteByte(order[j])
		}
	}
	return b.String(), nil
}

// position builds the library position. Binary layout (Position.MarshalBinary
// in v2.3.2): 12 big-endian bitboards in chess.Piece order, bit 63-sq set for
// square sq; halfmove uint8; fullmove uint16; e.p. square int8; flags
// (K=1, Q=2, k=4, q=8, black to move=16, e.p. present=32).
func (p *fenPos) position() (*chess.Position, error) {
	if p.half > 255 || p.full > 65535 {
		return p.positionSlow()
	}
	var data [101]byte
	var bb [12]uint64
	for i, pc := range p.sq {
		if pc != chess.NoPiece {
			bb[pc-1] |= 1 << (63 - i)
		}
	}
	for i, v := range bb {
		binary.BigEndian.PutUint64(data[i*8:], v)
	}
	data[96] = byte(p.half)
	binary.BigEndian.PutUint16(data[97:], uint16(p.full))
	var flags byte
	for i, c := range "KQkq" {
		if strings.ContainsRune(p.castling, c) {
			flags |= 1 << i
		}
	}
	if p.turn == Black {
		flags |= 16
	}
	if p.ep != chess.NoSquare {
		data[99] = byte(p.ep)
		flags |= 32
	}
	data[100] = flags
	pos := new(chess.Position)
	if err := pos.UnmarshalBinary(data[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFEN, err)
	}
	return pos, nil
}

// positionSlow parses the canonical FEN with the library, under fenMu.
func (p *fenPos) positionSlow() (*chess.Position, error) {
	pos := new(chess.Position)
	fenMu.Lock()
	err := pos.UnmarshalText([]byte(p.String()))
	fenMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFEN, err)
	}
	return pos, nil
}

// String returns the canonical FEN.
func (p *fenPos) String() string {
	var b strings.Builder
	b.Grow(90)
	writePlacement(&b, &p.sq)
	b.WriteByte(' ')
	b.WriteString(p.turnString())
	b.WriteByte(' ')
	b.WriteString(p.castling)
	b.WriteByte(' ')
	if p.ep == chess.NoSquare {
		b.WriteByte('-')
	} else {
		b.WriteString(p.ep.String())
	}
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(p.half))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(p.full))
	return b.String()
}

func (p *fenPos) turnString() string {
	if p.turn == Black {
		return "b"
	}
	return "w"
}

// writePlacement writes FEN field 1.
func writePlacement(b *strings.Builder, sq *[64]chess.Piece) {
	for r := 7; r >= 0; r-- {
		empty := 0
		for f := 0; f < 8; f++ {
			pc := sq[r*8+f]
			if pc == chess.NoPiece {
				empty++
				continue
			}
			if empty > 0 {
				b.WriteByte(byte('0' + empty))
				empty = 0
			}
			b.WriteByte(pieceFEN[pc])
		}
		if empty > 0 {
			b.WriteByte(byte('0' + empty))
		}
		if r > 0 {
			b.WriteByte('/')
		}
	}
}

// fenPosOf reads a library position back; full is the fullmove number, which
// the library does not export.
func fenPosOf(pos *chess.Position, full int) fenPos {
	return fenPos{
		sq:       squaresOf(pos.Board()),
		turn:     colorOf(pos.Turn()),
		castling: pos.CastleRights().String(),
		ep:       pos.EnPassantSquare(),
		half:     pos.HalfMoveClock(),
		full:     full,
	}
}

// squaresOf copies a library board into a square array via its binary form
// (much cheaper than 64 calls to Board.Piece).
func squaresOf(b *chess.Board) [64]chess.Piece {
	var sq [64]chess.Piece
	data, err := b.MarshalBinary()
	if err != nil || len(data) != 96 {
		for i := range sq { // cannot happen; stay correct anyway
			sq[i] = b.Piece(chess.Square(i))
		}
		return sq
	}
	for i := 0; i < 12; i++ {
		bb := binary.BigEndian.Uint64(data[i*8:])
		for bb != 0 {
			s := bits.LeadingZeros64(bb) // bit 63-s is square s
			sq[s] = chess.Piece(i + 1)
			bb &^= 1 << (63 - s)
		}
	}
	return sq
}
