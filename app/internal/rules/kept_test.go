package rules

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corentings/chess/v2"
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

// librarySAN is the library's own SAN of uci in fen: its encoder on its own parse, with the
// move's tags decoded afresh (upstream #116).
func librarySAN(t testing.TB, fen, uci string) string {
	t.Helper()
	pos := rawPosition(t, fen)
	m, err := chess.UCINotation{}.Decode(pos, uci)
	if err != nil {
		t.Fatalf("library cannot decode %s in %s: %v", uci, fen, err)
	}
	return chess.AlgebraicNotation{}.Encode(pos, m)
}

// sanThroughPlay plays uci on a copy of b and returns the SAN Play wrote.
func sanThroughPlay(t testing.TB, b *Board, uci string) string {
	t.Helper()
	c, err := Load(b.State())
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Play(uci)
	if err != nil {
		t.Fatalf("%s: %s refused: %v", b.FEN(), uci, err)
	}
	return m.SAN
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
			if got, want := sanThroughPlay(t, fresh, u), librarySAN(t, fresh.FEN(), u); got != want {
				t.Fatalf("ply %d %s %s: SAN %q, library %q", i, fresh.FEN(), u, got, want)
			}
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

// TestSANMatchesLibrary: every legal move of positions rich in disambiguations, promotions
// (with check and mate), castling and e.p. is written as the library writes it.
func TestSANMatchesLibrary(t *testing.T) {
	fens := []string{
		StartFEN,
		"r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1", // kiwipete
		"r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",     // promotions
		"r2q1rk1/pP1p2pp/Q4n2/bbp1p3/Np6/1B3NBn/pPPP1PPP/R3K2R b KQ - 0 1",     // mirrored
		"rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",            // dxc8=Q+ etc.
		"1k6/8/8/8/8/8/8/R3K2R w KQ - 0 1",                                     // mates, castles
		"k7/2P5/1K6/8/8/8/8/8 w - - 0 1",                                       // promotion to mate/stalemate
		"7k/8/8/3N1N2/8/3N1N2/8/K7 w - - 0 1",                                  // four knights on e4/e6
		"k7/8/8/8/1R5R/8/8/1K5R w - - 0 1",                                     // rooks by file and rank
		"rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3",        // e.p.
		"6k1/5ppp/8/8/8/8/5PPP/3Q2K1 w - - 0 1",                                // Qd8#
	}
	for _, fen := range fens {
		b := mustLoadFEN(t, fen)
		for _, u := range b.LegalMoves() {
			if got, want := sanThroughPlay(t, b, u), librarySAN(t, b.FEN(), u); got != want {
				t.Errorf("%s %s: SAN %q, library %q", fen, u, got, want)
			}
		}
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
