//go:build !race

package integration

// testRace: this test binary runs without the race detector; the server binary is built
// without it too unless CHESS_SERVER_RACE=1.
const testRace = false
