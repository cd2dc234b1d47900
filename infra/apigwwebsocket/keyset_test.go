package apigwwebsocket_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/apigwwebsocket"
)

// The session-key secret starts as the key-set document the backend, the authorizer and the
// rotation Lambda read: every field present (ECS injects each), two different keys of at least
// 32 bytes, previous repeating current.
func TestTokenKeySecretIsAKeySet(t *testing.T) {
	m, b := build(t, nil)
	var doc string
	for _, v := range m.ByType("aws:secretsmanager/secretVersion:SecretVersion") {
		if id, _ := v.Str("secretId"); id == b.tokenArn {
			doc, _ = v.Str("secretString")
		}
	}
	require.NotEmpty(t, doc, "the token key secret has a version")
	var ks apigwwebsocket.KeySet
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&ks))
	assert.NotEqual(t, ks.Current, ks.Next)
	assert.Equal(t, ks.Current, ks.Previous)
	for _, k := range []string{ks.Current, ks.Next} {
		raw, err := base64.StdEncoding.DecodeString(k)
		require.NoError(t, err, "generated keys are alphanumeric, valid base64 of a multiple of 4 characters")
		assert.GreaterOrEqual(t, len(raw), 32)
	}
}
