//go:build race

package integration

// testRace: this test binary runs under the race detector (go test -race, as `make test` does),
// so the server binary is built with it too unless CHESS_SERVER_RACE=0.
const testRace = true
