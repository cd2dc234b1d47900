package apigw

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
	"sync/atomic"
	"time"
)

// sigV4Algorithm and the other constants are SigV4's (AWS General Reference, "Signature
// Version 4 signing process").
const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	sigV4Terminator = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	// signedHeaders: the lean client signs exactly these (sorted, lower case); the session
	// token variant adds x-amz-security-token.
	signedHeadersPlain = "host;x-amz-date"
	signedHeadersToken = "host;x-amz-date;x-amz-security-token"
)

// signingKey is a derived SigV4 key for one day, region, service and secret.
type signingKey struct {
	date   string // yyyymmdd (UTC)
	secret string // the secret access key it was derived from
	key    []byte
}

// keyCache keeps the signing key of the current day: deriving it costs four HMACs, signing
// a request with it one more (plus the two hashes). The key changes at 00:00 UTC and when the
// credentials rotate (an ECS task role's do, every few hours).
type keyCache struct {
	region, service string
	cur             atomic.Pointer[signingKey]
}

func (c *keyCache) get(date, secret string) []byte {
	if k := c.cur.Load(); k != nil && k.date == date && k.secret == secret {
		return k.key
	}
	k := &signingKey{date: date, secret: secret, key: deriveSigningKey(secret, date, c.region, c.service)}
	c.cur.Store(k)
	return k.key
}

// deriveSigningKey is kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
// "aws4_request").
func deriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, sigV4Terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// hmacPool reuses the HMAC state of the signing key: hmac.New allocates two SHA-256 states
// and the padded key blocks, per request otherwise. A pooled entry is only reused for the same
// key.
type hmacPool struct{ p sync.Pool }

type pooledHMAC struct {
	key []byte
	h   hash.Hash
}

func (hp *hmacPool) sign(key []byte, data []byte, out []byte) []byte {
	e, _ := hp.p.Get().(*pooledHMAC)
	if e == nil || !hmac.Equal(e.key, key) {
		e = &pooledHMAC{key: key, h: hmac.New(sha256.New, key)}
	} else {
		e.h.Reset()
	}
	e.h.Write(data)
	out = e.h.Sum(out)
	hp.p.Put(e)
	return out
}

// sha256Hex appends the lower-case hex SHA-256 of b to dst.
func sha256Hex(dst []byte, b []byte) []byte {
	sum := sha256.Sum256(b)
	return hex.AppendEncode(dst, sum[:])
}

// amzDate formats t as X-Amz-Date and returns it with its date part (the scope's).
func amzDate(t time.Time) (stamp, date string) {
	stamp = t.UTC().Format(amzDateLayout)
	return stamp, stamp[:8]
}

// stampCache keeps the X-Amz-Date of the current second: formatting it was half of the
// cost of building a request in the saturated profile (docs/performance.md, phase 3).
type stampCache struct{ cur atomic.Pointer[stampEntry] }

type stampEntry struct {
	sec         int64
	stamp, date string
}

func (c *stampCache) get(t time.Time) (stamp, date string) {
	sec := t.Unix()
	if e := c.cur.Load(); e != nil && e.sec == sec {
		return e.stamp, e.date
	}
	stamp, date = amzDate(t)
	c.cur.Store(&stampEntry{sec: sec, stamp: stamp, date: date})
	return stamp, date
}

// noEscape marks the bytes SigV4 leaves unescaped in a URI: the unreserved characters of
// RFC 3986.
var noEscape = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

// appendEscaped appends s with every byte outside the unreserved set as %XX (upper-case hex);
// with keepSlash, '/' stays (paths).
func appendEscaped(dst []byte, s string, keepSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if noEscape[c] || (keepSlash && c == '/') {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}
