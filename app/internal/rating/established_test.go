package rating

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The figure the leaderboard shows: measured with lichess's parameters, ten games.
func TestMinGamesToEstablish(t *testing.T) {
	c := Lichess()
	n := MinGamesToEstablish(c)
	require.Equal(t, 10, n)

	// It is the fewest: no sequence of n-1 games from a new rating, against any opponent
	// with any result, ends below the provisional deviation. Every constant opponent of a
	// grid, then random mixes of opponents and results.
	at := time.Unix(0, 0).UTC()
	play := func(opp func(i int) (Rating, float64)) Rating {
		p := New()
		for i := 0; i < n-1; i++ {
			o, s := opp(i)
			p, _ = c.Game(p, o, s, at)
		}
		return p
	}
	for _, r := range []float64{400, 1000, 1400, 1500, 1600, 2000, 2800} {
		for _, rd := range []float64{MinRD, 60, 110, 250, MaxRD} {
			for _, s := range []float64{0, 0.5, 1} {
				p := play(func(int) (Rating, float64) { return Rating{R: r, RD: rd, Vol: 0.06}, s })
				assert.True(t, p.Provisional(), "%d games vs %v/%v scoring %v: RD %v", n-1, r, rd, s, p.RD)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for k := 0; k < 2000; k++ {
		p := play(func(int) (Rating, float64) {
			o := Rating{R: 400 + rng.Float64()*2400, RD: MinRD + rng.Float64()*(MaxRD-MinRD), Vol: 0.04 + rng.Float64()*0.06}
			return o, float64(rng.IntN(3)) / 2
		})
		assert.True(t, p.Provisional(), "random sequence %d: RD %v", k, p.RD)
	}

	// Two new players drawing each other take longer (the browser test plays this: 14).
	a, b := New(), New()
	games := 0
	for a.Provisional() {
		a, b = c.Game(a, b, 0.5, at)
		games++
	}
	assert.Equal(t, 14, games)
}
