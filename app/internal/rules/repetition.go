package rules

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/corentings/chess/v2"
)

// repKeyLen is the length of a repetition key: 12 bytes of SHA-256 in
// unpadded base64url. 96 bits make an accidental collision among the at most
// ~150 keys of one game negligible, and keep State small (~19 bytes a key in
// JSON instead of ~60 for the position text).
const repKeyLen = 16

// repKey identifies a position for the repetition rules (FIDE 9.2.3): same
// placement, same side to move, same castling rights, and the same e.p.
// possibility. The e.p. square counts only when an e.p. capture is legal,
// unlike the library's samePosition (defect 3), which compares the square
// set after every double step. The clocks are not part of it.
//
// p must describe pos. legal are pos's legal moves when the caller has them
// (nil: generated here if needed, which fills pos's move cache, so pos must
// belong to the caller).
func repKey(pos *chess.Position, p *fenPos, legal []chess.Move) string {
	var b strings.Builder
	b.Grow(80)
	writePlacement(&b, &p.sq)
	b.WriteByte(' ')
	b.WriteString(p.turnString())
	b.WriteByte(' ')
	b.WriteString(p.castling)
	b.WriteByte(' ')
	if p.ep != chess.NoSquare && epCaptureLegal(pos, legal) {
		b.WriteString(p.ep.String())
	} else {
		b.WriteByte('-')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// epCaptureLegal reports whether the side to move has a legal e.p. capture.
// ValidMoves only returns moves that do not leave the king in check, so a
// pinned capturer (Sedlak's "illegal ep" positions) does not count.
func epCaptureLegal(pos *chess.Position, legal []chess.Move) bool {
	if legal == nil {
		legal = pos.ValidMoves()
	}
	for i := range legal {
		if legal[i].HasTag(chess.EnPassant) {
			return true
		}
	}
	return false
}

// keyChar marks the base64url alphabet (immutable table).
var keyChar = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// wellFormedKey checks the shape of a stored key.
func wellFormedKey(k string) bool {
	if len(k) != repKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !keyChar[k[i]] {
			return false
		}
	}
	return true
}

// occurrences counts how often key appears in keys.
func occurrences(keys []string, key string) int {
	n := 0
	for _, k := range keys {
		if k == key {
			n++
		}
	}
	return n
}
