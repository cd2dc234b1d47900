package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/lambdatest"
	"chessplatform/app/internal/rotation"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSetupRejectsBadEnvironment(t *testing.T) {
	ac := aws.Config{Region: "us-east-1"}
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"nothing to rotate":         {map[string]string{}, "SESSION_KEY_SECRET_ARN"},
		"redis sans group":          {map[string]string{"REDIS_AUTH_SECRET_ARN": "arn:r"}, "REPLICATION_GROUP_ID"},
		"cluster only":              {map[string]string{"SESSION_KEY_SECRET_ARN": "arn:s", "ECS_CLUSTER": "c"}, "ECS_CLUSTER and ECS_SERVICE"},
		"operator sans web service": {map[string]string{"OPERATOR_SECRET_ARN": "arn:o", "ECS_CLUSTER": "c", "ECS_SERVICE": "b"}, "ECS_WEB_SERVICE"},
		"bad log level":             {map[string]string{"SESSION_KEY_SECRET_ARN": "arn:s", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := setup(env(c.env), ac, io.Discard)
			require.ErrorContains(t, err, c.want)
		})
	}
}

// The configured function rotates the session key through real Secrets Manager calls
// (moto_server) and refuses a secret it was not given.
func TestSetupRotatesTheConfiguredSecretOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	m := testenv.MotoT(t)
	ac := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(m.Endpoint)}
	sm := secretsmanager.NewFromConfig(ac)
	ctx := context.Background()
	doc := `{"current":"` + key(t) + `","next":"` + key(t) + `"}`
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("token-key"), SecretString: &doc})
	require.NoError(t, err)
	r, err := setup(env(map[string]string{"SESSION_KEY_SECRET_ARN": *out.ARN}), ac, io.Discard)
	require.NoError(t, err)
	tok := "11111111-2222-3333-4444-555555555555"
	for _, step := range []string{"createSecret", "setSecret", "testSecret", "finishSecret"} {
		require.NoError(t, r.Handle(ctx, rotation.Event{Step: step, SecretID: *out.ARN, Token: tok}), step)
	}
	got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: out.ARN, VersionStage: aws.String("AWSCURRENT")})
	require.NoError(t, err)
	assert.NotEqual(t, doc, *got.SecretString)
	require.ErrorContains(t, r.Handle(ctx, rotation.Event{Step: "createSecret", SecretID: "arn:other", Token: tok}), "not one this function rotates")
}

func key(t *testing.T) string {
	b := make([]byte, 48)
	_, err := rand.Read(b)
	require.NoError(t, err)
	k := base64.RawURLEncoding.EncodeToString(b)
	_, err = authn.ParseKey(k)
	require.NoError(t, err)
	return k
}

// TestBuildRotator runs `make build-rotator` and checks the artifact Lambda's provided.al2023
// runtime needs: a zip with one executable named bootstrap, a static arm64 Linux binary built
// with lambda.norpc.
func TestBuildRotator(t *testing.T) {
	lambdatest.RequireBuild(t, "../../..", "build-rotator", "secret-rotator.zip", "chessplatform/app/cmd/secret-rotator")
}
