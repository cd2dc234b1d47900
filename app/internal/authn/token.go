// Package authn issues and checks session tokens and hashes passwords. It is shared by the
// chess server and the API Gateway authorizer Lambda, so it depends only on the standard
// library and golang.org/x/crypto.
//
// Token format (no header, so there is no algorithm to negotiate or confuse):
//
//	base64url(payload JSON) "." base64url(HMAC-SHA256(key, "chess-session-v1\x00" + part 1))
//
// base64url is unpadded (RFC 4648 §5), so tokens are safe in a URL query. The payload is
// {"v":1,"kid":...,"sub":...,"name":...,"guest":true?,"iat":unix s,"exp":unix s}; kid
// names the key that signed it, which lets old keys keep verifying after a rotation.
package authn

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Verification errors; Verify wraps them with detail, test with errors.Is.
var (
	ErrMalformed    = errors.New("authn: malformed token")
	ErrBadSignature = errors.New("authn: bad token signature")
	ErrExpired      = errors.New("authn: token expired")
)

const (
	// MinKeyLen is the shortest accepted HMAC key, in bytes (the SHA-256 output size).
	MinKeyLen = 32
	// MaxTokenLen bounds the work Verify does on untrusted input.
	MaxTokenLen = 4096
	// maxClaimLen bounds PlayerID and Name so tokens stay small.
	maxClaimLen   = 256
	tokenVersion  = 1
	macContext    = "chess-session-v1\x00" // domain separation from any other use of the key
	kidContext    = "chess-session-kid\x00"
	kidBytes      = 6 // 8 base64url characters
	macLen        = sha256.Size
	tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// b64 is strict unpadded base64url: it rejects padding and non-zero trailing bits, so each
// byte string has exactly one encoding. Decoding still skips \r and \n, which is why
// Verify checks the alphabet first.
var b64 = base64.RawURLEncoding.Strict()

// Claims is what a session token asserts.
type Claims struct {
	PlayerID  string    `json:"sub"`
	Name      string    `json:"name"`
	Guest     bool      `json:"guest,omitempty"`
	IssuedAt  time.Time `json:"-"` // set by Verify; Sign uses the current time
	ExpiresAt time.Time `json:"-"` // whole seconds; Sign truncates
}

// payload is the signed JSON.
type payload struct {
	V     int    `json:"v"`
	KeyID string `json:"kid"`
	Sub   string `json:"sub"`
	Name  string `json:"name"`
	Guest bool   `json:"guest,omitempty"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

type signingKey struct {
	id     string
	secret []byte
}

// Signer signs with the current key and verifies with the current and previous keys.
// It is immutable after NewSigner and safe for concurrent use.
type Signer struct {
	current signingKey
	keys    map[string][]byte // key id → secret, current and previous
	now     func() time.Time  // issued-at source; time.Now outside tests
}

// NewSigner returns a Signer that signs with current and also accepts tokens signed with
// any of previous (key rotation). Every key must be at least MinKeyLen bytes.
func NewSigner(current []byte, previous ...[]byte) (*Signer, error) {
	s := &Signer{keys: make(map[string][]byte, 1+len(previous)), now: time.Now}
	for i, k := range append([][]byte{current}, previous...) {
		if len(k) < MinKeyLen {
			which := "current key"
			if i > 0 {
				which = fmt.Sprintf("previous key %d", i)
			}
			return nil, fmt.Errorf("authn: %s is %d bytes, need at least %d", which, len(k), MinKeyLen)
		}
		secret := bytes.Clone(k) // the caller may reuse its slice
		id := keyID(secret)
		if old, dup := s.keys[id]; dup {
			if !hmac.Equal(old, secret) {
				return nil, fmt.Errorf("authn: key id collision for %s", id)
			}
			continue // the same key listed twice
		}
		s.keys[id] = secret
		if i == 0 {
			s.current = signingKey{id: id, secret: secret}
		}
	}
	return s, nil
}

// keyID names a key by a short hash, so ids need no configuration and stay stable.
func keyID(secret []byte) string {
	h := sha256.New()
	h.Write([]byte(kidContext))
	h.Write(secret)
	return b64.EncodeToString(h.Sum(nil)[:kidBytes])
}

// Sign issues a token for c, valid until c.ExpiresAt truncated to the second.
func (s *Signer) Sign(c Claims) (string, error) {
	switch {
	case c.PlayerID == "":
		return "", errors.New("authn: sign: empty player id")
	case len(c.PlayerID) > maxClaimLen || len(c.Name) > maxClaimLen:
		return "", fmt.Errorf("authn: sign: player id or name longer than %d bytes", maxClaimLen)
	case !utf8.ValidString(c.PlayerID) || !utf8.ValidString(c.Name):
		// encoding/json would silently replace the invalid bytes.
		return "", errors.New("authn: sign: player id or name is not valid UTF-8")
	case c.ExpiresAt.IsZero():
		return "", errors.New("authn: sign: no expiry")
	}
	now := s.now()
	exp := c.ExpiresAt.Unix()
	if !time.Unix(exp, 0).After(now) {
		return "", fmt.Errorf("authn: sign: expiry %s is not in the future", c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	body, err := json.Marshal(payload{
		V: tokenVersion, KeyID: s.current.id,
		Sub: c.PlayerID, Name: c.Name, Guest: c.Guest,
		Iat: now.Unix(), Exp: exp,
	})
	if err != nil {
		return "", fmt.Errorf("authn: sign: encode payload: %w", err)
	}
	part := b64.EncodeToString(body)
	return part + "." + b64.EncodeToString(mac(s.current.secret, part)), nil
}

func mac(secret []byte, part string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(macContext))
	m.Write([]byte(part))
	return m.Sum(nil)
}

// Verify checks token at now and returns its claims. Errors wrap ErrMalformed (bad shape,
// encoding or JSON), ErrBadSignature (unknown key id or wrong MAC) or ErrExpired (now is at
// or after the expiry).
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	part, sig, err := split(token)
	if err != nil {
		return Claims{}, err
	}
	body, err := b64.DecodeString(part)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload encoding", ErrMalformed)
	}
	gotMAC, err := b64.DecodeString(sig)
	if err != nil || len(gotMAC) != macLen {
		return Claims{}, fmt.Errorf("%w: signature encoding", ErrMalformed)
	}
	p, err := decodePayload(body)
	if err != nil {
		return Claims{}, err
	}
	secret, ok := s.keys[p.KeyID]
	if !ok {
		return Claims{}, fmt.Errorf("%w: unknown key id", ErrBadSignature)
	}
	if !hmac.Equal(gotMAC, mac(secret, part)) {
		return Claims{}, fmt.Errorf("%w: mac mismatch", ErrBadSignature)
	}
	if p.V != tokenVersion || p.Sub == "" || p.Exp <= 0 || p.Iat <= 0 || p.Iat > p.Exp {
		return Claims{}, fmt.Errorf("%w: invalid claims", ErrMalformed)
	}
	exp := time.Unix(p.Exp, 0).UTC()
	if !now.Before(exp) {
		return Claims{}, fmt.Errorf("%w at %s", ErrExpired, exp.Format(time.RFC3339))
	}
	return Claims{
		PlayerID: p.Sub, Name: p.Name, Guest: p.Guest,
		IssuedAt: time.Unix(p.Iat, 0).UTC(), ExpiresAt: exp,
	}, nil
}

// split checks the token's length and alphabet and cuts it at its single dot.
func split(token string) (part, sig string, err error) {
	if len(token) == 0 || len(token) > MaxTokenLen {
		return "", "", fmt.Errorf("%w: length %d", ErrMalformed, len(token))
	}
	part, sig, ok := strings.Cut(token, ".")
	if !ok || part == "" || sig == "" {
		return "", "", fmt.Errorf("%w: want payload.signature", ErrMalformed)
	}
	for _, p := range [2]string{part, sig} {
		if strings.Trim(p, tokenAlphabet) != "" {
			return "", "", fmt.Errorf("%w: character outside base64url", ErrMalformed)
		}
	}
	return part, sig, nil
}

// decodePayload parses exactly one JSON object with only the known fields.
func decodePayload(body []byte) (payload, error) {
	var p payload
	if len(body) == 0 || body[0] != '{' {
		return p, fmt.Errorf("%w: payload is not a JSON object", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%w: payload JSON", ErrMalformed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return p, fmt.Errorf("%w: trailing data after payload", ErrMalformed)
	}
	return p, nil
}
