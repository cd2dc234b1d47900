package authn

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	keyA = bytes.Repeat([]byte{0xA1}, 32)
	keyB = bytes.Repeat([]byte{0xB2}, 48)
	keyC = bytes.Repeat([]byte{0xC3}, 64)

	issued = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
)

// newTestSigner returns a signer whose issued-at clock is fixed at issued.
func newTestSigner(t testing.TB, current []byte, previous ...[]byte) *Signer {
	t.Helper()
	s, err := NewSigner(current, previous...)
	require.NoError(t, err)
	s.now = func() time.Time { return issued }
	return s
}

func claims() Claims {
	return Claims{PlayerID: "p_42", Name: "alice", ExpiresAt: issued.Add(24 * time.Hour)}
}

// signRaw signs arbitrary payload bytes with s's current key, to build validly signed
// tokens that Sign would never produce.
func signRaw(s *Signer, body []byte) string {
	part := b64.EncodeToString(body)
	return part + "." + b64.EncodeToString(mac(s.current.secret, part))
}

func rawPayload(s *Signer, edit func(map[string]any)) []byte {
	m := map[string]any{"v": 1, "kid": s.current.id, "sub": "p_42", "name": "alice",
		"iat": issued.Unix(), "exp": issued.Add(time.Hour).Unix()}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func TestNewSignerKeys(t *testing.T) {
	_, err := NewSigner(nil)
	assert.Error(t, err)
	_, err = NewSigner(keyA[:31])
	assert.ErrorContains(t, err, "current key is 31 bytes")
	_, err = NewSigner(keyA, keyB, keyC[:10])
	assert.ErrorContains(t, err, "previous key 2 is 10 bytes")
	_, err = NewSigner(keyA[:32])
	assert.NoError(t, err)
	// Listing the current key again among the previous ones is harmless.
	_, err = NewSigner(keyA, keyA, keyB)
	assert.NoError(t, err)

	// The signer keeps its own copy of the key.
	k := bytes.Clone(keyA)
	s := newTestSigner(t, k)
	tok, err := s.Sign(claims())
	require.NoError(t, err)
	k[0] ^= 0xFF
	_, err = s.Verify(tok, issued)
	assert.NoError(t, err)
}

func TestRoundTrip(t *testing.T) {
	s := newTestSigner(t, keyA)
	for _, c := range []Claims{
		claims(),
		{PlayerID: "g_9f2", Name: "Guest 9f2", Guest: true, ExpiresAt: issued.Add(time.Hour)},
		{PlayerID: "p_ü", Name: "Ünïcødé ♞ \"quoted\" <tag>", ExpiresAt: issued.Add(time.Second)},
		{PlayerID: "p_1", ExpiresAt: issued.AddDate(1, 0, 0)},
	} {
		tok, err := s.Sign(c)
		require.NoError(t, err)
		assert.Equal(t, 1, strings.Count(tok, "."))
		assert.Empty(t, strings.Trim(tok, tokenAlphabet+"."), "URL-safe")
		got, err := s.Verify(tok, issued)
		require.NoError(t, err)
		want := c
		want.IssuedAt = issued
		want.ExpiresAt = c.ExpiresAt.UTC()
		assert.Equal(t, want, got)
	}
}

func TestSignRejects(t *testing.T) {
	s := newTestSigner(t, keyA)
	tests := []struct {
		name string
		c    Claims
	}{
		{"empty player id", Claims{Name: "x", ExpiresAt: issued.Add(time.Hour)}},
		{"no expiry", Claims{PlayerID: "p"}},
		{"expiry in the past", Claims{PlayerID: "p", ExpiresAt: issued.Add(-time.Second)}},
		{"expiry now", Claims{PlayerID: "p", ExpiresAt: issued}},
		// Truncated to the second, 0.9 s ahead is "now".
		{"expiry within the second", Claims{PlayerID: "p", ExpiresAt: issued.Add(900 * time.Millisecond)}},
		{"invalid UTF-8 name", Claims{PlayerID: "p", Name: "a\xffb", ExpiresAt: issued.Add(time.Hour)}},
		{"long player id", Claims{PlayerID: strings.Repeat("p", maxClaimLen+1), ExpiresAt: issued.Add(time.Hour)}},
		{"long name", Claims{PlayerID: "p", Name: strings.Repeat("n", maxClaimLen+1), ExpiresAt: issued.Add(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := s.Sign(tt.c)
			assert.Error(t, err)
			assert.Empty(t, tok)
		})
	}
}

func TestTamper(t *testing.T) {
	s := newTestSigner(t, keyA)
	tok, err := s.Sign(claims())
	require.NoError(t, err)
	part, sig, _ := strings.Cut(tok, ".")
	other, err := s.Sign(Claims{PlayerID: "p_43", Name: "bob", ExpiresAt: issued.Add(time.Hour)})
	require.NoError(t, err)
	otherPart, otherSig, _ := strings.Cut(other, ".")

	body, err := b64.DecodeString(part)
	require.NoError(t, err)
	reencode := func(from, to string) string {
		require.Contains(t, string(body), from)
		return b64.EncodeToString([]byte(strings.Replace(string(body), from, to, 1))) + "." + sig
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"other player id", reencode(`"sub":"p_42"`, `"sub":"p_43"`), ErrBadSignature},
		{"other name", reencode(`"name":"alice"`, `"name":"admin"`), ErrBadSignature},
		{"guest flag added", reencode(`"name":"alice"`, `"name":"alice","guest":true`), ErrBadSignature},
		{"later expiry", reencode(`"exp":`, `"exp":9`), ErrBadSignature},
		{"whitespace added", reencode(`{`, `{ `), ErrBadSignature},
		{"payload first char", flip(part, 0) + "." + sig, nil}, // may break JSON or MAC
		{"mac first char", part + "." + flip(sig, 0), ErrBadSignature},
		{"mac last char", part + "." + flip(sig, len(sig)-1), nil}, // may break canonical base64 or MAC
		{"payload of another token", otherPart + "." + sig, ErrBadSignature},
		{"mac of another token", part + "." + otherSig, ErrBadSignature},
		{"mac truncated", part + "." + sig[:len(sig)-2], ErrMalformed},
		{"mac extended", part + "." + sig + "AAAA", ErrMalformed},
		{"third part", tok + ".x", ErrMalformed},
		{"mac removed", part + ".", ErrMalformed},
		{"payload removed", "." + sig, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Verify(tt.token, issued)
			require.Error(t, err)
			assert.Equal(t, Claims{}, got)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			} else {
				assert.True(t, errors.Is(err, ErrBadSignature) || errors.Is(err, ErrMalformed), "%v", err)
			}
		})
	}
}

func TestWrongKey(t *testing.T) {
	a, b := newTestSigner(t, keyA), newTestSigner(t, keyB)
	tok, err := a.Sign(claims())
	require.NoError(t, err)
	_, err = b.Verify(tok, issued)
	assert.ErrorIs(t, err, ErrBadSignature)
	assert.ErrorContains(t, err, "unknown key id")

	// A payload naming b's key id but MACed with a's key.
	forged := signRaw(a, rawPayload(a, func(m map[string]any) { m["kid"] = b.current.id }))
	_, err = b.Verify(forged, issued)
	assert.ErrorIs(t, err, ErrBadSignature)
	assert.ErrorContains(t, err, "mac mismatch")
}

func TestRotation(t *testing.T) {
	old := newTestSigner(t, keyA)
	rotated := newTestSigner(t, keyB, keyA)
	twice := newTestSigner(t, keyC, keyB, keyA)
	dropped := newTestSigner(t, keyB)

	oldTok, err := old.Sign(claims())
	require.NoError(t, err)
	newTok, err := rotated.Sign(claims())
	require.NoError(t, err)
	assert.NotEqual(t, oldTok, newTok)

	for name, tc := range map[string]struct {
		s     *Signer
		token string
		ok    bool
	}{
		"rotated verifies old":         {rotated, oldTok, true},
		"rotated verifies new":         {rotated, newTok, true},
		"rotated twice verifies both":  {twice, oldTok, true},
		"rotated twice verifies new":   {twice, newTok, true},
		"old key dropped":              {dropped, oldTok, false},
		"dropped verifies new":         {dropped, newTok, true},
		"old signer rejects new token": {old, newTok, false},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := tc.s.Verify(tc.token, issued)
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, "p_42", c.PlayerID)
			} else {
				assert.ErrorIs(t, err, ErrBadSignature)
			}
		})
	}

	// New tokens are signed with the current key only: the previous signer cannot read them.
	p, err := decodePayload(mustDecode(t, strings.Split(newTok, ".")[0]))
	require.NoError(t, err)
	assert.Equal(t, keyID(keyB), p.KeyID)
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestExpiryBoundary(t *testing.T) {
	s := newTestSigner(t, keyA)
	exp := issued.Add(time.Hour)
	// Sub-second expiry is truncated: the token expires at exp, not 700 ms later.
	tok, err := s.Sign(Claims{PlayerID: "p", ExpiresAt: exp.Add(700 * time.Millisecond)})
	require.NoError(t, err)

	c, err := s.Verify(tok, exp.Add(-time.Nanosecond))
	require.NoError(t, err)
	assert.Equal(t, exp, c.ExpiresAt)

	for _, at := range []time.Time{exp, exp.Add(time.Nanosecond), exp.Add(time.Hour)} {
		got, err := s.Verify(tok, at)
		assert.ErrorIs(t, err, ErrExpired, "at %v", at)
		assert.Equal(t, Claims{}, got)
	}
	// Any time zone: the instant is what counts.
	_, err = s.Verify(tok, exp.In(time.FixedZone("x", -5*3600)))
	assert.ErrorIs(t, err, ErrExpired)
}

func TestMalformed(t *testing.T) {
	s := newTestSigner(t, keyA)
	good, err := s.Sign(claims())
	require.NoError(t, err)
	part, sig, _ := strings.Cut(good, ".")
	validMAC := "." + sig

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrMalformed},
		{"dot only", ".", ErrMalformed},
		{"no dot", part, ErrMalformed},
		{"three parts", part + "." + sig + "." + sig, ErrMalformed},
		{"too long", strings.Repeat("A", MaxTokenLen) + validMAC, ErrMalformed},
		{"padding", part + "=" + validMAC, ErrMalformed},
		{"standard base64 chars", strings.ReplaceAll(part, "-", "+") + "+/" + validMAC, ErrMalformed},
		{"space", part + " " + validMAC, ErrMalformed},
		{"newline inside", part[:5] + "\n" + part[5:] + validMAC, ErrMalformed},
		{"percent-encoded", part + "%2E" + sig, ErrMalformed},
		// The MAC's last character carries 4 bits and 2 zero padding bits; setting a
		// padding bit gives a second encoding of the same MAC, which must not verify.
		{"non-canonical base64", part + "." + sig[:len(sig)-1] + nonCanonical(sig[len(sig)-1]), ErrMalformed},
		{"mac 31 bytes", part + "." + b64.EncodeToString(make([]byte, 31)), ErrMalformed},
		{"mac 33 bytes", part + "." + b64.EncodeToString(make([]byte, 33)), ErrMalformed},
		{"payload not JSON", b64.EncodeToString([]byte("hello")) + validMAC, ErrMalformed},
		{"payload JSON array", b64.EncodeToString([]byte(`[1,2]`)) + validMAC, ErrMalformed},
		{"payload JSON string", b64.EncodeToString([]byte(`"sub"`)) + validMAC, ErrMalformed},
		{"payload null", b64.EncodeToString([]byte(`null`)) + validMAC, ErrMalformed},
		{"payload wrong types", b64.EncodeToString([]byte(`{"v":"1","sub":1}`)) + validMAC, ErrMalformed},
		// Validly signed payloads that Sign never produces:
		{"alg field", signRaw(s, rawPayload(s, func(m map[string]any) { m["alg"] = "none" })), ErrMalformed},
		{"unknown field", signRaw(s, rawPayload(s, func(m map[string]any) { m["admin"] = true })), ErrMalformed},
		{"trailing garbage", signRaw(s, append(rawPayload(s, nil), "garbage"...)), ErrMalformed},
		{"second object", signRaw(s, append(rawPayload(s, nil), `{"v":1}`...)), ErrMalformed},
		{"version 2", signRaw(s, rawPayload(s, func(m map[string]any) { m["v"] = 2 })), ErrMalformed},
		{"no version", signRaw(s, rawPayload(s, func(m map[string]any) { delete(m, "v") })), ErrMalformed},
		{"empty subject", signRaw(s, rawPayload(s, func(m map[string]any) { m["sub"] = "" })), ErrMalformed},
		{"no expiry", signRaw(s, rawPayload(s, func(m map[string]any) { delete(m, "exp") })), ErrMalformed},
		{"issued after expiry", signRaw(s, rawPayload(s, func(m map[string]any) { m["iat"] = issued.Add(2 * time.Hour).Unix() })), ErrMalformed},
		{"fractional expiry", signRaw(s, rawPayload(s, func(m map[string]any) { m["exp"] = 1.5e9 + 0.5 })), ErrMalformed},
		{"unknown key id", signRaw(s, rawPayload(s, func(m map[string]any) { m["kid"] = "AAAAAAAA" })), ErrBadSignature},
		{"missing key id", signRaw(s, rawPayload(s, func(m map[string]any) { delete(m, "kid") })), ErrBadSignature},
	}
	require.GreaterOrEqual(t, len(tests), 10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Verify(tt.token, issued)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, Claims{}, got)
		})
	}
	// The same construction without the defect verifies: the table tests the defect.
	_, err = s.Verify(signRaw(s, rawPayload(s, nil)), issued)
	require.NoError(t, err)
}

// nonCanonical returns the base64url character that differs from c only in the lowest
// bit, which the last character of a 32-byte encoding uses as padding.
func nonCanonical(c byte) string {
	i := strings.IndexByte(tokenAlphabet, c)
	return string(tokenAlphabet[i|1])
}

func TestConcurrentUse(t *testing.T) {
	s := newTestSigner(t, keyB, keyA)
	old := newTestSigner(t, keyA)
	oldTok, err := old.Sign(claims())
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				tok, err := s.Sign(claims())
				if !assert.NoError(t, err) {
					return
				}
				_, err = s.Verify(tok, issued)
				assert.NoError(t, err)
				_, err = s.Verify(oldTok, issued)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}

func FuzzVerify(f *testing.F) {
	s := newTestSigner(f, keyB, keyA)
	old := newTestSigner(f, keyA)
	valid := map[string]bool{}
	for _, c := range []Claims{claims(), {PlayerID: "g_1", Name: "guest", Guest: true, ExpiresAt: issued.Add(time.Hour)}} {
		for _, signer := range []*Signer{s, old} {
			tok, err := signer.Sign(c)
			require.NoError(f, err)
			valid[tok] = true
			f.Add(tok)
			part, sig, _ := strings.Cut(tok, ".")
			f.Add(part + "." + sig[:10])
			f.Add(part + "=." + sig)
		}
	}
	f.Add("")
	f.Add(".")
	f.Add("e30.AAAA")
	f.Add(signRaw(s, []byte(`{"v":1,"kid":"x","sub":"a","iat":1,"exp":2}junk`)))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token, issued)
		if err == nil {
			// Nothing but a token we signed can verify: no alternative encodings exist.
			if !valid[token] {
				t.Fatalf("unsigned token verified: %q → %+v", token, c)
			}
			return
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrExpired) {
			t.Fatalf("error %v wraps none of the sentinels", err)
		}
		if c != (Claims{}) {
			t.Fatalf("claims returned with error: %+v", c)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	s := newTestSigner(b, keyA)
	tok, err := s.Sign(claims())
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok, issued); err != nil {
			b.Fatal(err)
		}
	}
}
