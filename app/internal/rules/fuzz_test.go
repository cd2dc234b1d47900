package rules

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// FuzzPlay plays arbitrary text as a move in a random reachable position
// (seed and plies pick the position by random legal play). Play must never
// panic; on error the state must be exactly as before and the error one of
// ErrBadUCI/ErrIllegal; on success the move must have been in LegalMoves and
// the new state must load again. Seed corpus: testdata/fuzz/FuzzPlay.
func FuzzPlay(f *testing.F) {
	f.Fuzz(func(t *testing.T, seed uint64, plies uint16, uci string) {
		b, err := Load(StartState())
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(seed, 2))
		for i := 0; i < int(plies%96); i++ {
			legal := b.LegalMoves()
			if len(legal) == 0 {
				break
			}
			if _, err := b.Play(legal[r.IntN(len(legal))]); err != nil {
				t.Fatalf("legal move refused: %v", err)
			}
		}

		before := b.State()
		legal := b.LegalMoves()
		m, err := b.Play(uci)
		if err != nil {
			if !errors.Is(err, ErrBadUCI) && !errors.Is(err, ErrIllegal) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if errors.Is(err, ErrBadUCI) == uciSyntax.MatchString(uci) {
				t.Fatalf("ErrBadUCI=%v for %q", errors.Is(err, ErrBadUCI), uci)
			}
			if slices.Contains(legal, uci) {
				t.Fatalf("legal move %q refused: %v", uci, err)
			}
			if after := b.State(); after.FEN != before.FEN || !slices.Equal(after.RepKeys, before.RepKeys) {
				t.Fatalf("state changed on error: %+v -> %+v", before, after)
			}
			return
		}
		if !slices.Contains(legal, uci) {
			t.Fatalf("%q accepted but not in LegalMoves %v", uci, legal)
		}
		if m.UCI != uci || m.FEN != b.FEN() || m.FEN != b.pos.String() || m.SAN == "" {
			t.Fatalf("bad move record %+v (board %s)", m, b.FEN())
		}
		b2, err := Load(b.State())
		if err != nil {
			t.Fatalf("state after %q does not load: %v", uci, err)
		}
		if b2.FEN() != b.FEN() || b2.Ending() != m.Ending {
			t.Fatalf("reloaded board differs")
		}
	})
}
