package rules

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var scholarsMate = []string{"e2e4", "e7e5", "d1h5", "b8c6", "f1c4", "g8f6", "h5f7"}

func TestPGNScholarsMate(t *testing.T) {
	tags := []Tag{ // deliberately out of order
		{"TimeControl", "300+3"},
		{"Termination", "Normal"},
		{"Black", "bob"},
		{"White", `Ann "The Hammer" \o/`},
		{"Date", "2026.01.02"},
		{"Site", "https://chess.example/g/abc"},
		{"Event", "Casual blitz"},
	}
	got, err := PGN(tags, scholarsMate)
	require.NoError(t, err)
	want := `[Event "Casual blitz"]
[Site "https://chess.example/g/abc"]
[Date "2026.01.02"]
[Round "?"]
[White "Ann \"The Hammer\" \\o/"]
[Black "bob"]
[Result "1-0"]
[Termination "Normal"]
[TimeControl "300+3"]

1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7# 1-0
`
	assert.Equal(t, want, got)
}

func TestPGNResults(t *testing.T) {
	// An agreed draw: the caller's Result ends the movetext.
	got, err := PGN([]Tag{{"Result", "1/2-1/2"}}, []string{"e2e4", "e7e5"})
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(got, "\n1. e4 e5 1/2-1/2\n"), got)

	// Resignation after a legal position: any decisive result is fine.
	got, err = PGN([]Tag{{"Result", "0-1"}}, []string{"f2f3"})
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(got, "\n1. f3 0-1\n"), got)

	// Unfinished game without a Result tag.
	got, err = PGN(nil, []string{"e2e4"})
	require.NoError(t, err)
	assert.Contains(t, got, `[Result "*"]`)
	assert.True(t, strings.HasSuffix(got, "\n1. e4 *\n"), got)

	// No moves at all.
	got, err = PGN(nil, nil)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(got, "]\n\n*\n"), got)

	// Result contradicting the final position.
	_, err = PGN([]Tag{{"Result", "0-1"}}, scholarsMate)
	assert.ErrorIs(t, err, ErrBadPGN)
	_, err = PGN([]Tag{{"Result", "*"}}, scholarsMate)
	assert.ErrorIs(t, err, ErrBadPGN)
}

func TestPGNFromFEN(t *testing.T) {
	got, err := PGN([]Tag{{"FEN", "4k3/8/8/8/8/8/4P3/4K3  b - - 0 30"}}, []string{"e8e7", "e2e4"})
	require.NoError(t, err)
	assert.Contains(t, got, `[FEN "4k3/8/8/8/8/8/4P3/4K3 b - - 0 30"]`)
	assert.Contains(t, got, `[SetUp "1"]`)
	assert.True(t, strings.HasSuffix(got, "\n30... Ke7 31. e4 *\n"), got)

	_, err = PGN([]Tag{{"FEN", "not a fen"}}, nil)
	assert.ErrorIs(t, err, ErrBadPGN)
	assert.ErrorIs(t, err, ErrBadFEN)
}

func TestPGNBadInput(t *testing.T) {
	cases := []struct {
		name  string
		tags  []Tag
		moves []string
		also  error
	}{
		{"bad UCI", nil, []string{"e2e4", "b1q1"}, ErrBadUCI},
		{"illegal move", nil, []string{"e2e5"}, ErrIllegal},
		{"move after mate", nil, append(append([]string{}, scholarsMate...), "e8e7"), ErrGameOver},
		{"bad tag name", []Tag{{"Bad Key", "x"}}, nil, nil},
		{"empty tag name", []Tag{{"", "x"}}, nil, nil},
		{"duplicate tag", []Tag{{"White", "a"}, {"White", "b"}}, nil, nil},
		{"newline in value", []Tag{{"White", "a\n[Black \"x\"]"}}, nil, nil},
		{"invalid UTF-8", []Tag{{"White", "\xff"}}, nil, nil},
		{"long value", []Tag{{"White", strings.Repeat("a", 256)}}, nil, nil},
		{"bad result", []Tag{{"Result", "2-0"}}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := PGN(c.tags, c.moves)
			assert.ErrorIs(t, err, ErrBadPGN)
			if c.also != nil {
				assert.ErrorIs(t, err, c.also)
			}
		})
	}
}

func TestPGNLongGameWrapsAndMatchesPlay(t *testing.T) {
	ucis, _ := mustRandomGame(t, 7, 150)
	b := newGame(t)
	sans := make([]string, 0, len(ucis))
	for _, u := range ucis {
		m := playAll(t, b, u)
		sans = append(sans, m.SAN)
	}
	got, err := PGN([]Tag{{"Event", "long"}}, ucis)
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		assert.LessOrEqual(t, len(line), pgnLineWidth, line)
		assert.False(t, strings.HasSuffix(line, "."), "move number split from its move: %q", line)
	}
	movetext := got[strings.Index(got, "\n\n"):]
	assert.Equal(t, sans, sanTokens(movetext), "the Game's SAN agrees with Play's")
}
