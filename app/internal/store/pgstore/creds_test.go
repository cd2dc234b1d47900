package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/store"
)

// passwordRole makes the cluster authenticate role with SCRAM over TCP (the testenv cluster
// trusts everyone): a role with a password, a database it owns, and a pg_hba.conf line for it
// ahead of the trust lines. Like the RDS master user it stands for, it is no superuser but may
// create roles (the migrations create the application role). It waits until a wrong password is refused, so the test that
// follows proves something.
func passwordRole(t *testing.T, pg *testenv.Postgres, role, password string) string {
	t.Helper()
	admin := adminExec(t, pg.DSN)
	admin(fmt.Sprintf(`CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'`, role, strings.ReplaceAll(password, "'", "''")))
	admin(fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, role, role))
	hba := filepath.Join(pg.DataDir, "pg_hba.conf")
	old, err := os.ReadFile(hba)
	require.NoError(t, err)
	line := fmt.Sprintf("host all %s 127.0.0.1/32 scram-sha-256\n", role)
	require.NoError(t, os.WriteFile(hba, append([]byte(line), old...), 0o600)) // keeps the owner
	admin(`SELECT pg_reload_conf()`)
	dsn := func(pw string) string {
		u, _ := url.Parse(withDB(t, pg.DSN, role))
		u.User = url.UserPassword(role, pw)
		return u.String()
	}
	require.Eventually(t, func() bool {
		c, err := pgx.Connect(context.Background(), dsn("wrong"))
		if err == nil {
			c.Close(context.Background())
			return false
		}
		return isAuthFailure(err)
	}, 10*time.Second, 50*time.Millisecond, "the server must refuse a wrong password for %s", role)
	c, err := pgx.Connect(context.Background(), dsn(password))
	require.NoError(t, err, "the right password must be accepted")
	c.Close(context.Background())
	return role
}

func motoAWS(m *testenv.Moto) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(m.Endpoint),
	}
}

func putSecret(t *testing.T, sm *secretsmanager.Client, arn, user, password string) {
	b, err := json.Marshal(map[string]string{"username": user, "password": password, "engine": "postgres"})
	require.NoError(t, err)
	_, err = sm.PutSecretValue(testCtx(t), &secretsmanager.PutSecretValueInput{SecretId: &arn, SecretString: aws.String(string(b))})
	require.NoError(t, err)
}

// The store reads its credentials from Secrets Manager (moto) when it connects; after the
// password is rotated (role and secret), new connections are refused once with the cached
// password, the secret is read again, and the call that hit the refusal still succeeds.
func TestSecretsManagerCredentialsFollowRotation(t *testing.T) {
	pg := ownPostgres(t)
	m := sharedMoto(t)
	const first, second = `fi'rst:p@ss/w?rd#1`, `sec%ond&pass word`
	role := passwordRole(t, pg, "rot_user", first)

	ac := motoAWS(m)
	sm := secretsmanager.NewFromConfig(ac)
	created, err := sm.CreateSecret(testCtx(t), &secretsmanager.CreateSecretInput{
		Name: aws.String(uid("chess/db/master-")), SecretString: aws.String(`{"username":"rot_user","password":"placeholder"}`)})
	require.NoError(t, err)
	arn := *created.ARN
	putSecret(t, sm, arn, role, first)

	cfg, err := ConfigFromEnv(mapEnv(map[string]string{
		"DB_HOST": "127.0.0.1", "DB_PORT": fmt.Sprint(pg.Port), "DB_NAME": role,
		"DB_SSLMODE": "disable", "DB_SECRET_ARN": arn, "AWS_REGION": "us-east-1",
	}))
	require.NoError(t, err)
	cfg.AWS, cfg.Logger = &ac, quietLogger()
	s, err := Open(testCtx(t), cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ctx := testCtx(t)
	p := mkPlayer(t, s)
	var who string
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT current_user`).Scan(&who))
	assert.Equal(t, role, who)

	// Rotate as the RDS rotation does: the role's password, then the secret.
	adminExec(t, pg.DSN)(fmt.Sprintf(`ALTER ROLE %s PASSWORD '%s'`, role, strings.ReplaceAll(second, "'", "''")))
	putSecret(t, sm, arn, role, second)
	s.pool.Reset() // every later call needs a new connection, as after connections age out
	got, err := s.PlayerByID(ctx, p.ID)
	require.NoError(t, err, "the call that met the refusal re-reads the secret and succeeds")
	assert.Equal(t, p.Name, got.Name)

	// Static credentials (DB_USER/DB_PASSWORD) with characters a URL must escape work too.
	static, err := ConfigFromEnv(mapEnv(map[string]string{
		"DB_HOST": "127.0.0.1", "DB_PORT": fmt.Sprint(pg.Port), "DB_NAME": role,
		"DB_SSLMODE": "disable", "DB_USER": role, "DB_PASSWORD": second,
	}))
	require.NoError(t, err)
	static.Logger = quietLogger()
	s2, err := Open(testCtx(t), static)
	require.NoError(t, err)
	defer s2.Close()
	require.NoError(t, s2.Ping(ctx))
}

type countingSecrets struct {
	api   SecretsAPI
	calls atomic.Int32
}

func (c *countingSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.calls.Add(1)
	return c.api.GetSecretValue(ctx, in, optFns...)
}

// A secret that stays wrong makes calls fail as unavailable, and re-reads after refusals are
// limited (not one Secrets Manager call per connection attempt); fixing the secret heals the
// store without reopening it.
func TestWrongSecretIsUnavailableAndReadsAreBounded(t *testing.T) {
	pg := ownPostgres(t)
	m := sharedMoto(t)
	role := passwordRole(t, pg, "wrong_user", "right-one")
	ac := motoAWS(m)
	sm := secretsmanager.NewFromConfig(ac)
	created, err := sm.CreateSecret(testCtx(t), &secretsmanager.CreateSecretInput{
		Name: aws.String(uid("chess/db/wrong-")), SecretString: aws.String(`{"username":"wrong_user","password":"right-one"}`)})
	require.NoError(t, err)
	counter := &countingSecrets{api: sm}
	src := NewSecretSource(counter, *created.ARN, time.Hour)
	s := openStore(t, withDB(t, pg.DSN, role), func(c *Config) { c.Credentials = src })
	ctx := testCtx(t)
	require.NoError(t, s.Ping(ctx))
	require.Equal(t, int32(1), counter.calls.Load())

	// The password changes but the secret gets a wrong value.
	adminExec(t, pg.DSN)(`ALTER ROLE wrong_user PASSWORD 'new-one'`)
	putSecret(t, sm, *created.ARN, role, "not-the-password")
	s.pool.Reset()
	start := time.Now()
	for i := 0; i < 10; i++ {
		err := s.Ping(ctx)
		require.ErrorIs(t, err, store.ErrUnavailable)
		assert.Contains(t, err.Error(), "password authentication failed")
	}
	// 20 refused connections (each Ping retries once): one re-read after the first refusal,
	// then at most one per refusedReread, not one per attempt.
	allowed := 1 + 1 + int32(time.Since(start)/refusedReread)
	assert.LessOrEqual(t, counter.calls.Load(), allowed, "reads after refusals")

	putSecret(t, sm, *created.ARN, role, "new-one")
	time.Sleep(refusedReread)
	require.NoError(t, s.Ping(ctx))
}

func TestSecretSourceCachesAndExpires(t *testing.T) {
	api := &fakeSecrets{values: []string{`{"username":"u","password":"one"}`, `{"username":"u","password":"two"}`, `{"password":"three"}`}}
	src := NewSecretSource(api, "arn:secret", time.Minute)
	now := time.Unix(1000, 0)
	src.now = func() time.Time { return now }
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		u, p, err := src.Credentials(ctx)
		require.NoError(t, err)
		assert.Equal(t, [2]string{"u", "one"}, [2]string{u, p})
	}
	now = now.Add(time.Minute) // expired
	_, p, err := src.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "two", p)
	src.Refused()
	u, p, err := src.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, [2]string{"", "three"}, [2]string{u, p}, "no username: keep the configured one")
	src.Refused()
	_, p, err = src.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "three", p, "a second refusal right after a re-read reuses the value")
	assert.Equal(t, 3, api.n)

	for name, bad := range map[string]string{"not json": `password=x`, "no password": `{"username":"u"}`} {
		src := NewSecretSource(&fakeSecrets{values: []string{bad}}, "arn:bad", 0)
		_, _, err := src.Credentials(ctx)
		assert.Error(t, err, name)
		assert.NotContains(t, err.Error(), "password=x", "the secret must not leak into errors")
	}
	_, _, err = NewSecretSource(&fakeSecrets{err: errors.New("AccessDenied")}, "arn:x", 0).Credentials(ctx)
	assert.ErrorContains(t, err, "AccessDenied")
}

type fakeSecrets struct {
	values []string
	n      int
	err    error
}

func (f *fakeSecrets) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	v := f.values[min(f.n, len(f.values)-1)]
	f.n++
	return &secretsmanager.GetSecretValueOutput{SecretString: &v}, nil
}

// IAM auth: every connection gets a token signed for host:port, region and user; the password
// is the presigned connect URL (without scheme) that RDS checks.
func TestIAMSourceSignsTokens(t *testing.T) {
	src, err := NewIAMSource("db.example.internal", 0, "eu-west-1", "chess_app",
		credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""))
	require.NoError(t, err)
	user, tok, err := src.Credentials(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "chess_app", user)
	require.True(t, strings.HasPrefix(tok, "db.example.internal:5432?"), tok)
	q, err := url.ParseQuery(strings.SplitN(tok, "?", 2)[1])
	require.NoError(t, err)
	assert.Equal(t, "connect", q.Get("Action"))
	assert.Equal(t, "chess_app", q.Get("DBUser"))
	assert.Contains(t, q.Get("X-Amz-Credential"), "/eu-west-1/rds-db/aws4_request")
	assert.NotEmpty(t, q.Get("X-Amz-Signature"))

	_, err = NewIAMSource("h", 5432, "", "u", credentials.NewStaticCredentialsProvider("a", "b", ""))
	assert.ErrorContains(t, err, "AWS_REGION")
}
