package apigw

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestDeriveSigningKey: the AWS General Reference's example (secret
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830, us-east-1, iam).
func TestDeriveSigningKey(t *testing.T) {
	k := deriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
	assert.Equal(t, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9", hex.EncodeToString(k))
}

// TestKeyCachePerDayAndSecret: the key is derived once per day and secret, not per request.
func TestKeyCachePerDayAndSecret(t *testing.T) {
	c := keyCache{region: "us-east-1", service: "execute-api"}
	a := c.get("20261206", "s1")
	first := c.cur.Load()
	b := c.get("20261206", "s1")
	assert.Equal(t, a, b)
	assert.Same(t, first, c.cur.Load(), "same day and secret: no new derivation")
	c.get("20261207", "s1")
	assert.NotSame(t, first, c.cur.Load(), "a new day derives a new key")
	next := c.cur.Load()
	c.get("20261207", "s2")
	assert.NotSame(t, next, c.cur.Load(), "rotated credentials derive a new key")
	assert.Equal(t, deriveSigningKey("s2", "20261207", "us-east-1", "execute-api"), c.get("20261207", "s2"))
}

func TestAppendEscaped(t *testing.T) {
	assert.Equal(t, "/ws/%40connections/L0SM9cOFvHcCIhw%3D", string(appendEscaped(nil, "/ws/@connections/L0SM9cOFvHcCIhw=", true)))
	assert.Equal(t, "a%2Fb%2Bc", string(appendEscaped(nil, "a/b+c", false)))
}

// TestStampCache: the X-Amz-Date of a second is formatted once and changes with the second.
func TestStampCache(t *testing.T) {
	var c stampCache
	t0 := time.Date(2026, 12, 6, 23, 59, 59, 100, time.UTC)
	s, d := c.get(t0)
	assert.Equal(t, "20261206T235959Z", s)
	assert.Equal(t, "20261206", d)
	e := c.cur.Load()
	s, _ = c.get(t0.Add(800 * time.Millisecond))
	assert.Equal(t, "20261206T235959Z", s)
	assert.Same(t, e, c.cur.Load(), "same second: cached")
	s, d = c.get(t0.Add(time.Second))
	assert.Equal(t, "20261207T000000Z", s)
	assert.Equal(t, "20261207", d)
	s, _ = c.get(time.Date(2026, 12, 7, 1, 0, 0, 0, time.FixedZone("CET", 3600)))
	assert.Equal(t, "20261207T000000Z", s, "always UTC")
}

// BenchmarkAmzDate: formatting X-Amz-Date per request against the per-second cache.
func BenchmarkAmzDate(b *testing.B) {
	now := time.Now()
	b.Run("format", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = amzDate(now)
		}
	})
	b.Run("cached", func(b *testing.B) {
		var c stampCache
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = c.get(now)
		}
	})
}
