// Package lambdatest checks the Lambda artifacts the Makefile builds for the provided.al2023
// runtime, for the tests of each function's command.
package lambdatest

import (
	"archive/zip"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RequireBuild runs `make <target>` from the repository root (root, relative to the calling
// test's directory) into a temporary DIST_DIR and checks that <zipName> holds exactly one
// executable named bootstrap: a static linux/arm64 binary of pkgPath built with lambda.norpc.
func RequireBuild(t *testing.T, root, target, zipName, pkgPath string) {
	t.Helper()
	if testing.Short() {
		t.Skip("cross-compiles the Lambda")
	}
	if _, err := exec.LookPath("zip"); err != nil {
		t.Skip("zip is not installed (.ci/run installs it)")
	}
	root, err := filepath.Abs(root)
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "mk", "lambda.mk"))
	dist := t.TempDir()
	outb, err := exec.Command("make", "-C", root, target, "DIST_DIR="+dist).CombinedOutput()
	require.NoError(t, err, string(outb))

	zr, err := zip.OpenReader(filepath.Join(dist, zipName))
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1)
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name)
	assert.NotZero(t, f.Mode().Perm()&0o111, "bootstrap is executable: %v", f.Mode())
	bin := extract(t, f)

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
	assert.Equal(t, pkgPath, bi.Path)
}

func extract(t *testing.T, f *zip.File) string {
	t.Helper()
	rc, err := f.Open()
	require.NoError(t, err)
	defer rc.Close()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	w, err := os.Create(bin)
	require.NoError(t, err)
	_, err = io.Copy(w, rc)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return bin
}
