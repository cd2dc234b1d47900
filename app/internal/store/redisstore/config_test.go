package redisstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/store"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	ca, _ := newCA(t)
	require.NoError(t, os.WriteFile(caFile, ca, 0o600))
	badCA := filepath.Join(t.TempDir(), "bad.pem")
	require.NoError(t, os.WriteFile(badCA, []byte("not a certificate"), 0o600))

	ok := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"plain url", map[string]string{"REDIS_URL": "redis://127.0.0.1:6380/2"},
			Config{Addr: "127.0.0.1:6380", DB: 2}},
		{"default port", map[string]string{"REDIS_URL": "redis://cache.local"},
			Config{Addr: "cache.local:6379"}},
		{"rediss implies TLS, token in the url", map[string]string{"REDIS_URL": "rediss://:s3cret@master.x.cache.amazonaws.com:6379"},
			Config{Addr: "master.x.cache.amazonaws.com:6379", Password: "s3cret", TLS: true}},
		{"ElastiCache with AUTH token from the environment", map[string]string{"REDIS_ADDR": "master.x:6379", "REDIS_TLS": "true", "REDIS_PASSWORD": "tok", "REDIS_CA_FILE": caFile},
			Config{Addr: "master.x:6379", Password: "tok", TLS: true, CAFile: caFile}},
		{"RBAC user in the url, password from the environment", map[string]string{"REDIS_URL": "rediss://chess@master.x:6379", "REDIS_PASSWORD": "pw"},
			Config{Addr: "master.x:6379", Username: "chess", Password: "pw", TLS: true}},
		{"RBAC", map[string]string{"REDIS_ADDR": "h:1", "REDIS_TLS": "1", "REDIS_USERNAME": "chess", "REDIS_PASSWORD": "pw", "REDIS_POOL_SIZE": "32", "REDIS_KEY_PREFIX": "dev:"},
			Config{Addr: "h:1", Username: "chess", Password: "pw", TLS: true, PoolSize: 32, KeyPrefix: "dev:"}},
		{"redis:// with REDIS_TLS", map[string]string{"REDIS_URL": "redis://h:1", "REDIS_TLS": "true"},
			Config{Addr: "h:1", TLS: true}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(env(tc.env))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	bad := []struct {
		name    string
		env     map[string]string
		mention string
	}{
		{"nothing", map[string]string{}, "REDIS_URL"},
		{"both", map[string]string{"REDIS_URL": "redis://h:1", "REDIS_ADDR": "h:1"}, "REDIS_ADDR"},
		{"scheme", map[string]string{"REDIS_URL": "http://h:1"}, "REDIS_URL"},
		{"no host", map[string]string{"REDIS_URL": "redis:///0"}, "REDIS_URL"},
		{"bad db", map[string]string{"REDIS_URL": "redis://h:1/x"}, "REDIS_URL"},
		{"query", map[string]string{"REDIS_URL": "redis://h:1?tls=1"}, "REDIS_URL"},
		{"bad addr", map[string]string{"REDIS_ADDR": "h"}, "REDIS_ADDR"},
		{"bad port", map[string]string{"REDIS_ADDR": "h:99999"}, "REDIS_ADDR"},
		{"tls not a bool", map[string]string{"REDIS_ADDR": "h:1", "REDIS_TLS": "yes please"}, "REDIS_TLS"},
		{"tls off with rediss", map[string]string{"REDIS_URL": "rediss://h:1", "REDIS_TLS": "false"}, "REDIS_TLS"},
		{"CA without TLS", map[string]string{"REDIS_ADDR": "h:1", "REDIS_CA_FILE": caFile}, "REDIS_CA_FILE"},
		{"CA missing", map[string]string{"REDIS_ADDR": "h:1", "REDIS_TLS": "true", "REDIS_CA_FILE": "/nonexistent.pem"}, "REDIS_CA_FILE"},
		{"CA not PEM", map[string]string{"REDIS_ADDR": "h:1", "REDIS_TLS": "true", "REDIS_CA_FILE": badCA}, "REDIS_CA_FILE"},
		{"user without password", map[string]string{"REDIS_ADDR": "h:1", "REDIS_USERNAME": "u"}, "REDIS_PASSWORD"},
		{"password twice", map[string]string{"REDIS_URL": "redis://:a@h:1", "REDIS_PASSWORD": "b"}, "REDIS_PASSWORD"},
		{"user twice", map[string]string{"REDIS_URL": "redis://u:a@h:1", "REDIS_USERNAME": "v"}, "REDIS_USERNAME"},
		{"pool size", map[string]string{"REDIS_ADDR": "h:1", "REDIS_POOL_SIZE": "0"}, "REDIS_POOL_SIZE"},
		{"prefix with hash tag", map[string]string{"REDIS_ADDR": "h:1", "REDIS_KEY_PREFIX": "{x}"}, "REDIS_KEY_PREFIX"},
	}
	for _, tc := range bad {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := ConfigFromEnv(env(tc.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.mention)
		})
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	_, err := Open(context.Background(), Config{Addr: "127.0.0.1:1", HeartbeatTTL: -time.Second})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HeartbeatTTL")
	_, err = Open(context.Background(), Config{Addr: "127.0.0.1:1"}) // nothing listens on port 1
	require.ErrorIs(t, err, store.ErrUnavailable)
}

// TestTLS runs redis-server with TLS only, an AUTH token and an RBAC user, as ElastiCache with
// in-transit encryption does, behind a certificate for "localhost" from a CA made here.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caPEM, caKey := newCA(t)
	certPEM, keyPEM := newServerCert(t, caPEM, caKey, "localhost")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	caFile, certFile, keyFile := write("ca.pem", caPEM), write("server.pem", certPEM), write("server.key", keyPEM)
	r := redisServerT(t, true, "--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile,
		"--tls-auth-clients", "no", "--requirepass", "token-123", "--user", "chess", "on", ">rbac-pw", "~*", "&*", "+@all")
	port := strconv.Itoa(r.port)

	open := func(vars map[string]string) (*Store, error) {
		cfg, err := ConfigFromEnv(env(vars))
		require.NoError(t, err)
		cfg.Logger = testLogger()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := Open(ctx, cfg)
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		return s, err
	}

	t.Run("AUTH token over verified TLS", func(t *testing.T) {
		s, err := open(map[string]string{"REDIS_URL": "rediss://:token-123@localhost:" + port, "REDIS_CA_FILE": caFile})
		require.NoError(t, err)
		ctx := tctx(t)
		st := newGame(t)
		require.NoError(t, s.PutGame(ctx, st, nil))
		got, err := s.GetGame(ctx, st.ID)
		require.NoError(t, err)
		assert.Equal(t, st.ID, got.ID)
		sub := subscribeT(t, s)
		require.NoError(t, sub.Add(ctx, "p:tls"))
		require.NoError(t, s.Publish(ctx, "p:tls", []byte("over tls")))
		assert.Equal(t, []byte("over tls"), recvT(t, sub, 5*time.Second).Payload)
	})
	t.Run("RBAC user", func(t *testing.T) {
		s, err := open(map[string]string{"REDIS_ADDR": "localhost:" + port, "REDIS_TLS": "true", "REDIS_CA_FILE": caFile,
			"REDIS_USERNAME": "chess", "REDIS_PASSWORD": "rbac-pw"})
		require.NoError(t, err)
		require.NoError(t, s.Ping(tctx(t)))
	})
	t.Run("unknown CA is refused", func(t *testing.T) {
		_, err := open(map[string]string{"REDIS_URL": "rediss://:token-123@localhost:" + port})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
	})
	t.Run("name mismatch is refused", func(t *testing.T) {
		_, err := open(map[string]string{"REDIS_URL": "rediss://:token-123@127.0.0.1:" + port, "REDIS_CA_FILE": caFile})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
	})
	t.Run("wrong token is refused", func(t *testing.T) {
		_, err := open(map[string]string{"REDIS_URL": "rediss://:wrong@localhost:" + port, "REDIS_CA_FILE": caFile})
		require.Error(t, err)
	})
	t.Run("plain text is refused", func(t *testing.T) {
		_, err := open(map[string]string{"REDIS_URL": "redis://:token-123@localhost:" + port})
		require.Error(t, err)
	})
}

func newCA(t *testing.T) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redisstore test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key
}

func newServerCert(t *testing.T, caPEM []byte, caKey *ecdsa.PrivateKey, dnsName string) ([]byte, []byte) {
	t.Helper()
	block, _ := pem.Decode(caPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: dnsName}, DNSNames: []string{dnsName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
