package pgstore

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/store"
)

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnvRejectsBadSettingsNamingTheVariable(t *testing.T) {
	host := map[string]string{"DB_HOST": "db.internal", "DB_NAME": "chess", "DB_USER": "app", "DB_PASSWORD": "pw"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range host {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"nothing":                {map[string]string{}, "DATABASE_URL"},
		"url and host":           {with("DATABASE_URL", "postgres://a@b/c"), "DATABASE_URL"},
		"unparsable url":         {map[string]string{"DATABASE_URL": "postgres://u:secretpw@h:notaport/db"}, "DATABASE_URL"},
		"host without name":      {with("DB_NAME", ""), "DB_NAME"},
		"host without user":      {with("DB_USER", ""), "DB_USER"},
		"bad port":               {with("DB_PORT", "54x"), "DB_PORT"},
		"port out of range":      {with("DB_PORT", "70000"), "DB_PORT"},
		"bad sslmode":            {with("DB_SSLMODE", "verify"), "DB_SSLMODE"},
		"sslmode with url":       {map[string]string{"DATABASE_URL": "postgres://a@b/c", "DB_SSLMODE": "require"}, "DB_SSLMODE"},
		"bad max conns":          {with("DB_MAX_CONNS", "many"), "DB_MAX_CONNS"},
		"one conn":               {with("DB_MAX_CONNS", "1"), "DB_MAX_CONNS"},
		"min above max":          {with("DB_MAX_CONNS", "4", "DB_MIN_CONNS", "5"), "DB_MIN_CONNS"},
		"group takes every conn": {with("DB_MAX_CONNS", "4", "DB_GROUP_COMMIT", "4"), "DB_GROUP_COMMIT"},
		"bad group":              {with("DB_GROUP_COMMIT", "x"), "DB_GROUP_COMMIT"},
		"bad timeout":            {with("DB_CONNECT_TIMEOUT", "5"), "DB_CONNECT_TIMEOUT"},
		"bad secret ttl":         {with("DB_SECRET_TTL", "-1m"), "DB_SECRET_TTL"},
		"bad iam flag":           {with("DB_IAM_AUTH", "maybe"), "DB_IAM_AUTH"},
		"iam and secret":         {with("DB_IAM_AUTH", "true", "DB_SECRET_ARN", "arn:aws:secretsmanager:x"), "DB_IAM_AUTH"},
		"iam without tls":        {with("DB_IAM_AUTH", "true", "DB_SSLMODE", "disable"), "DB_SSLMODE"},
		"iam without user":       {with("DB_IAM_AUTH", "true", "DB_USER", ""), "DB_USER"},
		"iam with url":           {map[string]string{"DATABASE_URL": "postgres://a@b/c", "DB_IAM_AUTH": "1"}, "DB_IAM_AUTH"},
		"root cert with url":     {map[string]string{"DATABASE_URL": "postgres://a@b/c", "DB_SSLROOTCERT": "/ca.pem"}, "DB_SSLROOTCERT"},
	} {
		_, err := ConfigFromEnv(mapEnv(c.env))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want+":", name)
		assert.NotContains(t, err.Error(), "secretpw", "%s: passwords stay out of errors", name)
	}
	// Open validates too.
	_, err := Open(context.Background(), Config{})
	assert.ErrorContains(t, err, "DATABASE_URL")
}

func TestConfigFromEnvBuildsTheConnection(t *testing.T) {
	caFile, _, _ := writeCA(t, t.TempDir())
	cfg, err := ConfigFromEnv(mapEnv(map[string]string{
		"DB_HOST": "chess.abc.eu-west-1.rds.amazonaws.com", "DB_PORT": "6543", "DB_NAME": "chess",
		"DB_USER": "app", "DB_PASSWORD": "p@ss:w/rd?#&", "DB_SSLROOTCERT": caFile,
		"DB_MAX_CONNS": "20", "DB_MIN_CONNS": "2", "DB_CONNECT_TIMEOUT": "3s",
	}))
	require.NoError(t, err)
	assert.Equal(t, int32(20), cfg.MaxConns)
	assert.Equal(t, 3*time.Second, cfg.ConnectTimeout)
	assert.Equal(t, DefaultGroupCommit, cfg.GroupCommit)
	pc, err := pgxpool.ParseConfig(cfg.connString())
	require.NoError(t, err)
	cc := pc.ConnConfig
	assert.Equal(t, "chess.abc.eu-west-1.rds.amazonaws.com", cc.Host)
	assert.Equal(t, uint16(6543), cc.Port)
	assert.Equal(t, "chess", cc.Database)
	assert.Equal(t, "app", cc.User)
	assert.Equal(t, "p@ss:w/rd?#&", cc.Password)
	// Default sslmode with DB_HOST is verify-full: TLS, verified against the bundle, for the host name.
	require.NotNil(t, cc.TLSConfig)
	assert.False(t, cc.TLSConfig.InsecureSkipVerify)
	assert.Equal(t, cc.Host, cc.TLSConfig.ServerName)
	assert.NotNil(t, cc.TLSConfig.RootCAs)
	assert.Empty(t, cc.Fallbacks, "no fallback to plaintext")

	// With a runtime secret the injected password is not used.
	cfg, err = ConfigFromEnv(mapEnv(map[string]string{"DB_HOST": "h", "DB_NAME": "chess", "DB_PASSWORD": "stale",
		"DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:x", "DB_SSLMODE": "require", "AWS_DEFAULT_REGION": "eu-west-1"}))
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.AWSRegion)
	assert.NotContains(t, cfg.connString(), "stale")

	cfg, err = ConfigFromEnv(mapEnv(map[string]string{"DATABASE_URL": "postgres://u@h/db", "DB_GROUP_COMMIT": "0"}))
	require.NoError(t, err)
	assert.Equal(t, 0, cfg.GroupCommit, "DB_GROUP_COMMIT=0 turns group commit off")

	// Logs never show a password.
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("db", "config", Config{URL: "postgres://u:hunter2@h/db", Password: "hunter3"})
	assert.NotContains(t, buf.String(), "hunter2")
	assert.NotContains(t, buf.String(), "hunter3")
}

// TLS for real: the server gets a certificate from a CA of the test. verify-full connects with
// that CA as DB_SSLROOTCERT, and refuses another CA and a certificate for another name.
func TestTLSVerifyFull(t *testing.T) {
	pg := ownPostgres(t)
	dir := t.TempDir()
	caFile, ca, caKey := writeCA(t, dir)
	otherCA, _, _ := writeCA(t, t.TempDir())
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(pg.DataDir, &st))
	install := func(names []string, ips []net.IP) {
		certPEM, keyPEM := serverCert(t, ca, caKey, names, ips)
		for name, b := range map[string][]byte{"server.crt": certPEM, "server.key": keyPEM} {
			p := filepath.Join(pg.DataDir, name)
			require.NoError(t, os.WriteFile(p, b, 0o600))
			require.NoError(t, os.Chown(p, int(st.Uid), int(st.Gid)))
		}
		admin := adminExec(t, pg.DSN)
		admin(`ALTER SYSTEM SET ssl = on`)
		admin(`SELECT pg_reload_conf()`)
		time.Sleep(300 * time.Millisecond) // the postmaster reloads asynchronously
	}
	cfg := func(root, mode string) Config {
		return Config{Host: "127.0.0.1", Port: pg.Port, Name: "chess", User: "chess", SSLMode: mode,
			SSLRootCert: root, ConnectTimeout: 5 * time.Second, Logger: quietLogger()}
	}

	install(nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	s, err := Open(testCtx(t), cfg(caFile, "verify-full"))
	require.NoError(t, err)
	var ssl bool
	require.NoError(t, s.pool.QueryRow(testCtx(t), `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl))
	assert.True(t, ssl)
	s.Close()

	_, err = Open(testCtx(t), cfg(otherCA, "verify-full"))
	require.Error(t, err, "a server certificate from another CA must be refused")
	assert.ErrorIs(t, err, store.ErrUnavailable)
	assert.Contains(t, err.Error(), "certificate")

	install([]string{"db.internal"}, nil)
	_, err = Open(testCtx(t), cfg(caFile, "verify-full"))
	require.Error(t, err, "a certificate for another host name must be refused")
	assert.Regexp(t, `certificate (is valid for db\.internal|for 127\.0\.0\.1 because it doesn't contain any IP SANs)`, err.Error())
	s, err = Open(testCtx(t), cfg(caFile, "verify-ca"))
	require.NoError(t, err, "verify-ca does not check the name")
	s.Close()
}

func writeCA(t *testing.T, dir string) (string, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "test CA " + fmt.Sprint(time.Now().UnixNano())},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	path := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return path, cert, key
}

func serverCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, names []string, ips []net.IP) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: strings.Join(names, ",")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: names, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
