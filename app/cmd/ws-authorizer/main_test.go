package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/lambdatest"
	"chessplatform/app/internal/transport/apigw/wsauth"
)

const hexKey = "3031323334353637383961626364656630313233343536373839616263646566"

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSetup(t *testing.T) {
	out, err := os.CreateTemp(t.TempDir(), "log")
	require.NoError(t, err)
	a, err := setup(context.Background(), env(map[string]string{"TOKEN_KEY": hexKey, "LOG_LEVEL": "warn"}), out)
	require.NoError(t, err)
	s, err := authn.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	tok, err := s.Sign(authn.Claims{PlayerID: "p1", Name: "alice", ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	var ev wsauth.Event
	ev.Type, ev.MethodArn = "REQUEST", "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$connect"
	ev.QueryStringParameters = map[string]string{"token": tok}
	resp, err := a.Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, "p1", resp.PrincipalID)

	for name, m := range map[string]map[string]string{
		"no keys":       {},
		"bad log level": {"TOKEN_KEY": hexKey, "LOG_LEVEL": "loud"},
		"bad key":       {"TOKEN_KEY": "00"},
	} {
		_, err := setup(context.Background(), env(m), out)
		assert.Error(t, err, name)
	}
}

// TestBuildAuthorizer runs `make build-authorizer` and checks the artifact Lambda's
// provided.al2023 runtime needs: a zip with one executable named bootstrap, a static arm64
// Linux binary built with lambda.norpc.
func TestBuildAuthorizer(t *testing.T) {
	lambdatest.RequireBuild(t, "../../..", "build-authorizer", "ws-authorizer.zip", "chessplatform/app/cmd/ws-authorizer")
}
