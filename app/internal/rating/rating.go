// Package rating implements Glicko-2 (Glickman, "Example of the Glicko-2 system",
// http://www.glicko.net/glicko/glicko2.pdf, steps 1–8, Illinois algorithm for σ) with
// lichess's parameters and guards.
//
// Sources checked (lichess-org/scalachess at cbffc9d7e2c6f8ba33381c5403e1b4f992199626):
//   - rating/src/main/scala/glicko/impl/RatingCalculator.scala: the algorithm, ε = 1e-6,
//     at most 1000 iterations, previewDeviation (RD growth over elapsed rating periods);
//   - rating/src/main/scala/glicko/model.scala: τ 0.75, provisional while RD ≥ 110.
//
// and lichess-org/lila:
//   - modules/rating/src/main/Glicko.scala: new player 1500/500/0.09, 0.21436 rating
//     periods per day, RD in [45, 500], volatility ≤ 0.1, rating ≥ 400, ±700 per game,
//     liveDeviation (previewed RD clamped to [45, 500]);
//   - object PerfExt in modules/rating/src/main (Perf.scala): addOrReset (±700 clamp,
//     sanity check, cap), toGlickoPlayer (inputs capped), RD stored relative to `latest`;
//   - modules/round/src/main/PerfsUpdater.scala: one game is one rating period, computed
//     with skipDeviationIncrease = true (no step-6 growth inside the game; RD growth comes
//     from the live deviation since the last rated game).
package rating

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Lichess parameters (see the package comment for the sources).
const (
	DefaultR        = 1500.0
	DefaultRD       = 500.0
	DefaultVol      = 0.09
	ProvisionalRD   = 110.0
	MinRD           = 45.0
	MaxRD           = 500.0
	MaxVol          = 0.1
	MinR            = 400.0
	MaxRatingDelta  = 700.0
	LichessTau      = 0.75
	LichessPeriods  = 0.21436 // rating periods per day: a typical RD goes 60 → 110 in a year
	glicko2Scale    = 173.7178
	convergenceEps  = 1e-6
	maxIterations   = 1000
	millisPerDay    = 24 * 60 * 60 * 1000
	sanityMaxR      = 4000.0 // lila GlickoExt.sanityCheck bounds
	sanityMaxRD     = 1000.0
	sanityMaxVolMul = 2.0
)

// Rating is one player's Glicko-2 rating in one speed.
type Rating struct {
	R, RD, Vol float64
	Games      int
	LastRated  time.Time // zero for new players
}

// New is a new player's rating: 1500 / 500 / 0.09.
func New() Rating { return Rating{R: DefaultR, RD: DefaultRD, Vol: DefaultVol} }

// Provisional reports whether the rating is still uncertain (RD ≥ 110, shown with "?").
// Use Calculator.Live first to account for RD growth since the last game.
func (r Rating) Provisional() bool { return r.RD >= ProvisionalRD }

// Int is the rating rounded for display.
func (r Rating) Int() int { return int(math.Round(r.R)) }

// Validate reports whether the rating can enter the algorithm.
func (r Rating) Validate() error {
	switch {
	case !finite(r.R) || !finite(r.RD) || !finite(r.Vol):
		return fmt.Errorf("rating: non-finite rating %v/%v/%v", r.R, r.RD, r.Vol)
	case r.RD <= 0:
		return fmt.Errorf("rating: deviation %v must be positive", r.RD)
	case r.Vol <= 0:
		return fmt.Errorf("rating: volatility %v must be positive", r.Vol)
	case r.Games < 0:
		return fmt.Errorf("rating: negative game count %d", r.Games)
	}
	return nil
}

// Calculator holds the system constants.
type Calculator struct{ Tau, PeriodsPerDay float64 }

// Lichess is lichess's calculator: τ 0.75, 0.21436 rating periods per day.
func Lichess() Calculator { return Calculator{Tau: LichessTau, PeriodsPerDay: LichessPeriods} }

// Validate reports whether the constants are usable.
func (c Calculator) Validate() error {
	if !finite(c.Tau) || c.Tau <= 0 {
		return fmt.Errorf("rating: tau %v must be positive", c.Tau)
	}
	if !finite(c.PeriodsPerDay) || c.PeriodsPerDay < 0 {
		return fmt.Errorf("rating: periods per day %v must be ≥ 0", c.PeriodsPerDay)
	}
	return nil
}

// Result is one game of a rating period from the rated player's side.
type Result struct {
	Opponent Rating
	Score    float64 // 1 win, 0.5 draw, 0 loss
}

// ErrNoConvergence is returned when the volatility iteration does not converge.
var ErrNoConvergence = errors.New("rating: volatility iteration did not converge")

// Period applies Glickman's steps 1–8 for one rating period: results are the period's
// games and periods is the number of rating periods elapsed for step 6 (1 in the paper,
// 0 for lichess's per-game updates). With no results only step 6 applies. Invalid input
// returns p unchanged; RatePeriod reports why.
func (c Calculator) Period(p Rating, results []Result, periods float64) Rating {
	out, err := c.RatePeriod(p, results, periods)
	if err != nil {
		return p
	}
	return out
}

// RatePeriod is Period with the input errors reported.
func (c Calculator) RatePeriod(p Rating, results []Result, periods float64) (Rating, error) {
	if err := c.Validate(); err != nil {
		return p, err
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	if !finite(periods) || periods < 0 {
		return p, fmt.Errorf("rating: elapsed periods %v must be ≥ 0", periods)
	}
	for i, res := range results {
		if err := res.Opponent.Validate(); err != nil {
			return p, fmt.Errorf("result %d opponent: %w", i, err)
		}
		if !finite(res.Score) || res.Score < 0 || res.Score > 1 {
			return p, fmt.Errorf("rating: result %d score %v outside [0, 1]", i, res.Score)
		}
	}
	return c.period(p, results, periods)
}

// period is steps 1–8 on validated input.
func (c Calculator) period(p Rating, results []Result, periods float64) (Rating, error) {
	// Step 2: convert to the Glicko-2 scale.
	mu := (p.R - DefaultR) / glicko2Scale
	phi := p.RD / glicko2Scale
	sigma := p.Vol

	if len(results) == 0 {
		// A player without games: only step 6, rating and volatility unchanged.
		p.RD = math.Sqrt(phi*phi+periods*sigma*sigma) * glicko2Scale
		return p, nil
	}

	// Steps 3 and 4: estimated variance v and improvement Δ (Δ = v·sum).
	var invV, sum float64
	for _, res := range results {
		muJ := (res.Opponent.R - DefaultR) / glicko2Scale
		gJ := g(res.Opponent.RD / glicko2Scale)
		eJ := expected(mu, muJ, gJ)
		invV += gJ * gJ * eJ * (1 - eJ)
		sum += gJ * (res.Score - eJ)
	}
	v := 1 / invV
	delta := v * sum

	// Step 5: new volatility.
	sigmaNew, err := c.volatility(delta, phi, v, sigma)
	if err != nil {
		return p, err
	}

	// Step 6: pre-period deviation φ*.
	phiStar := math.Sqrt(phi*phi + periods*sigmaNew*sigmaNew)
	// Step 7: new deviation and rating.
	phiNew := 1 / math.Sqrt(1/(phiStar*phiStar)+1/v)
	muNew := mu + phiNew*phiNew*sum

	// Step 8: back to the Glicko scale.
	p.R = muNew*glicko2Scale + DefaultR
	p.RD = phiNew * glicko2Scale
	p.Vol = sigmaNew
	p.Games += len(results)
	return p, nil
}

// volatility is step 5: solve f(x) = 0 with the Illinois algorithm, σ' = e^(A/2).
func (c Calculator) volatility(delta, phi, v, sigma float64) (float64, error) {
	tau2 := c.Tau * c.Tau
	d2, phi2 := delta*delta, phi*phi
	a := math.Log(sigma * sigma)
	f := func(x float64) float64 {
		ex := math.Exp(x)
		den := phi2 + v + ex
		return ex*(d2-phi2-v-ex)/(2*den*den) - (x-a)/tau2
	}
	// Step 5.2: bracket the root.
	A := a
	var B float64
	if d2 > phi2+v {
		B = math.Log(d2 - phi2 - v)
	} else {
		k := 1.0
		for f(a-k*c.Tau) < 0 {
			k++
			if k > maxIterations {
				return 0, ErrNoConvergence
			}
		}
		B = a - k*c.Tau
	}
	// Steps 5.3–5.4: Illinois iteration until |B − A| ≤ ε.
	fA, fB := f(A), f(B)
	for i := 0; math.Abs(B-A) > convergenceEps; i++ {
		if i == maxIterations {
			return 0, ErrNoConvergence
		}
		C := A + (A-B)*fA/(fB-fA)
		fC := f(C)
		if fC*fB <= 0 {
			A, fA = B, fB
		} else {
			fA /= 2
		}
		B, fB = C, fC
	}
	return math.Exp(A / 2), nil
}

// g and expected are the step-3 helpers.
func g(phi float64) float64 { return 1 / math.Sqrt(1+3*phi*phi/(math.Pi*math.Pi)) }

func expected(mu, muJ, gJ float64) float64 { return 1 / (1 + math.Exp(-gJ*(mu-muJ))) }

// Live is r as of now: RD grown by the rating periods elapsed since LastRated (step 6,
// RatingCalculator.scala previewDeviation) and clamped to [45, 500] (lila
// Glicko.liveDeviation). New players (zero LastRated) and a now before LastRated add nothing.
func (c Calculator) Live(r Rating, now time.Time) Rating {
	if !finite(r.RD) || !finite(r.Vol) {
		return r
	}
	if !r.LastRated.IsZero() && now.After(r.LastRated) && c.PeriodsPerDay > 0 {
		periods := float64(now.Sub(r.LastRated).Milliseconds()) * c.PeriodsPerDay / millisPerDay
		phi := r.RD / glicko2Scale
		r.RD = math.Sqrt(phi*phi+periods*r.Vol*r.Vol) * glicko2Scale
	}
	r.RD = clamp(r.RD, MinRD, MaxRD)
	return r
}

// Game rates one finished game between white and black at now, as lichess does: both
// ratings are taken live and capped, the game is one rating period without step-6 growth,
// the change is limited to ±700, an insane result resets to a new player's rating, and the
// result is capped. whiteScore is 1, 0.5 or 0. Invalid input returns both ratings
// unchanged; RateGame reports why.
func (c Calculator) Game(white, black Rating, whiteScore float64, now time.Time) (Rating, Rating) {
	w, b, err := c.RateGame(white, black, whiteScore, now)
	if err != nil {
		return white, black
	}
	return w, b
}

// RateGame is Game with the input errors reported.
func (c Calculator) RateGame(white, black Rating, whiteScore float64, now time.Time) (Rating, Rating, error) {
	if err := c.Validate(); err != nil {
		return white, black, err
	}
	if whiteScore != 0 && whiteScore != 0.5 && whiteScore != 1 {
		return white, black, fmt.Errorf("rating: white score %v is not 0, 0.5 or 1", whiteScore)
	}
	if err := white.Validate(); err != nil {
		return white, black, fmt.Errorf("white: %w", err)
	}
	if err := black.Validate(); err != nil {
		return white, black, fmt.Errorf("black: %w", err)
	}
	// lila PerfExt.toGlickoPlayer: the live rating, capped.
	w0, b0 := capped(c.Live(white, now)), capped(c.Live(black, now))
	w1, err := c.period(w0, []Result{{Opponent: b0, Score: whiteScore}}, 0)
	if err != nil {
		return white, black, fmt.Errorf("white: %w", err)
	}
	b1, err := c.period(b0, []Result{{Opponent: w0, Score: 1 - whiteScore}}, 0)
	if err != nil {
		return white, black, fmt.Errorf("black: %w", err)
	}
	return settle(white, w1, now), settle(black, b1, now), nil
}

// settle is lila PerfExt.addOrReset: limit the change to ±700 from the stored rating,
// reset to a new player's rating if the result is not sane, cap, count the game.
func settle(prev, next Rating, now time.Time) Rating {
	next.R = clamp(next.R, prev.R-MaxRatingDelta, prev.R+MaxRatingDelta)
	if !sane(next) {
		next.R, next.RD, next.Vol = DefaultR, DefaultRD, DefaultVol
	}
	next = capped(next)
	next.Games = prev.Games + 1
	next.LastRated = now
	return next
}

// capped is lila GlickoExt.cap: rating ≥ 400, RD in [45, 500], volatility ≤ 0.1.
func capped(r Rating) Rating {
	r.R = max(r.R, MinR)
	r.RD = clamp(r.RD, MinRD, MaxRD)
	r.Vol = min(r.Vol, MaxVol)
	return r
}

// sane is lila GlickoExt.sanityCheck.
func sane(r Rating) bool {
	return r.R > 0 && r.R < sanityMaxR && r.RD > 0 && r.RD < sanityMaxRD &&
		r.Vol > 0 && r.Vol < MaxVol*sanityMaxVolMul
}

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Speed is a lichess speed category.
type Speed string

const (
	Bullet    Speed = "bullet"
	Blitz     Speed = "blitz"
	Rapid     Speed = "rapid"
	Classical Speed = "classical"
)

// SpeedOf classifies a time control by lichess's estimate, base + 40 × increment seconds
// (scalachess core/src/main/scala/Speed.scala byTime): < 180 bullet (lichess's ultrabullet,
// < 30, is bullet here), < 480 blitz, < 1500 rapid, otherwise classical (lichess's
// correspondence range, ≥ 21600, is classical here). Negative inputs count as 0.
func SpeedOf(baseSeconds, incSeconds int) Speed {
	est := int64(max(baseSeconds, 0)) + 40*int64(max(incSeconds, 0))
	switch {
	case est < 180:
		return Bullet
	case est < 480:
		return Blitz
	case est < 1500:
		return Rapid
	default:
		return Classical
	}
}
