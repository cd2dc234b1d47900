//go:build race

package rules

// raceEnabled: the race detector slows move generation ~7x, so the perft
// test runs reduced depths (see perft_test.go).
const raceEnabled = true
