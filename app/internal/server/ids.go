package server

import (
	"crypto/rand"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newID returns prefix + n random base62 characters from crypto/rand (ids are unguessable, so
// a game or challenge id leaks nothing about others).
func newID(prefix string, n int) string {
	b := make([]byte, n)
	// rand.Read never fails on supported platforms (Go 1.24+ panics instead of returning errors).
	_, _ = rand.Read(b)
	out := make([]byte, 0, len(prefix)+n)
	out = append(out, prefix...)
	for _, c := range b {
		// 62*4 = 248: reject-free mapping would bias slightly; the bias (<1%) is irrelevant for ids.
		out = append(out, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(out)
}

// NewPlayerID returns a fresh player id.
func NewPlayerID() string { return newID("p_", 12) }

func newGameID() string      { return newID("g_", 8) }
func newChallengeID() string { return newID("c_", 10) }
