package wsauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/transport/apigw/wsauth"
)

var (
	keyA = []byte("0123456789abcdef0123456789abcdef")
	keyB = []byte("fedcba9876543210fedcba9876543210")
)

func quiet() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func signer(t *testing.T, key []byte) *authn.Signer {
	t.Helper()
	s, err := authn.NewSigner(key)
	require.NoError(t, err)
	return s
}

func token(t *testing.T, s *authn.Signer, c authn.Claims) string {
	t.Helper()
	tok, err := s.Sign(c)
	require.NoError(t, err)
	return tok
}

// fixture reads a JSON event modelled on the API Gateway developer guide's WebSocket REQUEST
// authorizer input, with {{TOKEN}} replaced, and decodes it as the Lambda runtime would.
func fixture(t *testing.T, name, tok string) (wsauth.Event, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	b = []byte(strings.ReplaceAll(string(b), "{{TOKEN}}", tok))
	var ev wsauth.Event
	require.NoError(t, json.Unmarshal(b, &ev))
	return ev, b
}

func TestEventDecodesWebSocketFields(t *testing.T) {
	ev, _ := fixture(t, "connect-query-token.json", "tok")
	assert.Equal(t, "REQUEST", ev.Type)
	assert.Equal(t, "arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect", ev.MethodArn)
	assert.Equal(t, "tok", ev.QueryStringParameters["token"])
	assert.Equal(t, "L0SM9cOFvHcCIhw=", ev.RequestContext.ConnectionID)
	assert.Equal(t, "$connect", ev.RequestContext.RouteKey)
	assert.Equal(t, "CONNECT", ev.RequestContext.EventType)
	assert.Equal(t, int64(1674162806344), ev.RequestContext.ConnectedAt)
	assert.Equal(t, "203.0.113.7", ev.RequestContext.Identity.SourceIP)
}

func TestAuthorizer(t *testing.T) {
	now := time.Now()
	good := signer(t, keyA)
	claims := authn.Claims{PlayerID: "p_alice01", Name: "alice", ExpiresAt: now.Add(time.Hour)}
	guest := authn.Claims{PlayerID: "p_guest01", Name: "guest-0001", Guest: true, ExpiresAt: now.Add(time.Hour)}
	valid := token(t, good, claims)
	expiring := token(t, good, authn.Claims{PlayerID: "p_alice01", Name: "alice", ExpiresAt: now.Add(2 * time.Second)})
	forged := token(t, signer(t, keyB), claims)
	tampered := valid[:len(valid)-2] + "AA"
	if tampered == valid {
		tampered = valid[:len(valid)-2] + "BB"
	}

	tests := []struct {
		name    string
		fixture string
		token   string
		at      time.Time
		want    *authn.Claims // nil: refused with Unauthorized
	}{
		{"query token", "connect-query-token.json", valid, now, &claims},
		{"guest token", "connect-query-token.json", token(t, good, guest), now, &guest},
		{"subprotocol token", "connect-subprotocol-token.json", valid, now, &claims},
		{"no token", "connect-no-token.json", "", now, nil},
		{"empty query token", "connect-query-token.json", "", now, nil},
		{"expired token", "connect-query-token.json", expiring, now.Add(time.Minute), nil},
		{"signed with another key", "connect-query-token.json", forged, now, nil},
		{"tampered signature", "connect-query-token.json", tampered, now, nil},
		{"not a token", "connect-query-token.json", "hello.world", now, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := wsauth.New(wsauth.StaticKeys{S: good}, quiet(), func() time.Time { return tt.at })
			ev, _ := fixture(t, tt.fixture, tt.token)
			resp, err := a.Handle(context.Background(), ev)
			if tt.want == nil {
				require.ErrorIs(t, err, wsauth.ErrUnauthorized)
				assert.Equal(t, "Unauthorized", err.Error(), "API Gateway maps exactly this text to 401")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want.PlayerID, resp.PrincipalID)
			// The policy as API Gateway reads it: one Allow of execute-api:Invoke on the methodArn.
			b, err := json.Marshal(resp)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(b), wsauth.MaxResultBytes)
			var doc map[string]any
			require.NoError(t, json.Unmarshal(b, &doc))
			assert.Equal(t, map[string]any{
				"Version": "2012-10-17",
				"Statement": []any{map[string]any{
					"Action":   []any{"execute-api:Invoke"},
					"Effect":   "Allow",
					"Resource": []any{ev.MethodArn},
				}},
			}, doc["policyDocument"])
			assert.Equal(t, map[string]any{
				"playerId": tt.want.PlayerID, "name": tt.want.Name, "guest": tt.want.Guest, "token": tokenOf(ev),
			}, doc["context"], "context values are strings and booleans only")
		})
	}
}

func tokenOf(ev wsauth.Event) string {
	if t := ev.QueryStringParameters["token"]; t != "" {
		return t
	}
	p := ev.Headers["Sec-WebSocket-Protocol"]
	return strings.TrimSpace(strings.Split(p, ",")[1])
}

func TestAuthorizerRejectsOtherEvents(t *testing.T) {
	a := wsauth.New(wsauth.StaticKeys{S: signer(t, keyA)}, quiet(), nil)
	ev, _ := fixture(t, "connect-query-token.json", "x")
	ev.Type = "TOKEN"
	_, err := a.Handle(context.Background(), ev)
	require.Error(t, err)
	assert.NotErrorIs(t, err, wsauth.ErrUnauthorized, "a misconfigured authorizer must fail loudly (500), not look like a bad client")
}

type failingKeys struct{}

func (failingKeys) Signer(context.Context) (*authn.Signer, error) {
	return nil, errors.New("secrets manager unreachable")
}

func TestAuthorizerFailsClosedWithoutKeys(t *testing.T) {
	a := wsauth.New(failingKeys{}, quiet(), nil)
	ev, _ := fixture(t, "connect-query-token.json", token(t, signer(t, keyA), authn.Claims{PlayerID: "p1", ExpiresAt: time.Now().Add(time.Hour)}))
	resp, err := a.Handle(context.Background(), ev)
	require.Error(t, err)
	assert.NotErrorIs(t, err, wsauth.ErrUnauthorized)
	assert.Empty(t, resp.PrincipalID)
}

func TestParseKey(t *testing.T) {
	hexKey := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	for _, s := range []string{hexKey, "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=", "ABEiM0RVZneImaq7zN3u_wARIjNEVWZ3iJmqu8zd7v8"} {
		k, err := wsauth.ParseKey(s)
		require.NoError(t, err, s)
		assert.Len(t, k, 32)
	}
	for _, s := range []string{"", "abcd", "not a key!!", "00112233"} {
		_, err := wsauth.ParseKey(s)
		assert.Error(t, err, s)
	}
}

func TestKeysFromEnv(t *testing.T) {
	hexA := "3031323334353637383961626364656630313233343536373839616263646566" // keyA
	hexB := "6665646362613938373635343332313066656463626139383736353433323130" // keyB
	noClient := func(context.Context) (wsauth.SecretGetter, error) {
		return nil, errors.New("must not be called")
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	ks, err := wsauth.KeysFromEnv(context.Background(), env(map[string]string{"TOKEN_KEY": hexA, "TOKEN_KEYS_PREVIOUS": hexB}), noClient, quiet())
	require.NoError(t, err)
	s, err := ks.Signer(context.Background())
	require.NoError(t, err)
	old := token(t, signer(t, keyB), authn.Claims{PlayerID: "p1", ExpiresAt: time.Now().Add(time.Hour)})
	_, err = s.Verify(old, time.Now())
	assert.NoError(t, err, "previous keys still verify")

	for name, m := range map[string]map[string]string{
		"nothing":          {},
		"both":             {"TOKEN_KEY": hexA, "TOKEN_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k"},
		"short key":        {"TOKEN_KEY": "abcd"},
		"bad previous":     {"TOKEN_KEY": hexA, "TOKEN_KEYS_PREVIOUS": "zz"},
		"bad refresh":      {"TOKEN_KEY_SECRET_ARN": "arn:x", "TOKEN_KEY_REFRESH": "soon"},
		"too fast refresh": {"TOKEN_KEY_SECRET_ARN": "arn:x", "TOKEN_KEY_REFRESH": "1ms"},
	} {
		_, err := wsauth.KeysFromEnv(context.Background(), env(m), noClient, quiet())
		assert.Error(t, err, name)
	}
}
