package authn

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKey(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef")
	for name, s := range map[string]string{
		"hex":        hex.EncodeToString(raw),
		"std":        base64.StdEncoding.EncodeToString(raw),
		"raw std":    base64.RawStdEncoding.EncodeToString(raw),
		"url":        base64.URLEncoding.EncodeToString(raw),
		"whitespace": "  " + hex.EncodeToString(raw) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseKey(s)
			require.NoError(t, err)
			assert.Equal(t, raw, got)
		})
	}
	for name, s := range map[string]string{
		"empty":     "",
		"short hex": hex.EncodeToString(raw[:16]),
		"garbage":   "not a key!!",
		"short b64": base64.StdEncoding.EncodeToString(raw[:31]),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKey(s)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), "key"), err.Error())
		})
	}
}
