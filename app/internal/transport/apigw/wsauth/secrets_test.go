package wsauth_test

import (
	"context"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/transport/apigw/wsauth"
)

func motoSecrets(t *testing.T) *secretsmanager.Client {
	t.Helper()
	m := testenv.MotoT(t)
	return secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(m.Endpoint),
	})
}

// TestSecretKeysFromMoto reads the token keys from Secrets Manager (moto_server), in both
// secret formats, through the same KeysFromEnv path the Lambda uses, and picks up a rotation
// after the refresh interval.
func TestSecretKeysFromMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ctx := context.Background()
	sm := motoSecrets(t)
	bare, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("chess/token-key-bare"), SecretString: aws.String(hex.EncodeToString(keyA)),
	})
	require.NoError(t, err)
	doc, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("chess/token-key-json"),
		SecretString: aws.String(`{"current":"` + hex.EncodeToString(keyB) + `","previous":["` + hex.EncodeToString(keyA) + `"]}`),
	})
	require.NoError(t, err)
	newClient := func(context.Context) (wsauth.SecretGetter, error) { return sm, nil }
	claims := authn.Claims{PlayerID: "p_bob", Name: "bob", ExpiresAt: time.Now().Add(time.Hour)}
	tokA, tokB := token(t, signer(t, keyA), claims), token(t, signer(t, keyB), claims)

	// Bare key: verifies tokens of key A only.
	ks, err := wsauth.KeysFromEnv(ctx, func(k string) string {
		return map[string]string{"TOKEN_KEY_SECRET_ARN": *bare.ARN}[k]
	}, newClient, quiet())
	require.NoError(t, err)
	a := wsauth.New(ks, quiet(), nil)
	ev, _ := fixture(t, "connect-query-token.json", tokA)
	resp, err := a.Handle(ctx, ev)
	require.NoError(t, err)
	assert.Equal(t, "p_bob", resp.PrincipalID)
	ev, _ = fixture(t, "connect-query-token.json", tokB)
	_, err = a.Handle(ctx, ev)
	assert.ErrorIs(t, err, wsauth.ErrUnauthorized)

	// JSON with a previous key: both verify.
	ks, err = wsauth.KeysFromEnv(ctx, func(k string) string {
		return map[string]string{"TOKEN_KEY_SECRET_ARN": *doc.ARN, "TOKEN_KEY_REFRESH": "1s"}[k]
	}, newClient, quiet())
	require.NoError(t, err)
	a = wsauth.New(ks, quiet(), nil)
	for _, tok := range []string{tokA, tokB} {
		ev, _ := fixture(t, "connect-query-token.json", tok)
		_, err := a.Handle(ctx, ev)
		assert.NoError(t, err)
	}

	// Rotation: drop key A from the secret; after the refresh interval it no longer verifies.
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: doc.ARN, SecretString: aws.String(`{"current":"` + hex.EncodeToString(keyB) + `"}`),
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ev, _ := fixture(t, "connect-query-token.json", tokA)
		_, err := a.Handle(ctx, ev)
		return errors.Is(err, wsauth.ErrUnauthorized)
	}, 5*time.Second, 100*time.Millisecond)

	// A secret that does not exist: the authorizer fails (500), it does not let anyone in.
	ks, err = wsauth.KeysFromEnv(ctx, func(k string) string {
		return map[string]string{"TOKEN_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"}[k]
	}, newClient, quiet())
	require.NoError(t, err)
	_, err = wsauth.New(ks, quiet(), nil).Handle(ctx, ev)
	require.Error(t, err)
	assert.NotErrorIs(t, err, wsauth.ErrUnauthorized)
}

type flakyGetter struct {
	calls atomic.Int32
	fail  atomic.Bool
	value string
}

func (f *flakyGetter) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	if f.fail.Load() {
		return nil, errors.New("throttled")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(f.value)}, nil
}

func TestSecretKeysCacheAndFailedRefresh(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixMilli())
	g := &flakyGetter{value: hex.EncodeToString(keyA)}
	ks := &wsauth.SecretKeys{Client: g, ARN: "arn:x", Refresh: time.Minute, Log: quiet(), Now: func() time.Time { return time.UnixMilli(now.Load()) }}
	ctx := context.Background()
	s1, err := ks.Signer(ctx)
	require.NoError(t, err)
	_, err = ks.Signer(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(1), g.calls.Load(), "cached within the refresh interval")

	g.fail.Store(true)
	now.Add(2 * time.Minute.Milliseconds())
	s2, err := ks.Signer(ctx)
	require.NoError(t, err, "a failed refresh keeps serving the cached keys")
	assert.Same(t, s1, s2)
	_, _ = ks.Signer(ctx)
	assert.Equal(t, int32(2), g.calls.Load(), "a failed refresh is retried after another interval, not on every request")

	// With nothing cached, a failure is an error.
	empty := &wsauth.SecretKeys{Client: g, ARN: "arn:x", Refresh: time.Minute}
	_, err = empty.Signer(ctx)
	assert.Error(t, err)
}
