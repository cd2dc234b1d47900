package authn

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ParseKey decodes a signing key given as hex or base64 (standard or URL, padded or not), as
// it comes from an environment variable or a secret; it must decode to at least MinKeyLen bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty key")
	}
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if b, err := dec(s); err == nil {
			if len(b) < MinKeyLen {
				return nil, fmt.Errorf("key decodes to %d bytes; at least %d are required", len(b), MinKeyLen)
			}
			return b, nil
		}
	}
	return nil, errors.New("key must be hex or base64 encoded")
}
