package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMakeTestRunsThisPackage checks that `make test` (what .ci/run runs on a clean clone) runs
// these tests: its go test command covers this package, without -short (which skips them) and
// with a timeout they fit in; and that `make test` and .ci/run first install the servers they
// start (scripts/deps.sh).
func TestMakeTestRunsThisPackage(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	require.NoError(t, err)
	root := strings.TrimSpace(string(out))
	self, err := exec.Command("go", "list", ".").Output()
	require.NoError(t, err)
	pkg := strings.TrimSpace(string(self))

	// Under `make test` itself this is a sub-make: without the parent's flags and level it
	// prints neither "Entering directory" lines nor jobserver notes around the dry run.
	mk := exec.Command("make", "--no-print-directory", "-n", "test")
	mk.Dir = root
	mk.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL"
	})
	dry, err := mk.CombinedOutput()
	require.NoError(t, err, "make -n test:\n%s", dry)
	var runs [][]string
	for _, line := range strings.Split(string(dry), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && filepath.Base(f[0]) == "go" && f[1] == "test" && !slices.Contains(f, "-fuzz") {
			runs = append(runs, f[2:])
		}
	}
	require.NotEmpty(t, runs, "make test runs no go test:\n%s", dry)

	covered := false
	for _, args := range runs {
		var patterns []string
		timeout := 10 * time.Minute // go test's default
		for i, a := range args {
			switch {
			case strings.HasPrefix(a, "./") || a == ".":
				patterns = append(patterns, a)
			case a == "-timeout" && i+1 < len(args):
				d, err := time.ParseDuration(args[i+1])
				require.NoError(t, err, "%v", args)
				timeout = d
			}
		}
		if len(patterns) == 0 {
			continue
		}
		list := exec.Command("go", append([]string{"list"}, patterns...)...)
		list.Dir = root
		pkgs, err := list.Output()
		require.NoError(t, err, "go list %v", patterns)
		if !slices.Contains(strings.Fields(string(pkgs)), pkg) {
			continue
		}
		covered = true
		assert.NotContains(t, args, "-short", "make test skips the integration tests")
		assert.False(t, slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-run") || strings.HasPrefix(a, "-skip") }),
			"make test filters tests: %v", args)
		assert.GreaterOrEqual(t, timeout, 5*time.Minute, "go test timeout of make test")
		t.Logf("make test runs: go test %s (server built with -race: %v)", strings.Join(args, " "), slices.Contains(args, "-race"))
	}
	require.True(t, covered, "no go test run of make test covers %s:\n%s", pkg, dry)

	first, _, _ := strings.Cut(strings.TrimSpace(string(dry)), "\n")
	assert.Equal(t, "scripts/deps.sh", strings.TrimSpace(first), "the first thing make test runs")
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	require.NoError(t, err)
	for _, want := range []string{"scripts/deps.sh", "make test"} {
		assert.Contains(t, string(ci), want, ".ci/run")
	}
	deps, err := os.ReadFile(filepath.Join(root, "scripts", "deps.sh"))
	require.NoError(t, err)
	for _, want := range []string{"|| echo redis-server", "|| echo postgresql"} {
		assert.Contains(t, string(deps), want, "scripts/deps.sh")
	}
}
