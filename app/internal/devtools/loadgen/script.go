package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"chessplatform/app/internal/rules"
)

// Script is one pre-generated game: legal moves chosen at random by a seeded generator.
type Script struct {
	Moves []string
	// Ending is the automatic ending the last move reaches (checkmate, stalemate, ...), "" when
	// the script stops at the length limit and the side to move resigns instead.
	Ending string
}

// Library generates n scripts of at most maxPlies plies with rules.Board: script i uses a PCG
// seeded with (seed, i), so a seed always yields the same games. Generating them before the run
// keeps move generation off the measured path (the generator shares the CPU with the server).
func Library(seed uint64, n, maxPlies int) ([]Script, error) {
	if n < 1 || maxPlies < 1 {
		return nil, fmt.Errorf("library of %d scripts of %d plies: both must be positive", n, maxPlies)
	}
	out := make([]Script, n)
	for i := range out {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		b, err := rules.Load(rules.StartState())
		if err != nil {
			return nil, fmt.Errorf("loading the start position: %w", err)
		}
		var s Script
		for len(s.Moves) < maxPlies {
			legal := b.LegalMoves()
			if len(legal) == 0 {
				return nil, fmt.Errorf("script %d: no legal move at ply %d without an ending (FEN %s)", i, len(s.Moves), b.FEN())
			}
			u := legal[rng.IntN(len(legal))]
			m, err := b.Play(u)
			if err != nil {
				return nil, fmt.Errorf("script %d: playing generated move %s: %w", i, u, err)
			}
			s.Moves = append(s.Moves, u)
			if m.Ending.Over() {
				s.Ending = m.Ending.Reason
				break
			}
		}
		out[i] = s
	}
	return out, nil
}

// Think draws think times from a lognormal distribution: median Median, shape Sigma (the
// standard deviation of the log). Human move times are roughly lognormal.
type Think struct {
	Median time.Duration
	Sigma  float64
}

// ThinkWithMean returns the lognormal of shape sigma whose mean is mean
// (mean = median·exp(σ²/2)), so an open-loop schedule offers the intended rate.
func ThinkWithMean(mean time.Duration, sigma float64) Think {
	return Think{Median: time.Duration(float64(mean) * math.Exp(-sigma*sigma/2)), Sigma: sigma}
}

// Draw returns one think time.
func (t Think) Draw(rng *rand.Rand) time.Duration {
	if t.Median <= 0 {
		return 0
	}
	return time.Duration(float64(t.Median) * math.Exp(t.Sigma*rng.NormFloat64()))
}
