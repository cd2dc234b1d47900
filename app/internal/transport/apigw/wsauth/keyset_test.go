package wsauth_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/transport/apigw/wsauth"
)

// The rotated secret's key set: the authorizer accepts tokens of the current, the next (tasks
// started after the coming rotation sign with it) and the previous key, and nothing else.
func TestKeySetSecretAcceptsNextAndPrevious(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ctx := context.Background()
	sm := motoSecrets(t)
	keyC := []byte("22222222222222222222222222222222")
	keyD := []byte("33333333333333333333333333333333")
	doc := `{"current":"` + hex.EncodeToString(keyB) + `","next":"` + hex.EncodeToString(keyC) + `","previous":"` + hex.EncodeToString(keyA) + `"}`
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("chess/token-key-set"), SecretString: aws.String(doc)})
	require.NoError(t, err)
	ks, err := wsauth.KeysFromEnv(ctx, func(k string) string {
		return map[string]string{"TOKEN_KEY_SECRET_ARN": *out.ARN}[k]
	}, func(context.Context) (wsauth.SecretGetter, error) { return sm, nil }, quiet())
	require.NoError(t, err)
	a := wsauth.New(ks, quiet(), nil)
	claims := authn.Claims{PlayerID: "p_bob", Name: "bob", ExpiresAt: time.Now().Add(time.Hour)}
	for _, k := range [][]byte{keyA, keyB, keyC} {
		ev, _ := fixture(t, "connect-query-token.json", token(t, signer(t, k), claims))
		_, err := a.Handle(ctx, ev)
		assert.NoError(t, err, "key %s", k[:1])
	}
	ev, _ := fixture(t, "connect-query-token.json", token(t, signer(t, keyD), claims))
	_, err = a.Handle(ctx, ev)
	assert.ErrorIs(t, err, wsauth.ErrUnauthorized)
}
