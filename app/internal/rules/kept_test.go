package rules

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A Board kept from one move to the next validates the next move against the legal moves its
// Play generated for the position it moved to, instead of loading the state and generating
// them again. These tests prove that path equal to the library's full generation.

// libraryLegal is the library's own full move generation for fen, parsed by the library
// itself (not by this package's loader), as sorted UCI.
func libraryLegal(t testing.TB, fen string) []string {
	t.Helper()
	pos := rawPosition(t, fen)
	ms := pos.ValidMoves()
	out := make([]string, 0, len(ms))
	for i := range ms {
		out = append(out, uciOf(&ms[i]))
	}
	slices.Sort(out)
	return out
}

// keptLegal is the kept board's cached generation as sorted UCI, whatever the ending rules say.
func keptLegal(b *Board) []string {
	ms := b.legalMoves()
	out := make([]string, 0, len(ms))
	for i := range ms {
		out = append(out, uciOf(&ms[i]))
	}
	slices.Sort(out)
	return out
}

// FuzzKeptBoardMatchesLibrary plays a random legal sequence (seed, plies) on one kept Board and,
// at every ply, compares its legal moves with a freshly loaded Board's and with the library's
// generation from the FEN, and the move it plays with the same move played on the fresh
// Board. Finally it plays the arbitrary uci on both and wants the same answer.
func FuzzKeptBoardMatchesLibrary(f *testing.F) {
	f.Add(uint64(1), uint16(40), "e2e4")
	f.Add(uint64(7), uint16(200), "a7a8q")
	f.Add(uint64(42), uint16(90), "e1g1")
	f.Fuzz(func(t *testing.T, seed uint64, plies uint16, uci string) {
		kept, err := Load(StartState())
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(seed, 3))
		for i := 0; i < int(plies%300); i++ {
			fresh, err := Load(kept.State())
			if err != nil {
				t.Fatalf("ply %d: kept state does not load: %v", i, err)
			}
			got, want, lib := keptLegal(kept), keptLegal(fresh), libraryLegal(t, kept.FEN())
			if !slices.Equal(got, want) || !slices.Equal(got, lib) {
				t.Fatalf("ply %d %s: kept %v, loaded %v, library %v", i, kept.FEN(), got, want, lib)
			}
			if !slices.Equal(kept.LegalMoves(), fresh.LegalMoves()) || kept.Ending() != fresh.Ending() {
				t.Fatalf("ply %d %s: LegalMoves or Ending differ", i, kept.FEN())
			}
			legal := kept.LegalMoves()
			if len(legal) == 0 {
				break
			}
			u := legal[r.IntN(len(legal))]
			mk, errk := kept.Play(u)
			mf, errf := fresh.Play(u)
			if errk != nil || errf != nil || mk != mf {
				t.Fatalf("ply %d %s %s: kept %+v %v, loaded %+v %v", i, fresh.FEN(), u, mk, errk, mf, errf)
			}
			if !kept.Is(fresh.State()) {
				t.Fatalf("ply %d: states differ after %s", i, u)
			}
		}
		fresh, err := Load(kept.State())
		if err != nil {
			t.Fatal(err)
		}
		mk, errk := kept.Play(uci)
		mf, errf := fresh.Play(uci)
		if mk != mf || (errk == nil) != (errf == nil) || (errk != nil && errk.Error() != errf.Error()) {
			t.Fatalf("%s %q: kept %+v %v, loaded %+v %v", fresh.FEN(), uci, mk, errk, mf, errf)
		}
	})
}

// TestPerftOnKeptBoards counts the legal-move tree of the perft positions through Play: below
// the root every count comes from the generation Play made for the position it moved to.
func TestPerftOnKeptBoards(t *testing.T) {
	for _, c := range perftCases {
		depth := min(c.ci, 4)
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := mustLoadFEN(t, c.fen)
			counts := make([]int64, depth)
			var walk func(b *Board, level int)
			walk = func(b *Board, level int) {
				moves := keptLegal(b)
				counts[level] += int64(len(moves))
				if level+1 == depth {
					return
				}
				for _, u := range moves {
					child, err := Load(b.State())
					if err != nil {
						t.Fatal(err)
					}
					if _, err := child.Play(u); err != nil {
						t.Fatalf("%s: legal %s refused: %v", b.FEN(), u, err)
					}
					if child.legal == nil && len(child.pos.ValidMoves()) > 0 {
						t.Fatalf("%s after %s: Play left no generation to reuse", b.FEN(), u)
					}
					walk(child, level+1)
				}
			}
			walk(root, 0)
			for d := 1; d <= depth; d++ {
				if counts[d-1] != c.want[d-1] {
					t.Errorf("depth %d: %d nodes, published %d", d, counts[d-1], c.want[d-1])
				}
			}
		})
	}
}

// TestKeptBoardIsItsState: Is recognises exactly the state the board is at.
func TestKeptBoardIsItsState(t *testing.T) {
	b := mustLoadFEN(t, StartFEN)
	s := b.State()
	if !b.Is(s) {
		t.Fatal("a board is not at its own state")
	}
	playAll(t, b, "g1f3")
	if b.Is(s) {
		t.Fatal("a board that moved still claims the old state")
	}
	after := b.State()
	after.RepKeys = after.RepKeys[1:]
	if b.Is(after) {
		t.Fatal("same FEN with another history must not match")
	}
}
