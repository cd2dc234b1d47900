package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o options)
	}{
		{name: "defaults", check: func(t *testing.T, o options) {
			assert.Equal(t, 8080, o.backendPort)
			assert.Equal(t, 3000, o.webPort)
			assert.Equal(t, "dev", o.webMode)
			assert.Equal(t, "auto", o.webBuild)
			assert.True(t, o.healthCheck)
			assert.False(t, o.seedServices)
			assert.False(t, o.stopOnEOF)
		}},
		{name: "test harness flags", args: []string{"-backend-port", "0", "-web-port", "0", "-web", "prod", "-web-build", "always",
			"-health-check=false", "-seed-services", "-stop-on-stdin-eof", "-backend-bin", "bin/chess-server", "-reports", "/tmp/r", "-state", "/tmp/s"},
			check: func(t *testing.T, o options) {
				assert.Equal(t, 0, o.backendPort)
				assert.Equal(t, 0, o.webPort)
				assert.Equal(t, "prod", o.webMode)
				assert.Equal(t, "always", o.webBuild)
				assert.False(t, o.healthCheck)
				assert.True(t, o.seedServices)
				assert.True(t, o.stopOnEOF)
				assert.Equal(t, "bin/chess-server", o.backendBin)
				assert.Equal(t, "/tmp/r", o.reports)
				assert.Equal(t, "/tmp/s", o.state)
			}},
		{name: "negative port", args: []string{"-web-port", "-1"}, wantErr: "-web-port -1"},
		{name: "port too big", args: []string{"-backend-port", "70000"}, wantErr: "-backend-port 70000"},
		{name: "bad web mode", args: []string{"-web", "staging"}, wantErr: `-web "staging"`},
		{name: "bad build mode", args: []string{"-web-build", "never"}, wantErr: `-web-build "never"`},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(tc.args)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, o)
		})
	}
}

func TestPickPorts(t *testing.T) {
	o := options{backendPort: 0, webPort: 0}
	require.NoError(t, pickPorts(&o))
	assert.NotZero(t, o.backendPort)
	assert.NotZero(t, o.webPort)
	assert.NotEqual(t, o.backendPort, o.webPort)

	fixed := options{backendPort: 8080, webPort: 0}
	require.NoError(t, pickPorts(&fixed))
	assert.Equal(t, 8080, fixed.backendPort)
	assert.NotEqual(t, 8080, fixed.webPort)

	same := options{backendPort: 9000, webPort: 9000}
	assert.ErrorContains(t, pickPorts(&same), "both 9000")
}

func touch(t *testing.T, path string, at time.Time) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
	require.NoError(t, os.Chtimes(path, at, at))
}

func TestWebBuildFresh(t *testing.T) {
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	touch(t, filepath.Join(dir, "src", "app", "page.tsx"), base)
	touch(t, filepath.Join(dir, "package-lock.json"), base)

	fresh, why := webBuildFresh(dir)
	assert.False(t, fresh)
	assert.Contains(t, why, "no complete build")

	touch(t, filepath.Join(dir, buildMarker), base.Add(time.Minute))
	fresh, why = webBuildFresh(dir)
	assert.True(t, fresh, why)

	// An edited source file, a new dependency, or a test outside the inputs.
	touch(t, filepath.Join(dir, "e2e", "game.e2e.ts"), base.Add(2*time.Minute))
	fresh, _ = webBuildFresh(dir)
	assert.True(t, fresh, "e2e tests are not build inputs")

	touch(t, filepath.Join(dir, "src", "components", "Board.tsx"), base.Add(2*time.Minute))
	fresh, why = webBuildFresh(dir)
	assert.False(t, fresh)
	assert.Contains(t, why, filepath.Join("src", "components", "Board.tsx"))

	touch(t, filepath.Join(dir, buildMarker), base.Add(3*time.Minute))
	touch(t, filepath.Join(dir, "package-lock.json"), base.Add(4*time.Minute))
	fresh, why = webBuildFresh(dir)
	assert.False(t, fresh)
	assert.Contains(t, why, "package-lock.json")
}

func TestSeedFile(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "fixture.json"), filepath.Join(dir, "reports", "services.json")
	require.NoError(t, os.WriteFile(src, []byte(`{"a":1}`), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))

	seeded, err := seedFile(src, dst)
	require.NoError(t, err)
	assert.True(t, seeded)
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(b))

	// A real listing is never replaced by the sample.
	require.NoError(t, os.WriteFile(dst, []byte(`{"real":true}`), 0o644))
	seeded, err = seedFile(src, dst)
	require.NoError(t, err)
	assert.False(t, seeded)
	b, _ = os.ReadFile(dst)
	assert.JSONEq(t, `{"real":true}`, string(b))

	_, err = seedFile(filepath.Join(dir, "missing.json"), filepath.Join(dir, "other.json"))
	assert.Error(t, err)
}

func TestStopAtEOF(t *testing.T) {
	r, w := io.Pipe()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := stopAtEOF(context.Background(), r, log)
	_, _ = w.Write([]byte("data is ignored\n"))
	select {
	case <-ctx.Done():
		t.Fatal("stopped while stdin is open")
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, w.Close())
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not stopped after stdin closed")
	}
}

// TestOperatorCredential: a run gets a fresh operator secret in <state>/operator-secret, readable
// only by its owner; a given OPERATOR_SECRET is used as it is, a short one is refused by name.
func TestOperatorCredential(t *testing.T) {
	state := t.TempDir()
	secret, file, err := operatorCredential(state, "")
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{64}$`, secret)
	assert.Equal(t, filepath.Join(state, "operator-secret"), file)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, secret+"\n", string(b))
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	again, _, err := operatorCredential(state, "")
	require.NoError(t, err)
	assert.NotEqual(t, secret, again, "every run gets its own")

	given := "given-operator-secret-of-at-least-32-chars"
	got, _, err := operatorCredential(state, given)
	require.NoError(t, err)
	assert.Equal(t, given, got)

	_, _, err = operatorCredential(state, "short")
	assert.ErrorContains(t, err, "OPERATOR_SECRET has 5 characters")
}
