package rating

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Glickman's worked example (glicko2.pdf; chess.md §7), τ = 0.5, one rating period.
func TestGlickmanExample(t *testing.T) {
	c := Calculator{Tau: 0.5}
	p := Rating{R: 1500, RD: 200, Vol: 0.06}
	got, err := c.RatePeriod(p, []Result{
		{Opponent: Rating{R: 1400, RD: 30, Vol: 0.06}, Score: 1},
		{Opponent: Rating{R: 1550, RD: 100, Vol: 0.06}, Score: 0},
		{Opponent: Rating{R: 1700, RD: 300, Vol: 0.06}, Score: 0},
	}, 1)
	require.NoError(t, err)
	// Reference tolerances (chess.md §7).
	assert.Less(t, math.Abs(got.R-1464.06), 0.02, "r' = %v", got.R)
	assert.Less(t, math.Abs(got.RD-151.52), 0.01, "RD' = %v", got.RD)
	assert.Less(t, math.Abs(got.Vol-0.05999), 1e-5, "σ' = %v", got.Vol)
	// Unrounded values with Illinois, ε = 1e-6 (chess.md §7).
	assert.InDelta(t, 1464.0507, got.R, 1e-3)
	assert.InDelta(t, 151.5165, got.RD, 1e-3)
	assert.InDelta(t, 0.0599960, got.Vol, 1e-7)
	assert.Equal(t, 3, got.Games)
}

// pair rates one game with Period and no step-6 growth, like scalachess
// GlickoCalculator.computeGame(game, skipDeviationIncrease = true).
func pair(t *testing.T, c Calculator, w, b Rating, ws float64) (Rating, Rating) {
	t.Helper()
	w1, err := c.RatePeriod(w, []Result{{Opponent: b, Score: ws}}, 0)
	require.NoError(t, err)
	b1, err := c.RatePeriod(b, []Result{{Opponent: w, Score: 1 - ws}}, 0)
	require.NoError(t, err)
	return w1, b1
}

type side struct{ r, rd, vol float64 }

type vector struct {
	name           string
	white, black   Rating
	score          float64
	w, b           side
	dR, dRD, dVolW float64 // tolerances
	dVolB          float64
}

// Vectors from lichess-org/scalachess test-kit/src/test/scala/rating/glicko/impl/
// RatingCalculatorTest.scala (τ 0.75, updateRatings(results, skipDeviationIncrease = true)),
// with that file's tolerances. The chess.md "(confirm)" vector, 1500/80/0.06 winning →
// ≈ 1517 / RD 78, is confirmed there: the opponent is also 1500/80/0.06.
var calculatorTestVectors = []vector{
	{"default white wins", New(), New(), 1, side{1741, 396, 0.0899983}, side{1258, 396, 0.0899983}, 1, 1, 1e-8, 1e-7},
	{"default black wins", New(), New(), 0, side{1258, 396, 0.0899983}, side{1741, 396, 0.0899983}, 1, 1, 1e-8, 1e-7},
	{"default draw", New(), New(), 0.5, side{1500, 396, 0.0899954}, side{1500, 396, 0.0899954}, 1, 1, 1e-7, 1e-7},
	{"low deviation white wins", r(1500, 80, 0.06), r(1500, 80, 0.06), 1, side{1517, 78, 0.06}, side{1482, 78, 0.06}, 1, 1, 1e-5, 1e-5},
	{"low deviation black wins", r(1500, 80, 0.06), r(1500, 80, 0.06), 0, side{1482, 78, 0.06}, side{1517, 78, 0.06}, 1, 1, 1e-5, 1e-5},
	{"low deviation draw", r(1500, 80, 0.06), r(1500, 80, 0.06), 0.5, side{1500, 78, 0.06}, side{1500, 78, 0.06}, 1, 1, 1e-5, 1e-5},
	{"mixed white wins", r(1400, 79, 0.06), r(1550, 110, 0.065), 1, side{1422, 77, 0.06}, side{1506, 105, 0.065}, 1, 1, 1e-5, 1e-5},
	{"mixed black wins", r(1400, 79, 0.06), r(1550, 110, 0.065), 0, side{1389, 78, 0.06}, side{1568, 105, 0.065}, 1, 1, 1e-5, 1e-5},
	{"more mixed white wins", r(1200, 60, 0.053), r(1850, 200, 0.062), 1, side{1216.7, 59.9, 0.053013}, side{1636, 196.9, 0.062028}, 0.1, 0.1, 1e-6, 1e-6},
	{"more mixed black wins", r(1200, 60, 0.053), r(1850, 200, 0.062), 0, side{1199.3, 59.9, 0.052999}, side{1855.4, 196.9, 0.061999}, 0.1, 0.1, 1e-6, 1e-6},
	{"more mixed draw", r(1200, 60, 0.053), r(1850, 200, 0.062), 0.5, side{1208.0, 59.90056, 0.053002}, side{1745.7, 196.98729, 0.062006}, 0.1, 0.1, 1e-6, 1e-6},
}

// Vectors from scalachess test-kit/src/test/scala/rating/glicko/GlickoCalculatorTest.scala
// (computeGame with skipDeviationIncrease = true), tighter tolerances.
var glickoCalculatorTestVectors = []vector{
	{"350 white wins", r(1500, 350, 0.06), r(1500, 350, 0.06), 1, side{1662.21, 290.2305, 0.0599993}, side{1337.79, 290.2305, 0.0599993}, 0.005, 0.00005, 1e-7, 1e-7},
	{"350 black wins", r(1500, 350, 0.06), r(1500, 350, 0.06), 0, side{1337.79, 290.2305, 0.0599993}, side{1662.21, 290.2305, 0.0599993}, 0.005, 0.00005, 1e-7, 1e-7},
	{"350 draw", r(1500, 350, 0.06), r(1500, 350, 0.06), 0.5, side{1500, 290.2305, 0.0599977}, side{1500, 290.2305, 0.0599977}, 0.005, 0.00005, 1e-7, 1e-7},
	{"mixed white wins", r(1400, 79, 0.06), r(1550, 110, 0.065), 1, side{1422.63, 77.4956, 0.06}, side{1506.32, 105.8706, 0.065}, 0.005, 0.00005, 1e-5, 1e-5},
	{"mixed black wins", r(1400, 79, 0.06), r(1550, 110, 0.065), 0, side{1389.99, 77.4956, 0.06}, side{1568.90, 105.8706, 0.065}, 0.005, 0.00005, 1e-5, 1e-5},
	{"mixed draw", r(1400, 79, 0.06), r(1550, 110, 0.065), 0.5, side{1406.31, 77.4956, 0.06}, side{1537.61, 105.8706, 0.065}, 0.005, 0.00005, 1e-5, 1e-5},
	{"more mixed white wins", r(1200, 60, 0.053), r(1850, 200, 0.062), 1, side{1216.73, 59.9006, 0.053013}, side{1635.99, 196.9873, 0.062028}, 0.005, 0.00005, 1e-6, 1e-6},
	{"more mixed black wins", r(1200, 60, 0.053), r(1850, 200, 0.062), 0, side{1199.29, 59.9006, 0.052999}, side{1855.42, 196.9873, 0.061999}, 0.005, 0.00005, 1e-6, 1e-6},
	{"more mixed draw", r(1200, 60, 0.053), r(1850, 200, 0.062), 0.5, side{1208.01, 59.9006, 0.053002}, side{1745.71, 196.9873, 0.062006}, 0.005, 0.00005, 1e-6, 1e-6},
}

func r(rt, rd, vol float64) Rating { return Rating{R: rt, RD: rd, Vol: vol} }

func checkVector(t *testing.T, v vector, w, b Rating) {
	t.Helper()
	assert.InDelta(t, v.w.r, w.R, v.dR, "white R")
	assert.InDelta(t, v.b.r, b.R, v.dR, "black R")
	assert.InDelta(t, v.w.rd, w.RD, v.dRD, "white RD")
	assert.InDelta(t, v.b.rd, b.RD, v.dRD, "black RD")
	assert.InDelta(t, v.w.vol, w.Vol, v.dVolW, "white vol")
	assert.InDelta(t, v.b.vol, b.Vol, v.dVolB, "black vol")
}

func TestLichessVectors(t *testing.T) {
	c := Lichess()
	for _, set := range []struct {
		name string
		vs   []vector
	}{{"RatingCalculatorTest", calculatorTestVectors}, {"GlickoCalculatorTest", glickoCalculatorTestVectors}} {
		for _, v := range set.vs {
			t.Run(set.name+"/"+v.name, func(t *testing.T) {
				w, b := pair(t, c, v.white, v.black, v.score)
				checkVector(t, v, w, b)
				// Game gives the same for new-ish players inside lichess's caps
				// (zero LastRated: no RD growth; RD ≥ 45, vol ≤ 0.1, rating ≥ 400).
				gw, gb, err := c.RateGame(v.white, v.black, v.score, t0)
				require.NoError(t, err)
				checkVector(t, v, gw, gb)
				assert.Equal(t, 1, gw.Games)
				assert.Equal(t, t0, gw.LastRated)
			})
		}
	}
}

func TestDrawSymmetry(t *testing.T) {
	c := Lichess()
	// Equal players drawing: nothing moves but the deviation, identically on both sides.
	w, b := c.Game(New(), New(), 0.5, t0)
	assert.InDelta(t, 1500, w.R, 1e-9)
	assert.Equal(t, w.R, b.R)
	assert.Equal(t, w.RD, b.RD)
	assert.Equal(t, w.Vol, b.Vol)
	assert.Less(t, w.RD, DefaultRD)

	// Colour symmetry: swapping colours and score swaps the results.
	x, y := Rating{R: 1620, RD: 85, Vol: 0.07, Games: 40, LastRated: t0.AddDate(0, 0, -3)}, Rating{R: 1480, RD: 140, Vol: 0.06, Games: 7, LastRated: t0.AddDate(0, -2, 0)}
	for _, s := range []float64{0, 0.5, 1} {
		w1, b1 := c.Game(x, y, s, t0)
		w2, b2 := c.Game(y, x, 1-s, t0)
		assert.Equal(t, w1, b2, "score %v", s)
		assert.Equal(t, b1, w2, "score %v", s)
	}
	// A draw between unequal players moves them towards each other by the same logic.
	w, b = c.Game(x, y, 0.5, t0)
	assert.Less(t, w.R, x.R)
	assert.Greater(t, b.R, y.R)
}

func TestProvisional(t *testing.T) {
	tests := []struct {
		rd   float64
		want bool
	}{
		{500, true}, {230, true}, {110, true}, {110.0001, true},
		{109.9999, false}, {60, false}, {45, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Rating{R: 1500, RD: tt.rd, Vol: 0.06}.Provisional(), "RD %v", tt.rd)
	}
	assert.True(t, New().Provisional())

	// An established player becomes provisional again after a year away: RD 60 → 110.
	c := Lichess()
	p := Rating{R: 1800, RD: 60, Vol: 0.06, Games: 300, LastRated: t0}
	assert.False(t, c.Live(p, t0.AddDate(0, 6, 0)).Provisional())
	assert.True(t, c.Live(p, t0.AddDate(1, 0, 1)).Provisional())
}

func TestInt(t *testing.T) {
	assert.Equal(t, 1741, Rating{R: 1741.49}.Int())
	assert.Equal(t, 1742, Rating{R: 1741.5}.Int())
	assert.Equal(t, 1500, New().Int())
}

func TestLiveDeviation(t *testing.T) {
	c := Lichess()
	tests := []struct {
		name string
		in   Rating
		now  time.Time
		want float64
		tol  float64
	}{
		// 365 days × 0.21436 = 78.2414 periods; φ = 60/173.7178 = 0.345388;
		// √(0.119293 + 78.2414 × 0.06²) = √0.400962 = 0.633216 → × 173.7178 = 110.0008.
		{"one year 60 to 110", Rating{R: 1500, RD: 60, Vol: 0.06, LastRated: t0}, t0.AddDate(1, 0, 0), 110.0008, 1e-3},
		// A new player has no LastRated: no growth.
		{"new player", New(), t0, 500, 0},
		{"no time elapsed", Rating{R: 1500, RD: 60, Vol: 0.06, LastRated: t0}, t0, 60, 0},
		{"clock went backwards", Rating{R: 1500, RD: 60, Vol: 0.06, LastRated: t0}, t0.Add(-time.Hour), 60, 0},
		// Ten years: far above 500, clamped (lila Glicko.maxDeviation).
		{"capped at 500", Rating{R: 1500, RD: 400, Vol: 0.09, LastRated: t0}, t0.AddDate(10, 0, 0), 500, 0},
		// Below lila's minDeviation 45: raised to 45.
		{"raised to 45", Rating{R: 2500, RD: 30, Vol: 0.04, LastRated: t0}, t0, 45, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Live(tt.in, tt.now)
			assert.InDelta(t, tt.want, got.RD, tt.tol)
			assert.Equal(t, tt.in.R, got.R)
			assert.Equal(t, tt.in.Vol, got.Vol)
		})
	}
	// Zero periods per day (scalachess's default) never grows RD.
	flat := Calculator{Tau: 0.75}
	assert.Equal(t, 60.0, flat.Live(Rating{R: 1500, RD: 60, Vol: 0.06, LastRated: t0}, t0.AddDate(5, 0, 0)).RD)
}

func TestGameUsesLiveDeviation(t *testing.T) {
	c := Lichess()
	away := Rating{R: 1700, RD: 60, Vol: 0.06, Games: 200, LastRated: t0.AddDate(-1, 0, 0)}
	opp := Rating{R: 1650, RD: 70, Vol: 0.06, Games: 90, LastRated: t0.Add(-time.Hour)}
	w, b := c.Game(away, opp, 0, t0)
	// Same as rating the live (grown) ratings without step-6 growth.
	lw, lb := c.Live(away, t0), c.Live(opp, t0)
	require.InDelta(t, 110, lw.RD, 0.01)
	ew, eb := pair(t, c, lw, lb, 0)
	assert.InDelta(t, ew.R, w.R, 1e-9)
	assert.InDelta(t, ew.RD, w.RD, 1e-9)
	assert.InDelta(t, eb.R, b.R, 1e-9)
	// The returning player's larger RD moves their rating more than a fresh RD 60 would.
	fresh := away
	fresh.LastRated = t0
	fw, _ := c.Game(fresh, opp, 0, t0)
	assert.Less(t, w.R, fw.R)
	assert.Equal(t, 201, w.Games)
	assert.Equal(t, 91, b.Games)
	assert.Equal(t, t0, w.LastRated)
	assert.Equal(t, t0, b.LastRated)
}

func TestGameCaps(t *testing.T) {
	c := Lichess()

	// ±700 per game: a new player beating a 3000/45 player would gain ~1400 points.
	newbie, master := New(), Rating{R: 3000, RD: 45, Vol: 0.06}
	raw, err := c.RatePeriod(newbie, []Result{{Opponent: master, Score: 1}}, 0)
	require.NoError(t, err)
	require.Greater(t, raw.R-newbie.R, MaxRatingDelta, "the raw update must exceed the clamp")
	w, _ := c.Game(newbie, master, 1, t0)
	assert.Equal(t, newbie.R+MaxRatingDelta, w.R)

	// Volatility capped at 0.1 on the way in and out; rating floor 400; RD floor 45.
	wild := Rating{R: 300, RD: 20, Vol: 0.3}
	w, b := c.Game(wild, New(), 0, t0)
	assert.LessOrEqual(t, w.Vol, MaxVol)
	assert.GreaterOrEqual(t, w.R, MinR)
	assert.GreaterOrEqual(t, w.RD, MinRD)
	// The opponent was rated against the capped 400/45/0.1, not 300/20/0.3.
	_, eb := pair(t, c, Rating{R: 400, RD: 45, Vol: 0.1}, New(), 0)
	assert.InDelta(t, eb.R, b.R, 1e-9)

	// An insane result (rating ≥ 4000) resets to a new player's rating (lila addOrReset).
	top := Rating{R: 3900, RD: 500, Vol: 0.09, Games: 12}
	w, _ = c.Game(top, top, 1, t0)
	assert.Equal(t, DefaultR, w.R)
	assert.Equal(t, DefaultRD, w.RD)
	assert.Equal(t, DefaultVol, w.Vol)
	assert.Equal(t, 13, w.Games)
}

func TestPeriodWithoutGames(t *testing.T) {
	c := Calculator{Tau: 0.5}
	p := Rating{R: 1500, RD: 200, Vol: 0.06, Games: 4}
	got := c.Period(p, nil, 1)
	// Step 6 only: √((200/173.7178)² + 0.06²) × 173.7178 = 200.2714.
	assert.InDelta(t, 200.2714, got.RD, 1e-4)
	assert.Equal(t, p.R, got.R)
	assert.Equal(t, p.Vol, got.Vol)
	assert.Equal(t, 4, got.Games)
	assert.Equal(t, p, c.Period(p, nil, 0))
}

func TestBadInput(t *testing.T) {
	c := Lichess()
	good := New()
	nan := math.NaN()
	gameCases := []struct {
		name  string
		c     Calculator
		w, b  Rating
		score float64
	}{
		{"score 0.7", c, good, good, 0.7},
		{"score -1", c, good, good, -1},
		{"score NaN", c, good, good, nan},
		{"white NaN rating", c, Rating{R: nan, RD: 100, Vol: 0.06}, good, 1},
		{"black infinite RD", c, good, Rating{R: 1500, RD: math.Inf(1), Vol: 0.06}, 1},
		{"zero RD", c, Rating{R: 1500, RD: 0, Vol: 0.06}, good, 1},
		{"zero volatility", c, good, Rating{R: 1500, RD: 100, Vol: 0}, 1},
		{"negative games", c, Rating{R: 1500, RD: 100, Vol: 0.06, Games: -1}, good, 1},
		{"zero tau", Calculator{PeriodsPerDay: 1}, good, good, 1},
		{"negative periods per day", Calculator{Tau: 0.75, PeriodsPerDay: -1}, good, good, 1},
	}
	for _, tt := range gameCases {
		t.Run(tt.name, func(t *testing.T) {
			w, b, err := tt.c.RateGame(tt.w, tt.b, tt.score, t0)
			require.Error(t, err)
			assertSame(t, tt.w, w)
			assertSame(t, tt.b, b)
			w, b = tt.c.Game(tt.w, tt.b, tt.score, t0)
			assertSame(t, tt.w, w)
			assertSame(t, tt.b, b)
		})
	}
	periodCases := []struct {
		name    string
		results []Result
		periods float64
	}{
		{"score above 1", []Result{{Opponent: good, Score: 1.5}}, 1},
		{"bad opponent", []Result{{Opponent: Rating{R: 1500, RD: -3, Vol: 0.06}, Score: 1}}, 1},
		{"negative periods", nil, -1},
		{"NaN periods", nil, nan},
	}
	for _, tt := range periodCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RatePeriod(good, tt.results, tt.periods)
			require.Error(t, err)
			assert.Equal(t, good, c.Period(good, tt.results, tt.periods))
		})
	}
}

// assertSame compares ratings bit for bit, so that an unchanged NaN counts as equal.
func assertSame(t *testing.T, want, got Rating) {
	t.Helper()
	assert.Equal(t, math.Float64bits(want.R), math.Float64bits(got.R), "R %v vs %v", want.R, got.R)
	assert.Equal(t, math.Float64bits(want.RD), math.Float64bits(got.RD), "RD %v vs %v", want.RD, got.RD)
	assert.Equal(t, math.Float64bits(want.Vol), math.Float64bits(got.Vol), "Vol %v vs %v", want.Vol, got.Vol)
	assert.Equal(t, want.Games, got.Games)
	assert.Equal(t, want.LastRated, got.LastRated)
}

func TestSpeedOf(t *testing.T) {
	tests := []struct {
		base, inc int
		want      Speed
	}{
		{0, 0, Bullet},
		{15, 0, Bullet},  // lichess ultrabullet (< 30) maps to bullet
		{29, 0, Bullet},  // last ultrabullet second
		{30, 0, Bullet},  // first lichess bullet second
		{0, 4, Bullet},   // 160
		{60, 2, Bullet},  // 60 + 80 = 140
		{179, 0, Bullet}, // last bullet second
		{180, 0, Blitz},  // 3+0
		{60, 3, Blitz},   // 60 + 120 = 180
		{140, 1, Blitz},  // 140 + 40 = 180
		{139, 1, Bullet}, // 179
		{300, 3, Blitz},  // 5+3 = 420
		{479, 0, Blitz},  // last blitz second
		{480, 0, Rapid},  // 8+0
		{120, 9, Rapid},  // 120 + 360 = 480
		{600, 0, Rapid},  // 10+0
		{1499, 0, Rapid}, // last rapid second
		{1500, 0, Classical},
		{900, 15, Classical},  // 900 + 600 = 1500
		{900, 10, Rapid},      // 1300
		{1800, 20, Classical}, // 2600
		{21599, 0, Classical}, // last lichess classical second
		{21600, 0, Classical}, // lichess correspondence range maps to classical
		{-60, 0, Bullet},      // negative counts as 0
		{600, -5, Rapid},      // negative increment counts as 0
		{math.MaxInt32, 0, Classical},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, SpeedOf(tt.base, tt.inc), "%d+%d", tt.base, tt.inc)
	}
}

func BenchmarkGame(b *testing.B) {
	c := Lichess()
	w := Rating{R: 1620, RD: 85, Vol: 0.07, Games: 40, LastRated: t0.AddDate(0, 0, -3)}
	bl := Rating{R: 1480, RD: 140, Vol: 0.06, Games: 7, LastRated: t0.AddDate(0, -2, 0)}
	b.ReportAllocs()
	for b.Loop() {
		c.Game(w, bl, 1, t0)
	}
}
