package main

import (
	"bufio"
	"debug/elf"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const goodKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestParseConfig(t *testing.T) {
	cfg, err := parseConfig(nil, env(map[string]string{"TOKEN_KEY": goodKey, "ALLOWED_ORIGINS": "chess.example, *.chess.example", "TOKEN_TTL": "2h"}))
	require.NoError(t, err)
	assert.Equal(t, ":8080", cfg.listen)
	assert.Equal(t, []string{"chess.example", "*.chess.example"}, cfg.allowedOrigins)
	assert.Equal(t, 2*time.Hour, cfg.tokenTTL)
	assert.Len(t, cfg.tokenKey, 32)
	assert.False(t, cfg.devInsecureKey)

	cfg, err = parseConfig([]string{"-listen", "127.0.0.1:9000", "-log-level", "debug"}, env(nil))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9000", cfg.listen)
	assert.True(t, cfg.devInsecureKey, "a random key outside production")
	assert.Equal(t, store.ConnLimits{PerPlayer: 10, PerAddr: 200}, cfg.connLimits, "default caps")
	assert.Equal(t, 2, cfg.forwardedForHops)

	cfg, err = parseConfig([]string{"-max-conns-per-player", "3"}, env(map[string]string{"MAX_CONNS_PER_ADDR": "50", "FORWARDED_FOR_HOPS": "1"}))
	require.NoError(t, err)
	assert.Equal(t, store.ConnLimits{PerPlayer: 3, PerAddr: 50}, cfg.connLimits)
	assert.Equal(t, 1, cfg.forwardedForHops)
	assert.Equal(t, server.DefaultAbandonTimeout, cfg.abandonTimeout, "default abandon timeout")

	cfg, err = parseConfig(nil, env(map[string]string{"ABANDON_TIMEOUT": "5s"}))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, cfg.abandonTimeout)
}

func TestParseConfigRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // the error names the setting
	}{
		{"short key", nil, map[string]string{"TOKEN_KEY": "abcd"}, "TOKEN_KEY"},
		{"key not encoded", nil, map[string]string{"TOKEN_KEY": "not a key at all!!"}, "TOKEN_KEY"},
		{"production without key", nil, map[string]string{"CHESS_ENV": "production"}, "TOKEN_KEY"},
		{"bad previous key", nil, map[string]string{"TOKEN_KEY": goodKey, "TOKEN_KEYS_PREVIOUS": "zz"}, "TOKEN_KEYS_PREVIOUS"},
		{"bad ttl env", nil, map[string]string{"TOKEN_TTL": "forever"}, "TOKEN_TTL"},
		{"ttl too long", []string{"-token-ttl", "9000h"}, nil, "token TTL"},
		{"bad shutdown env", nil, map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		{"bad log level", []string{"-log-level", "loud"}, nil, "log level"},
		{"stray argument", []string{"extra"}, nil, "unexpected arguments"},
		{"unknown flag", []string{"-colour", "blue"}, nil, "colour"},
		{"auth limit not a number", nil, map[string]string{"AUTH_PER_MINUTE": "lots"}, "AUTH_PER_MINUTE"},
		{"auth limit zero", []string{"-auth-per-minute", "0"}, nil, "auth per minute"},
		{"player cap not a number", nil, map[string]string{"MAX_CONNS_PER_PLAYER": "ten"}, "MAX_CONNS_PER_PLAYER"},
		{"player cap zero", []string{"-max-conns-per-player", "0"}, nil, "MAX_CONNS_PER_PLAYER"},
		{"player cap too high", nil, map[string]string{"MAX_CONNS_PER_PLAYER": "1001"}, "between 1 and 1000"},
		{"address cap negative", nil, map[string]string{"MAX_CONNS_PER_ADDR": "-1"}, "MAX_CONNS_PER_ADDR"},
		{"address cap not a number", nil, map[string]string{"MAX_CONNS_PER_ADDR": "many"}, "MAX_CONNS_PER_ADDR"},
		{"forwarded hops zero", []string{"-forwarded-for-hops", "0"}, nil, "FORWARDED_FOR_HOPS"},
		{"forwarded hops too many", nil, map[string]string{"FORWARDED_FOR_HOPS": "9"}, "between 1 and 5"},
		{"pprof on a public address", []string{"-pprof", "0.0.0.0:6060"}, nil, "pprof address"},
		{"pprof without port", nil, map[string]string{"PPROF_ADDR": "127.0.0.1"}, "pprof address"},
		{"abandon timeout not a duration", nil, map[string]string{"ABANDON_TIMEOUT": "soon"}, "ABANDON_TIMEOUT"},
		{"abandon timeout too short", []string{"-abandon-timeout", "500ms"}, nil, "ABANDON_TIMEOUT (-abandon-timeout) 500ms: must be between 1s and 10m0s"},
		{"abandon timeout too long", nil, map[string]string{"ABANDON_TIMEOUT": "11m"}, "between 1s and 10m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, env(tt.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestImageContents checks what the Dockerfile promises without a Docker engine: the binary
// builds fully static (it runs on distroless/static), and the final stage runs as non-root.
func TestImageContents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out := filepath.Join(t.TempDir(), "chess-server")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	f, err := elf.Open(out)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "binary needs a dynamic loader; distroless/static has none")
	}

	df, err := os.Open("Dockerfile")
	require.NoError(t, err)
	defer df.Close()
	var lastFrom, lastUser string
	s := bufio.NewScanner(df)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			lastFrom, lastUser = fields[1], ""
		case "USER":
			lastUser = fields[1]
		}
	}
	assert.True(t, strings.HasPrefix(lastFrom, "gcr.io/distroless/static"), lastFrom)
	require.NotEmpty(t, lastUser, "final stage sets no USER")
	assert.NotRegexp(t, `^(0|root)(:|$)`, lastUser)
}

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	assert.Equal(t, 0, healthcheck(env(map[string]string{"LISTEN_ADDR": ":" + port})))
	assert.Equal(t, 0, healthcheck(env(map[string]string{"LISTEN_ADDR": "0.0.0.0:" + port})))
	srv.Close()
	assert.Equal(t, 1, healthcheck(env(map[string]string{"LISTEN_ADDR": ":" + port})), "server down")
	assert.Equal(t, 1, healthcheck(env(map[string]string{"LISTEN_ADDR": "nonsense"})))
}
