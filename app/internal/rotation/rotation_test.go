package rotation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
)

// Secrets Manager is moto_server: every secret read, version put and staging-label move of the
// four steps is a real API call. ElastiCache (not in moto 5.2.1) and ECS are recording fakes.

func motoSecrets(t *testing.T) *secretsmanager.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	m := testenv.MotoT(t)
	return secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(m.Endpoint),
	})
}

var secretSeq atomic.Int64

func createSecret(t *testing.T, sm *secretsmanager.Client, value string) string {
	t.Helper()
	out, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(fmt.Sprintf("rotation-test-%d", secretSeq.Add(1))), SecretString: &value,
	})
	require.NoError(t, err)
	return *out.ARN
}

func current(t *testing.T, sm *secretsmanager.Client, arn string) string {
	t.Helper()
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: &arn, VersionStage: aws.String(stageCurrent)})
	require.NoError(t, err)
	return *out.SecretString
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// rotateOnce calls the four steps in Secrets Manager's order with one version id, each step
// twice (Secrets Manager retries steps; every step must be idempotent).
func rotateOnce(t *testing.T, r *Rotator, arn string) string {
	t.Helper()
	tok := newToken()
	for _, step := range []string{"createSecret", "setSecret", "testSecret", "finishSecret"} {
		for range 2 {
			require.NoError(t, r.Handle(context.Background(), Event{Step: step, SecretID: arn, Token: tok}), step)
		}
	}
	return tok
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sessionDoc(t *testing.T, ks authn.KeySet) string {
	b, err := json.Marshal(ks)
	require.NoError(t, err)
	return string(b)
}

func key(t *testing.T) string {
	k, err := newKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func sign(t *testing.T, ks authn.KeySet) string {
	s, err := ks.Signer()
	require.NoError(t, err)
	tok, err := s.Sign(authn.Claims{PlayerID: "p", Name: "n", ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	return tok
}

func accepts(t *testing.T, ks authn.KeySet, tok string) bool {
	s, err := ks.Signer()
	require.NoError(t, err)
	_, err = s.Verify(tok, time.Now())
	return err == nil
}

func parse(t *testing.T, doc string) authn.KeySet {
	ks, err := authn.ParseKeySet(doc)
	require.NoError(t, err)
	return ks
}

// The session key's rotation: the announced next key becomes current, the current one stays
// accepted as previous for exactly one more rotation, and a process on either side of a
// rotation accepts the other side's tokens. Each rotation redeploys the backend once.
func TestSessionKeyRotationFourStepsOnMoto(t *testing.T) {
	sm := motoSecrets(t)
	k0 := authn.KeySet{Current: key(t), Next: key(t)}
	arn := createSecret(t, sm, sessionDoc(t, k0))
	deploys := &fakeECS{}
	r, err := New(Config{Secrets: sm, ECS: deploys, Targets: map[string]Kind{arn: SessionKey}, Cluster: "c", Service: "backend", Log: quiet()})
	require.NoError(t, err)
	before := sign(t, k0)

	v1 := rotateOnce(t, r, arn)
	k1 := parse(t, current(t, sm, arn))
	assert.Equal(t, k0.Next, k1.Current, "the announced key signs now")
	assert.Equal(t, k0.Current, k1.Previous, "the retired key is still accepted")
	assert.NotContains(t, []string{k0.Current, k0.Next}, k1.Next, "a fresh next key")
	assert.True(t, accepts(t, k1, before), "a token from before the rotation is accepted after it")
	assert.True(t, accepts(t, k0, sign(t, k1)), "a task still on the old keys accepts tokens of the new ones")
	desc, err := sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: &arn})
	require.NoError(t, err)
	assert.Contains(t, desc.VersionIdsToStages[v1], stageCurrent)
	assert.Equal(t, 1, deploys.count())

	rotateOnce(t, r, arn)
	k2 := parse(t, current(t, sm, arn))
	assert.Equal(t, k1.Next, k2.Current)
	assert.Equal(t, k1.Current, k2.Previous)
	assert.False(t, accepts(t, k2, before), "two rotations later (more than a token lifetime) the first key is gone")
	assert.Equal(t, []string{"c/backend", "c/backend"}, deploys.calls)
}

// A secret still holding a bare key (the format before rotation) first only announces a next
// key: no running process knows another key, so the bare key keeps signing.
func TestSessionKeyRotationFromBareKey(t *testing.T) {
	sm := motoSecrets(t)
	bare := key(t)
	arn := createSecret(t, sm, bare)
	r, err := New(Config{Secrets: sm, Targets: map[string]Kind{arn: SessionKey}, Log: quiet()})
	require.NoError(t, err)
	before := sign(t, authn.KeySet{Current: bare})
	rotateOnce(t, r, arn)
	ks := parse(t, current(t, sm, arn))
	assert.Equal(t, bare, ks.Current)
	assert.Equal(t, bare, ks.Previous, "every field is set (ECS injects each)")
	assert.NotEmpty(t, ks.Next)
	assert.True(t, accepts(t, ks, before))
	rotateOnce(t, r, arn)
	ks2 := parse(t, current(t, sm, arn))
	assert.Equal(t, ks.Next, ks2.Current)
	assert.Equal(t, bare, ks2.Previous)
	assert.True(t, accepts(t, ks2, before))
}

// testSecret refuses a pending set that would cut sessions off (its current key is one the
// running tasks do not know), and finishSecret is then never reached by Secrets Manager: the
// current version stays current.
func TestSessionKeyTestSecretRefusesADiscontinuousSet(t *testing.T) {
	sm := motoSecrets(t)
	k0 := authn.KeySet{Current: key(t), Next: key(t)}
	arn := createSecret(t, sm, sessionDoc(t, k0))
	r, err := New(Config{Secrets: sm, Targets: map[string]Kind{arn: SessionKey}, Log: quiet()})
	require.NoError(t, err)
	tok := newToken()
	bad := sessionDoc(t, authn.KeySet{Current: key(t), Next: key(t), Previous: k0.Current})
	_, err = sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: &arn, ClientRequestToken: &tok, SecretString: &bad, VersionStages: []string{stagePending},
	})
	require.NoError(t, err)
	err = r.Handle(context.Background(), Event{Step: "testSecret", SecretID: arn, Token: tok})
	require.ErrorContains(t, err, "a token signed after the rotation, checked by a process started before it is refused")
	assert.Equal(t, sessionDoc(t, k0), current(t, sm, arn))
}

// Setting a schedule without rotating makes Secrets Manager copy the current value as pending
// and run testSecret alone: that passes, and nothing changes.
func TestSessionKeyConfigurationTest(t *testing.T) {
	sm := motoSecrets(t)
	doc := sessionDoc(t, authn.KeySet{Current: key(t), Next: key(t)})
	arn := createSecret(t, sm, doc)
	r, err := New(Config{Secrets: sm, Targets: map[string]Kind{arn: SessionKey}, Log: quiet()})
	require.NoError(t, err)
	tok := newToken()
	_, err = sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: &arn, ClientRequestToken: &tok, SecretString: &doc, VersionStages: []string{stagePending},
	})
	require.NoError(t, err)
	require.NoError(t, r.Handle(context.Background(), Event{Step: "testSecret", SecretID: arn, Token: tok}))
	assert.Equal(t, doc, current(t, sm, arn))
}

// The Redis token's rotation with ROTATE then SET: after each rotation the group accepts the
// new current token and the one before it (tasks not yet redeployed keep working), and the
// next rotation first SETs the current token (every task has it since the redeployment).
func TestRedisAuthRotationFourStepsOnMoto(t *testing.T) {
	sm := motoSecrets(t)
	t0 := "initial-token-0123456789abcdef"
	arn := createSecret(t, sm, t0)
	cache := newFakeCache("chess-redis", t0)
	deploys := &fakeECS{}
	r, err := New(Config{Secrets: sm, Cache: cache, ECS: deploys, Targets: map[string]Kind{arn: RedisAuth},
		ReplicationGroupID: "chess-redis", Cluster: "c", Service: "backend", PollEvery: time.Millisecond, Log: quiet()})
	require.NoError(t, err)

	rotateOnce(t, r, arn)
	t1 := current(t, sm, arn)
	assert.Len(t, t1, redisTokenLen)
	assert.Regexp(t, "^[A-Za-z0-9]+$", t1)
	assert.Equal(t, []string{t0, t1}, cache.tokens(), "old and new token both accepted until every task moved")
	assert.Equal(t, []string{"ROTATE " + t1}, cache.calls)

	rotateOnce(t, r, arn)
	t2 := current(t, sm, arn)
	assert.Equal(t, []string{t1, t2}, cache.tokens())
	assert.Equal(t, []string{"ROTATE " + t1, "SET " + t1, "ROTATE " + t2}, cache.calls)
	assert.Equal(t, 2, deploys.count())

	desc, err := sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: &arn})
	require.NoError(t, err)
	marked := 0
	for _, stages := range desc.VersionIdsToStages {
		if has(stages, stageRotated) {
			marked++
			assert.Contains(t, stages, stageCurrent, "only the current token awaits its SET")
		}
	}
	assert.Equal(t, 1, marked)
}

// testSecret fails while the group has not applied the change.
func TestRedisAuthTestSecretWaitsForTheGroup(t *testing.T) {
	sm := motoSecrets(t)
	arn := createSecret(t, sm, "initial-token-0123456789abcdef")
	cache := newFakeCache("g", "initial-token-0123456789abcdef")
	r, err := New(Config{Secrets: sm, Cache: cache, Targets: map[string]Kind{arn: RedisAuth}, ReplicationGroupID: "g", PollEvery: time.Millisecond, Log: quiet()})
	require.NoError(t, err)
	tok := newToken()
	require.NoError(t, r.Handle(context.Background(), Event{Step: "createSecret", SecretID: arn, Token: tok}))
	cache.busy = 5
	err = r.Handle(context.Background(), Event{Step: "testSecret", SecretID: arn, Token: tok})
	require.ErrorContains(t, err, "not available")
}

// Bad events change nothing.
func TestRotationRefusesBadEvents(t *testing.T) {
	sm := motoSecrets(t)
	k0 := authn.KeySet{Current: key(t), Next: key(t)}
	arn := createSecret(t, sm, sessionDoc(t, k0))
	other := createSecret(t, sm, sessionDoc(t, k0))
	r, err := New(Config{Secrets: sm, Targets: map[string]Kind{arn: SessionKey}, Log: quiet()})
	require.NoError(t, err)
	ctx := context.Background()
	for name, c := range map[string]struct {
		ev   Event
		want string
	}{
		"foreign secret":    {Event{Step: "createSecret", SecretID: other, Token: newToken()}, "not one this function rotates"},
		"unknown step":      {Event{Step: "dropSecret", SecretID: arn, Token: newToken()}, "unknown step"},
		"set before create": {Event{Step: "setSecret", SecretID: arn, Token: newToken()}, "createSecret has not run"},
		"finish unknown":    {Event{Step: "finishSecret", SecretID: arn, Token: newToken()}, "createSecret has not run"},
		"no token":          {Event{Step: "createSecret", SecretID: arn}, "ClientRequestToken"},
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorContains(t, r.Handle(ctx, c.ev), c.want)
			assert.Equal(t, sessionDoc(t, k0), current(t, sm, arn))
			assert.Equal(t, sessionDoc(t, k0), current(t, sm, other))
		})
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	for name, c := range map[string]struct {
		cfg  Config
		want string
	}{
		"no client":         {Config{Targets: map[string]Kind{"a": SessionKey}}, "Secrets Manager client"},
		"no targets":        {Config{Secrets: &secretsmanager.Client{}}, "no secrets"},
		"unknown kind":      {Config{Secrets: &secretsmanager.Client{}, Targets: map[string]Kind{"a": "ssh"}}, `unknown kind "ssh"`},
		"redis sans group":  {Config{Secrets: &secretsmanager.Client{}, Targets: map[string]Kind{"a": RedisAuth}}, "REPLICATION_GROUP_ID"},
		"half ecs":          {Config{Secrets: &secretsmanager.Client{}, Targets: map[string]Kind{"a": SessionKey}, Cluster: "c"}, "ECS_CLUSTER and ECS_SERVICE"},
		"web sans cluster":  {Config{Secrets: &secretsmanager.Client{}, ECS: &fakeECS{}, Targets: map[string]Kind{"a": SessionKey}, WebService: "web"}, "ECS_CLUSTER and ECS_SERVICE"},
		"operator sans web": {Config{Secrets: &secretsmanager.Client{}, ECS: &fakeECS{}, Targets: map[string]Kind{"a": OperatorSecret}, Cluster: "c", Service: "backend"}, "ECS_WEB_SERVICE"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(c.cfg)
			require.ErrorContains(t, err, c.want)
		})
	}
}

// The operator credential's rotation: a fresh 88-character alphanumeric value the web app
// accepts becomes current, and finishSecret redeploys the web service, never the backend.
func TestOperatorSecretRotationFourStepsOnMoto(t *testing.T) {
	sm := motoSecrets(t)
	v0 := "initialOperatorSecret0123456789abcdefghijklmnop"
	arn := createSecret(t, sm, v0)
	deploys := &fakeECS{}
	r, err := New(Config{Secrets: sm, ECS: deploys, Targets: map[string]Kind{arn: OperatorSecret},
		Cluster: "c", Service: "backend", WebService: "web", Log: quiet()})
	require.NoError(t, err)

	v1tok := rotateOnce(t, r, arn)
	v1 := current(t, sm, arn)
	assert.NotEqual(t, v0, v1)
	assert.Len(t, v1, operatorSecretLen)
	assert.Regexp(t, "^[A-Za-z0-9]{32,}$", v1)
	desc, err := sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: &arn})
	require.NoError(t, err)
	assert.Contains(t, desc.VersionIdsToStages[v1tok], stageCurrent)

	rotateOnce(t, r, arn)
	v2 := current(t, sm, arn)
	assert.NotEqual(t, v1, v2)
	assert.Equal(t, []string{"c/web", "c/web"}, deploys.calls, "the web service only, once per rotation")
}

// testSecret refuses a pending operator secret the web app would turn off (too short) or that
// has characters outside letters and digits; the current version stays current.
func TestOperatorSecretTestSecretRefusesBadValues(t *testing.T) {
	sm := motoSecrets(t)
	v0 := "initialOperatorSecret0123456789abcdefghijklmnop"
	arn := createSecret(t, sm, v0)
	r, err := New(Config{Secrets: sm, ECS: &fakeECS{}, Targets: map[string]Kind{arn: OperatorSecret}, Cluster: "c", WebService: "web", Log: quiet()})
	require.NoError(t, err)
	for bad, want := range map[string]string{
		"short0123456789abcdefghijklmno":                      "at least 32",
		"with space 0123456789abcdefghijklmnopqrstuvwxyzABCD": "letters and digits",
	} {
		tok := newToken()
		_, err = sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
			SecretId: &arn, ClientRequestToken: &tok, SecretString: aws.String(bad), VersionStages: []string{stagePending},
		})
		require.NoError(t, err)
		require.ErrorContains(t, r.Handle(context.Background(), Event{Step: "testSecret", SecretID: arn, Token: tok}), want)
		assert.Equal(t, v0, current(t, sm, arn))
	}
}
