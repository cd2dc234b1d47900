package rules

import (
	"slices"
	"testing"

	"github.com/corentings/chess/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func legalUCIs(pos *chess.Position) []string {
	ms := pos.ValidMoves()
	out := make([]string, 0, len(ms))
	for i := range ms {
		out = append(out, uciOf(&ms[i]))
	}
	slices.Sort(out)
	return out
}

// TestParserMatchesLibrary: our FEN parser + Position.UnmarshalBinary must
// build exactly the position the library's own FEN parser builds.
func TestParserMatchesLibrary(t *testing.T) {
	fens := []string{
		StartFEN,
		"rnbqkbnr/pp1ppppp/8/2p5/4P3/8/PPPP1PPP/RNBQKBNR w KQkq c6 0 2",
		"rnbqkbnr/pppp1ppp/8/8/3Pp3/8/PPP1PPPP/RNBQKBNR b KQkq d3 0 2",
		"8/8/1k6/2b5/2pP4/8/5K2/8 b - d3 0 1",
		"4k3/8/8/8/8/8/8/4R1K1 b - - 12 40",
		"r3k2r/8/8/8/8/8/8/R3K2R b Kq - 3 17",
	}
	for _, c := range perftCases {
		fens = append(fens, c.fen)
	}
	_, states := mustRandomGame(t, 3, 120)
	for _, s := range states {
		fens = append(fens, s.FEN)
	}
	for _, fen := range fens {
		p, ours, err := parseFEN(fen)
		require.NoError(t, err, fen)
		lib := rawPosition(t, fen)
		assert.Equal(t, lib.String(), ours.String(), fen)
		assert.Equal(t, lib.String(), p.String(), fen)
		assert.Equal(t, legalUCIs(lib), legalUCIs(ours), fen)
		assert.Equal(t, lib.Status(), ours.Status(), fen)
		assert.Equal(t, squaresOf(lib.Board()), p.sq, fen)
	}
}

func TestLargeCountersUseLibraryParser(t *testing.T) {
	b := mustLoadFEN(t, "4k3/8/8/8/8/8/8/R3K3 b - - 0 70000")
	assert.Equal(t, "4k3/8/8/8/8/8/8/R3K3 b - - 0 70000", b.FEN())
	assert.Equal(t, 139999, b.Ply())
	m := playAll(t, b, "e8e7")
	assert.Equal(t, "8/4k3/8/8/8/8/8/R3K3 w - - 1 70001", m.FEN)

	b = mustLoadFEN(t, "4k3/8/8/8/8/8/8/R3K3 w - - 300 90")
	assert.Equal(t, "4k3/8/8/8/8/8/8/R3K3 w - - 300 90", b.FEN())
	assert.Equal(t, "seventyfive", b.Ending().Reason)
}
