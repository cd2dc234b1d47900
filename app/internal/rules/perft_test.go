package rules

import (
	"testing"

	"github.com/corentings/chess/v2"
)

// perftCounts walks the legal-move tree to maxDepth through the same code
// path Play uses (ValidMoves, fresh tags for promotions, applyMove) and
// returns the published-style node counts for depths 1..maxDepth in one
// walk: counts[d-1] is the number of move paths of length d. Bulk counting:
// the last level is counted as len(moves) without making the moves.
func perftCounts(pos *chess.Position, maxDepth int) []int64 {
	counts := make([]int64, maxDepth)
	var walk func(p *chess.Position, level int)
	walk = func(p *chess.Position, level int) {
		moves := p.ValidMoves()
		counts[level] += int64(len(moves))
		if level+1 == maxDepth {
			return
		}
		for i := range moves {
			m, err := fresh(p, &moves[i])
			if err != nil {
				panic(err) // a legal move that cannot be decoded is a bug
			}
			walk(applyMove(p, m), level+1)
		}
	}
	walk(pos, 0)
	return counts
}

// perftCase holds published node counts for depths 1..len(want).
//
// Standard positions: chessprogramming.org "Perft Results" (also
// scalachess's test-kit tricky.perft). Edge cases: Martin Sedlak's "Perfect Perft"
// set (chessprogramming.net, TalkChess), whose d6 totals are the ones quoted
// there; the d1-d5 counts are the per-depth table reproduced identically by
// several independent public engine test suites (e.g. rustic's "avoid
// illegal ep" and "castling checks" EPD tests). None of these numbers come
// from this package.
type perftCase struct {
	name string
	fen  string
	want []int64
	// full is the depth run normally; ci the depth run under -race or
	// -short. Both are within want.
	full, ci int
}

var perftCases = []perftCase{
	{"initial", StartFEN,
		[]int64{20, 400, 8902, 197281}, 4, 3},
	{"kiwipete", "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
		[]int64{48, 2039, 97862}, 3, 3},
	{"pos3", "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
		[]int64{14, 191, 2812, 43238, 674624}, 5, 4},
	{"pos4", "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
		[]int64{6, 264, 9467, 422333}, 4, 3},
	{"pos4-mirrored", "r2q1rk1/pP1p2pp/Q4n2/bbp1p3/Np6/1B3NBn/pPPP1PPP/R3K2R b KQ - 0 1",
		[]int64{6, 264, 9467, 422333}, 4, 3},
	{"pos5", "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
		[]int64{44, 1486, 62379}, 3, 3},
	{"pos6", "r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P1b1/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10",
		[]int64{46, 2079, 89890}, 3, 3},
	{"illegal-ep-1", "3k4/3p4/8/K1P4r/8/8/8/8 b - - 0 1",
		[]int64{18, 92, 1670, 10138, 185429, 1134888}, 6, 4},
	{"illegal-ep-2", "8/8/4k3/8/2p5/8/B2P2K1/8 w - - 0 1",
		[]int64{13, 102, 1266, 10276, 135655, 1015133}, 6, 4},
	{"short-castle-check", "5k2/8/8/8/8/8/8/4K2R w K - 0 1",
		[]int64{15, 66, 1198, 6399, 120330, 661072}, 6, 4},
	{"long-castle-check", "3k4/8/8/8/8/8/8/R3K3 w Q - 0 1",
		[]int64{16, 71, 1286, 7418, 141077, 803711}, 6, 4},
}

// TestPerft checks move generation against published node counts. Without
// -race and -short it runs the depths of chess.md §3 (about 8 s of CPU,
// spread over the cores); under -race (make test) or -short every position
// still runs, at the smaller depth, against the published count for that
// depth.
func TestPerft(t *testing.T) {
	reduced := raceEnabled || testing.Short()
	for _, c := range perftCases {
		depth := c.full
		if reduced {
			depth = c.ci
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, pos, err := parseFEN(c.fen)
			if err != nil {
				t.Fatal(err)
			}
			got := perftCounts(pos, depth)
			for d := 1; d <= depth; d++ {
				if got[d-1] != c.want[d-1] {
					t.Errorf("depth %d: %d nodes, published %d", d, got[d-1], c.want[d-1])
				}
			}
		})
	}
}

// TestPerftCasesWellFormed keeps the table honest: every depth run has a
// published count.
func TestPerftCasesWellFormed(t *testing.T) {
	for _, c := range perftCases {
		if c.ci < 1 || c.ci > c.full || c.full > len(c.want) {
			t.Errorf("%s: depths ci=%d full=%d with %d published counts", c.name, c.ci, c.full, len(c.want))
		}
	}
}
