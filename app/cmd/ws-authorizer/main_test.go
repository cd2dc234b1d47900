package main

import (
	"archive/zip"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
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
	if testing.Short() {
		t.Skip("cross-compiles the Lambda")
	}
	if _, err := exec.LookPath("zip"); err != nil {
		t.Skip("zip is not installed (.ci/run installs it)")
	}
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "mk", "lambda.mk"))
	dist := t.TempDir()
	cmd := exec.Command("make", "-C", root, "build-authorizer", "DIST_DIR="+dist)
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, string(outb))

	zr, err := zip.OpenReader(filepath.Join(dist, "ws-authorizer.zip"))
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1)
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name)
	assert.NotZero(t, f.Mode().Perm()&0o111, "bootstrap is executable: %v", f.Mode())

	rc, err := f.Open()
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	w, err := os.Create(bin)
	require.NoError(t, err)
	_, err = io.Copy(w, rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.NoError(t, w.Close())

	ef, err := elf.Open(bin)
	require.NoError(t, err)
	defer ef.Close()
	assert.Equal(t, elf.EM_AARCH64, ef.Machine)
	for _, p := range ef.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "static binary: no dynamic loader")
	}
	bi, err := buildinfo.ReadFile(bin)
	require.NoError(t, err)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	assert.Equal(t, "lambda.norpc", settings["-tags"])
	assert.Equal(t, "arm64", settings["GOARCH"])
	assert.Equal(t, "linux", settings["GOOS"])
	assert.Equal(t, "0", settings["CGO_ENABLED"])
	assert.Equal(t, "chessplatform/app/cmd/ws-authorizer", bi.Path)
}
