package authn

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
)

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashPassword(t *testing.T) {
	const pw = "correct horse battery staple"
	h1, err := HashPassword(pw)
	require.NoError(t, err)
	assert.Regexp(t, phcPattern, h1) // 16-byte salt → 22 chars, 32-byte key → 43 chars
	h2, err := HashPassword(pw)
	require.NoError(t, err)
	assert.NotEqual(t, h1, h2, "random salt")

	ok, err := CheckPassword(h1, pw)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = CheckPassword(h2, pw)
	require.NoError(t, err)
	assert.True(t, ok)

	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", pw + " ", pw + "\x00"} {
		ok, err := CheckPassword(h1, wrong)
		require.NoError(t, err)
		assert.False(t, ok, "%q", wrong)
	}
	ok, err = CheckPassword(h1, strings.Repeat("x", MaxPasswordLen+1))
	require.NoError(t, err)
	assert.False(t, ok)

	rehash, err := NeedsRehash(h1)
	require.NoError(t, err)
	assert.False(t, rehash)
}

func TestHashPasswordRejects(t *testing.T) {
	_, err := HashPassword("")
	assert.ErrorIs(t, err, ErrEmptyPassword)
	_, err = HashPassword(strings.Repeat("x", MaxPasswordLen+1))
	assert.ErrorIs(t, err, ErrPasswordTooLong)
	h, err := HashPassword(strings.Repeat("ü", MaxPasswordLen/2)) // exactly the limit in bytes
	require.NoError(t, err)
	ok, err := CheckPassword(h, strings.Repeat("ü", MaxPasswordLen/2))
	require.NoError(t, err)
	assert.True(t, ok)
}

// Hashes made elsewhere or with older parameters: built directly with argon2.IDKey.
func TestCheckPasswordOlderParameters(t *testing.T) {
	tests := []struct {
		m, tm          uint32
		p              uint8
		saltLen, keyLn int
	}{
		{4096, 3, 1, 16, 32},
		{8192, 1, 2, 8, 16},
		{65536, 1, 4, 32, 64},
		{64, 1, 8, 16, 32}, // the smallest memory argon2 allows for 8 lanes
	}
	for _, tt := range tests {
		name := fmt.Sprintf("m=%d,t=%d,p=%d", tt.m, tt.tm, tt.p)
		t.Run(name, func(t *testing.T) {
			salt := []byte(strings.Repeat("s", tt.saltLen))
			key := argon2.IDKey([]byte("hunter2"), salt, tt.tm, tt.m, tt.p, uint32(tt.keyLn))
			enc := base64.RawStdEncoding
			hash := "$argon2id$v=19$" + name + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key)

			ok, err := CheckPassword(hash, "hunter2")
			require.NoError(t, err)
			assert.True(t, ok)
			ok, err = CheckPassword(hash, "hunter3")
			require.NoError(t, err)
			assert.False(t, ok)
			rehash, err := NeedsRehash(hash)
			require.NoError(t, err)
			assert.True(t, rehash)
		})
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	const salt, key = "c29tZXNhbHRzb21lc2FsdA", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE"
	good := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key
	_, err := CheckPassword(good, "x")
	require.NoError(t, err, "the base of the table must parse")

	tests := []struct{ name, hash string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"argon2d", strings.Replace(good, "argon2id", "argon2d", 1)},
		{"no leading dollar", good[1:]},
		{"trailing dollar", good + "$"},
		{"extra field", good + "$AAAA"},
		{"missing hash", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"version 16", strings.Replace(good, "v=19", "v=16", 1)},
		{"no version", strings.Replace(good, "$v=19", "", 1)},
		{"params reordered", strings.Replace(good, "m=19456,t=2,p=1", "t=2,m=19456,p=1", 1)},
		{"param missing", strings.Replace(good, ",p=1", "", 1)},
		{"param extra", strings.Replace(good, "p=1", "p=1,keyid=abc", 1)},
		{"param not a number", strings.Replace(good, "t=2", "t=two", 1)},
		{"negative param", strings.Replace(good, "t=2", "t=-2", 1)},
		{"plus sign", strings.Replace(good, "t=2", "t=+2", 1)},
		{"leading zero", strings.Replace(good, "t=2", "t=02", 1)},
		{"zero time", strings.Replace(good, "t=2", "t=0", 1)},
		{"zero lanes", strings.Replace(good, "p=1", "p=0", 1)},
		{"too many lanes", strings.Replace(good, "p=1", "p=255", 1)},
		{"memory too small for lanes", strings.Replace(good, "m=19456,t=2,p=1", "m=15,t=2,p=2", 1)},
		{"memory too large", strings.Replace(good, "m=19456", "m=4194304", 1)},
		{"memory overflow", strings.Replace(good, "m=19456", "m=99999999999", 1)},
		{"time too large", strings.Replace(good, "t=2", "t=1000000", 1)},
		{"salt padded", strings.Replace(good, salt, salt+"==", 1)},
		{"salt bad char", strings.Replace(good, salt, salt[:10]+"*"+salt[11:], 1)},
		{"salt url alphabet", strings.Replace(good, salt, salt[:10]+"-"+salt[11:], 1)},
		{"salt newline", strings.Replace(good, salt, salt[:10]+"\n"+salt[10:], 1)},
		{"salt too short", strings.Replace(good, salt, "c2FsdA", 1)},
		{"salt empty", strings.Replace(good, salt, "", 1)},
		{"hash too short", strings.Replace(good, key, "MDEyMzQ1Njc4OQ", 1)},
		{"hash too long", strings.Replace(good, key, strings.Repeat("A", 200), 1)},
		{"hash non-canonical", strings.Replace(good, key, key[:len(key)-1]+"F", 1)},
		{"very long", good + strings.Repeat("A", 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := CheckPassword(tt.hash, "x")
			assert.ErrorIs(t, err, ErrMalformedHash)
			assert.False(t, ok)
			_, err = NeedsRehash(tt.hash)
			assert.ErrorIs(t, err, ErrMalformedHash)
		})
	}
}

// Parsing never panics, and whatever parses re-encodes to exactly the same string
// (canonical numbers and base64), so there is one spelling per hash.
func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			if p.salt != nil || p.key != nil {
				t.Fatalf("partial result with error")
			}
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("re-encoded %q as %q", s, got)
		}
	})
}

func BenchmarkCheckPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery staple")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := CheckPassword(h, "correct horse battery staple"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
