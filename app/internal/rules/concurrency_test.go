package rules

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// walkGame plays random legal moves from start the way the server does:
// every ply the board is stored as a State and loaded again. It returns the
// moves, the final FEN and the PGN.
func walkGame(seed uint64, start string, plies int) (ucis []string, fen, pgn string, err error) {
	r := rand.New(rand.NewPCG(seed, 1))
	s, err := StateFromFEN(start)
	if err != nil {
		return nil, "", "", err
	}
	for ply := 0; ply < plies; ply++ {
		b, err := Load(s)
		if err != nil {
			return nil, "", "", fmt.Errorf("ply %d: %w", ply, err)
		}
		legal := b.LegalMoves()
		if len(legal) == 0 {
			break
		}
		u := legal[r.IntN(len(legal))]
		m, err := b.Play(u)
		if err != nil {
			return nil, "", "", fmt.Errorf("ply %d %s: %w", ply, u, err)
		}
		if m.FEN != b.FEN() || b.FEN() != b.pos.String() {
			return nil, "", "", fmt.Errorf("ply %d: Move.FEN %q, board %q, library %q", ply, m.FEN, b.FEN(), b.pos.String())
		}
		ucis = append(ucis, u)
		s = b.State()
	}
	tags := []Tag{{"Event", fmt.Sprint("seed ", seed)}}
	if start != StartFEN {
		tags = append(tags, Tag{"FEN", start})
	}
	pgn, err = PGN(tags, ucis)
	return ucis, s.FEN, pgn, err
}

// TestConcurrentBoards runs many goroutines, each with its own boards, through
// FEN parsing, Load/Play/State round trips and PGN, and compares every result
// with a sequential run. Under -race it catches shared state (the library's
// FEN rank buffer corrupts positions without fenMu); without -race a
// corrupted parse shows up as a different game.
func TestConcurrentBoards(t *testing.T) {
	starts := []string{
		StartFEN,
		"r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
		"8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
		"r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P1b1/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10",
	}
	const (
		workers = 6
		games   = 2
		plies   = 40
	)
	type result struct{ fen, pgn string }
	expect := make(map[uint64]result)
	seedStart := func(seed uint64) string { return starts[seed%uint64(len(starts))] }
	for seed := uint64(0); seed < workers*games; seed++ {
		_, fen, pgn, err := walkGame(seed, seedStart(seed), plies)
		require.NoError(t, err, "seed %d", seed)
		expect[seed] = result{fen, pgn}
	}

	var wg sync.WaitGroup
	errs := make(chan error, workers*games)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for g := 0; g < games; g++ {
				seed := uint64(w*games + g)
				_, fen, pgn, err := walkGame(seed, seedStart(seed), plies)
				switch {
				case err != nil:
					errs <- fmt.Errorf("seed %d: %w", seed, err)
				case fen != expect[seed].fen || pgn != expect[seed].pgn:
					errs <- fmt.Errorf("seed %d: concurrent run differs: %q vs %q", seed, fen, expect[seed].fen)
				}
				// Hammer the FEN lock too.
				for _, f := range starts {
					s, err := StateFromFEN(f)
					if err != nil || s.FEN != f {
						errs <- fmt.Errorf("StateFromFEN(%q) = %q, %v", f, s.FEN, err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestConcurrentPGN builds PGNs from many goroutines at once, so the
// library's FEN parser (chess.FEN and chess.NewGame inside PGN) runs
// concurrently; fenMu must keep it from racing on its package-level rank
// buffer. Every PGN must equal the one built sequentially.
func TestConcurrentPGN(t *testing.T) {
	games := []struct {
		fen   string
		moves []string
	}{
		{StartFEN, []string{"e2e4", "e7e5", "g1f3"}},
		{"r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1", []string{"e1g1", "e8c8"}},
		{"8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1", []string{"b4b1", "h4g3"}},
		{"4k3/1P6/8/8/8/8/8/4K3 w - - 0 1", []string{"b7b8r", "e8e7"}},
	}
	want := make([]string, len(games))
	for i, g := range games {
		pgn, err := PGN([]Tag{{"FEN", g.fen}}, g.moves)
		require.NoError(t, err)
		want[i] = pgn
	}
	const workers, rounds = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				i := (w + r) % len(games)
				got, err := PGN([]Tag{{"FEN", games[i].fen}}, games[i].moves)
				if err != nil || got != want[i] {
					errs <- fmt.Errorf("worker %d round %d game %d: %v\n%s", w, r, i, err, got)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
