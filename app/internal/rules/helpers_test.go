package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/corentings/chess/v2"
)

// playAll plays ucis on b and fails the test on the first error.
func playAll(t testing.TB, b *Board, ucis ...string) Move {
	t.Helper()
	var last Move
	for i, u := range ucis {
		m, err := b.Play(u)
		if err != nil {
			t.Fatalf("move %d %q: %v (FEN %s)", i+1, u, err, b.FEN())
		}
		last = m
	}
	return last
}

func mustLoadFEN(t testing.TB, fen string) *Board {
	t.Helper()
	s, err := StateFromFEN(fen)
	if err != nil {
		t.Fatalf("StateFromFEN(%q): %v", fen, err)
	}
	b, err := Load(s)
	if err != nil {
		t.Fatalf("Load(%q): %v", fen, err)
	}
	return b
}

// rawPosition parses a FEN with the library only (under the package lock),
// without this package's legality checks; for tables that use positions
// Load rejects (e.g. lichess's material tests with several kings).
func rawPosition(t testing.TB, fen string) *chess.Position {
	t.Helper()
	pos := new(chess.Position)
	fenMu.Lock()
	err := pos.UnmarshalText([]byte(fen))
	fenMu.Unlock()
	if err != nil {
		t.Fatalf("library rejected %q: %v", fen, err)
	}
	return pos
}

// randomGame plays a reproducible game of exactly plies half-moves from the
// start position, choosing among legal moves with a PCG seeded by seed and
// never a move that ends the game. It avoids captures where it can, so the
// position stays about as rich as in the opening, and prefers pawn moves once
// the halfmove clock passes 80, which keeps the seventy-five-move rule away. It returns the moves and
// the state before each move plus the final one (len(states) == plies+1).
func randomGame(seed uint64, plies int) ([]string, []State, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b, err := Load(StartState())
	if err != nil {
		return nil, nil, err
	}
	ucis := make([]string, 0, plies)
	states := []State{b.State()}
	for ply := 0; ply < plies; ply++ {
		legal := b.LegalMoves()
		r.Shuffle(len(legal), func(i, j int) { legal[i], legal[j] = legal[j], legal[i] })
		chosen, next := "", (*Board)(nil)
		for pass := 0; pass < 2 && chosen == ""; pass++ {
			for _, u := range legal {
				c, err := Load(b.State())
				if err != nil {
					return nil, nil, err
				}
				m, err := c.Play(u)
				if err != nil {
					return nil, nil, fmt.Errorf("ply %d: legal move %s refused: %w", ply, u, err)
				}
				if m.Ending.Over() || len(c.LegalMoves()) == 0 {
					continue
				}
				// First pass: keep material on the board (no captures), and
				// after a long quiet stretch move a pawn, so neither
				// insufficient material nor the 75-move rule ends the game.
				if pass == 0 && (pieces(c) < pieces(b) || b.pos.HalfMoveClock() > 80 && c.pos.HalfMoveClock() != 0) {
					continue
				}
				chosen, next = u, c
				break
			}
		}
		if chosen == "" {
			return nil, nil, fmt.Errorf("seed %d: no move keeps the game going at ply %d (%s)", seed, ply, b.FEN())
		}
		b = next
		ucis = append(ucis, chosen)
		states = append(states, b.State())
	}
	return ucis, states, nil
}

func pieces(b *Board) int {
	n := 0
	for _, p := range squaresOf(b.pos.Board()) {
		if p != chess.NoPiece {
			n++
		}
	}
	return n
}

// mustRandomGame is randomGame for tests and benchmarks.
func mustRandomGame(t testing.TB, seed uint64, plies int) ([]string, []State) {
	t.Helper()
	ucis, states, err := randomGame(seed, plies)
	if err != nil {
		t.Fatal(err)
	}
	return ucis, states
}

// sanTokens extracts the SAN moves from PGN movetext (drops numbers, result).
func sanTokens(movetext string) []string {
	var out []string
	for _, f := range strings.Fields(movetext) {
		if strings.HasSuffix(f, ".") || f == "*" || f == "1-0" || f == "0-1" || f == "1/2-1/2" {
			continue
		}
		out = append(out, f)
	}
	return out
}
