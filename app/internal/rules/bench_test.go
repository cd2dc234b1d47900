package rules

import (
	"fmt"
	"testing"
	"time"
)

// benchSeed and benchPlies fix the game the benchmarks replay: 251 plies of
// random legal play that never ends the game (see randomGame), so there is a
// position after 10 and after 250 plies with a legal move to play.
const (
	benchSeed  = 42
	benchPlies = 251
)

// benchPlay measures the server's per-move cost model: Load the stored state,
// Play one legal move. Ply 10 and ply 250 must cost about the same, because
// nothing on this path depends on the length of the game (the repetition
// keys are bounded by the halfmove clock).
func benchPlay(b *testing.B, ply int) {
	ucis, states := mustRandomGame(b, benchSeed, benchPlies)
	s, u := states[ply], ucis[ply]
	probe, err := Load(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		board, err := Load(s)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := board.Play(u); err != nil {
			b.Fatal(err)
		}
	}
	// Context for comparing plies: position size, not game length, drives
	// the cost.
	b.ReportMetric(float64(len(probe.LegalMoves())), "legal")
	b.ReportMetric(float64(len(s.RepKeys)), "repkeys")
}

func BenchmarkPlayAtPly10(b *testing.B)  { benchPlay(b, 10) }
func BenchmarkPlayAtPly250(b *testing.B) { benchPlay(b, 250) }

// BenchmarkPlayAtPly250NoHistory is the control for the two above: the
// ply-250 position loaded from its FEN alone (one repetition key instead of
// 63). Equal cost means the game's history adds nothing; what separates ply
// 250 from ply 10 is then the position itself (see BenchmarkLegalMoves).
func BenchmarkPlayAtPly250NoHistory(b *testing.B) {
	ucis, states := mustRandomGame(b, benchSeed, benchPlies)
	s, u := State{FEN: states[250].FEN}, ucis[250]
	b.ReportAllocs()
	for b.Loop() {
		board, err := Load(s)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := board.Play(u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlayInterleaved runs the three Play measurements above in turn
// inside one loop and times each separately, so a busy machine slows all of
// them alike and the ratios stay meaningful when absolute figures drift. It
// also times Load+LegalMoves (the library's move generation) for both
// positions, the part of the cost that depends on the position itself.
func BenchmarkPlayInterleaved(b *testing.B) {
	ucis, states := mustRandomGame(b, benchSeed, benchPlies)
	cases := []struct {
		s    State
		u    string // "" times Load+LegalMoves instead of Load+Play
		unit string
	}{
		{states[10], ucis[10], "ply10-ns"},
		{states[250], ucis[250], "ply250-ns"},
		{State{FEN: states[250].FEN}, ucis[250], "ply250-nohist-ns"},
		{states[10], "", "gen10-ns"},
		{states[250], "", "gen250-ns"},
	}
	spent := make([]time.Duration, len(cases))
	for b.Loop() {
		for i, c := range cases {
			t0 := time.Now()
			board, err := Load(c.s)
			if err != nil {
				b.Fatal(err)
			}
			if c.u == "" {
				board.LegalMoves()
			} else if _, err := board.Play(c.u); err != nil {
				b.Fatal(err)
			}
			spent[i] += time.Since(t0)
		}
	}
	n := float64(b.N)
	for i, c := range cases {
		b.ReportMetric(float64(spent[i].Nanoseconds())/n, c.unit)
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "ratio-250/10")
	b.ReportMetric(float64(spent[1])/float64(spent[2]), "ratio-hist/nohist")
	b.ReportMetric(float64(spent[4])/float64(spent[3]), "ratio-gen250/10")
}

// BenchmarkLegalMoves measures the library's move generation for the two
// positions (Load + LegalMoves), the part of Play's cost that depends on how
// many pieces can move where.
func BenchmarkLegalMoves(b *testing.B) {
	_, states := mustRandomGame(b, benchSeed, benchPlies)
	for _, ply := range []int{10, 250} {
		s := states[ply]
		b.Run(fmt.Sprintf("ply%d", ply), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				board, err := Load(s)
				if err != nil {
					b.Fatal(err)
				}
				board.LegalMoves()
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	_, states := mustRandomGame(b, benchSeed, benchPlies)
	for _, ply := range []int{10, 250} {
		s := states[ply]
		b.Run(fmt.Sprintf("ply%d", ply), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGameLoop replays the whole fixed game as the server would: for
// every move Load the stored state, Play, and store the new State. It reports
// validated moves per second for one goroutine.
func BenchmarkGameLoop(b *testing.B) {
	ucis, _ := mustRandomGame(b, benchSeed, benchPlies)
	start := StartState()
	b.ReportAllocs()
	for b.Loop() {
		s := start
		for _, u := range ucis {
			board, err := Load(s)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := board.Play(u); err != nil {
				b.Fatal(err)
			}
			s = board.State()
		}
	}
	moves := float64(b.N * len(ucis))
	b.ReportMetric(moves/b.Elapsed().Seconds(), "moves/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/moves, "ns/move")
}

// TestBenchGameIsLong guards the benchmark setup: the fixed game must reach
// ply 250 with the game still running and a legal move left.
func TestBenchGameIsLong(t *testing.T) {
	ucis, states := mustRandomGame(t, benchSeed, benchPlies)
	if len(ucis) != benchPlies || len(states) != benchPlies+1 {
		t.Fatalf("game has %d moves", len(ucis))
	}
	b, err := Load(states[250])
	if err != nil {
		t.Fatal(err)
	}
	if b.Ending().Over() || b.Ply() != 250 {
		t.Fatalf("ply %d, ending %+v", b.Ply(), b.Ending())
	}
	t.Logf("ply 250: %s, %d legal moves, %d repetition keys", b.FEN(), len(b.LegalMoves()), len(states[250].RepKeys))
}

// BenchmarkPGN builds the PGN of the fixed 251-ply game once (game end):
// replay into a chess.Game, whose per-move cost grows with the game (defect
// 4), so this is O(n²) but runs once per game, outside the move path.
func BenchmarkPGN(b *testing.B) {
	ucis, _ := mustRandomGame(b, benchSeed, benchPlies)
	tags := []Tag{{"Event", "bench"}, {"White", "a"}, {"Black", "b"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PGN(tags, ucis); err != nil {
			b.Fatal(err)
		}
	}
}
