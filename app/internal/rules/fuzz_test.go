package rules

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corentings/chess/v2"
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

// FuzzStateFromFEN feeds arbitrary text to the package's own FEN parser.
// It must never panic; an accepted FEN must be canonical (parsing its output
// gives the same FEN), load as a Board, and describe the same position the
// library's parser builds from it.
func FuzzStateFromFEN(f *testing.F) {
	for _, s := range []string{
		StartFEN,
		"r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
		"8/8/1k6/2b5/2pP4/8/5K2/8 b - d3 0 1",
		"4k3/8/8/8/8/8/8/4K2R w K -",
		"  r3k2r/8/8/8/8/8/8/R3K2R   w  qkQK - 0 1 ",
		"4k3/8/8/8/8/8/8/R3K3 b - - 0 70000",
		"44/8/8/8/8/8/8/4K2k w - - 0 1",
		"rnbqkbnr/pppppppp/9/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fen string) {
		s, err := StateFromFEN(fen)
		if err != nil {
			if !errors.Is(err, ErrBadFEN) {
				t.Fatalf("error not ErrBadFEN: %v", err)
			}
			return
		}
		again, err := StateFromFEN(s.FEN)
		if err != nil || again.FEN != s.FEN || !slices.Equal(again.RepKeys, s.RepKeys) {
			t.Fatalf("not canonical: %q -> %q -> %q (%v)", fen, s.FEN, again.FEN, err)
		}
		b, err := Load(s)
		if err != nil {
			t.Fatalf("accepted FEN does not load: %v", err)
		}
		lib := new(chess.Position)
		fenMu.Lock()
		err = lib.UnmarshalText([]byte(s.FEN))
		fenMu.Unlock()
		if err != nil {
			t.Fatalf("library rejects our canonical FEN %q: %v", s.FEN, err)
		}
		if lib.String() != b.pos.String() || lib.Status() != b.pos.Status() {
			t.Fatalf("positions differ: library %q, ours %q", lib.String(), b.pos.String())
		}
	})
}
