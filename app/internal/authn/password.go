package authn

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Password hashing: argon2id in the PHC string format
//
//	$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
//
// with unpadded standard base64 (the PHC convention). New hashes use OWASP's first
// argon2id configuration (Password Storage Cheat Sheet): m = 19 MiB, t = 2, p = 1, a
// random 16-byte salt and a 32-byte key. CheckPassword reads the parameters from the
// stored string, so hashes made with older parameters keep working; NeedsRehash tells the
// login path when to upgrade them.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32

	// MaxPasswordLen bounds the work per hash; longer input is rejected.
	MaxPasswordLen = 1024

	// Bounds on parameters read back from a stored hash: they guard against a corrupted
	// or hostile row making every login allocate gigabytes or loop for minutes.
	maxMemoryKiB = 256 * 1024
	maxTime      = 64
	maxThreads   = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128

	phcAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

var phcB64 = base64.RawStdEncoding.Strict()

// Password errors.
var (
	ErrEmptyPassword   = errors.New("authn: empty password")
	ErrPasswordTooLong = fmt.Errorf("authn: password longer than %d bytes", MaxPasswordLen)
	ErrMalformedHash   = errors.New("authn: malformed password hash")
)

// argonParams are the parameters of one stored hash.
type argonParams struct {
	memoryKiB, time uint32
	threads         uint8
	salt, key       []byte
}

// HashPassword hashes pw with argon2id and returns the PHC string.
func HashPassword(pw string) (string, error) {
	switch {
	case pw == "":
		return "", ErrEmptyPassword
	case len(pw) > MaxPasswordLen:
		return "", ErrPasswordTooLong
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("authn: read salt: %w", err)
	}
	p := argonParams{memoryKiB: argonMemoryKiB, time: argonTime, threads: argonThreads, salt: salt}
	p.key = argon2.IDKey([]byte(pw), salt, p.time, p.memoryKiB, p.threads, argonKeyLen)
	return p.String(), nil
}

// String is the PHC encoding.
func (p argonParams) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.memoryKiB, p.time, p.threads, phcB64.EncodeToString(p.salt), phcB64.EncodeToString(p.key))
}

// CheckPassword reports whether pw matches the PHC string hash. A malformed hash is an
// error wrapping ErrMalformedHash; a wrong password is (false, nil). The comparison is
// constant-time.
func CheckPassword(hash, pw string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordLen {
		return false, nil // HashPassword never accepted it, so it cannot match
	}
	got := argon2.IDKey([]byte(pw), p.salt, p.time, p.memoryKiB, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(got, p.key) == 1, nil
}

// NeedsRehash reports whether hash was made with parameters other than the current ones,
// so that a successful login can store a fresh hash.
func NeedsRehash(hash string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	return p.memoryKiB != argonMemoryKiB || p.time != argonTime || p.threads != argonThreads ||
		len(p.salt) != argonSaltLen || len(p.key) != argonKeyLen, nil
}

// parsePHC parses and bounds-checks an argon2id PHC string.
func parsePHC(hash string) (argonParams, error) {
	var p argonParams
	bad := func(why string) (argonParams, error) {
		return argonParams{}, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if len(hash) > 512 {
		return bad("too long")
	}
	f := strings.Split(hash, "$")
	if len(f) != 6 || f[0] != "" {
		return bad("want $argon2id$v=19$m=..,t=..,p=..$salt$hash")
	}
	if f[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version")
	}
	kv := strings.Split(f[3], ",")
	if len(kv) != 3 {
		return bad("want m, t and p parameters")
	}
	var err error
	if p.memoryKiB, err = param(kv[0], "m=", 1, maxMemoryKiB); err != nil {
		return bad(err.Error())
	}
	if p.time, err = param(kv[1], "t=", 1, maxTime); err != nil {
		return bad(err.Error())
	}
	threads, err := param(kv[2], "p=", 1, maxThreads)
	if err != nil {
		return bad(err.Error())
	}
	p.threads = uint8(threads)
	if p.memoryKiB < 8*threads {
		return bad("memory below 8 KiB per lane")
	}
	if p.salt, err = decodePHC(f[4], minSaltLen, maxSaltLen); err != nil {
		return bad("salt: " + err.Error())
	}
	if p.key, err = decodePHC(f[5], minKeyLen, maxKeyLen); err != nil {
		return bad("hash: " + err.Error())
	}
	return p, nil
}

// param parses "<prefix><decimal>" with a canonical decimal (no sign, no leading zero)
// in [lo, hi].
func param(s, prefix string, lo, hi uint32) (uint32, error) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, fmt.Errorf("want %s parameter", strings.TrimSuffix(prefix, "="))
	}
	if digits == "" || len(digits) > 10 || strings.Trim(digits, "0123456789") != "" ||
		(len(digits) > 1 && digits[0] == '0') {
		return 0, fmt.Errorf("parameter %q is not a canonical number", s)
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || n < uint64(lo) || n > uint64(hi) {
		return 0, fmt.Errorf("parameter %q outside [%d, %d]", s, lo, hi)
	}
	return uint32(n), nil
}

func decodePHC(s string, minLen, maxLen int) ([]byte, error) {
	if strings.Trim(s, phcAlphabet) != "" {
		return nil, errors.New("character outside base64")
	}
	b, err := phcB64.DecodeString(s)
	if err != nil {
		return nil, errors.New("bad base64")
	}
	if len(b) < minLen || len(b) > maxLen {
		return nil, fmt.Errorf("length %d outside [%d, %d]", len(b), minLen, maxLen)
	}
	return b, nil
}
