package infratest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/require"
)

// RepoRoot is the directory holding go.mod and Pulumi.yaml.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no Pulumi.yaml above the test directory")
		dir = parent
	}
}

// LoadProject parses Pulumi.yaml with the Pulumi SDK's own loader (which validates the schema).
func LoadProject(t testing.TB) *workspace.Project {
	t.Helper()
	p, err := workspace.LoadProject(filepath.Join(RepoRoot(t), "Pulumi.yaml"))
	require.NoError(t, err)
	return p
}

// StackConfig reads Pulumi.<stack>.yaml into a flat "namespace:key" -> value map, ready for
// WithConfig, so whole-stack tests run the committed stack settings.
func StackConfig(t testing.TB, stack string) map[string]string {
	t.Helper()
	cfg, err := stackConfig(RepoRoot(t), LoadProject(t), stack)
	require.NoError(t, err)
	return cfg
}

func stackConfig(root string, p *workspace.Project, stack string) (map[string]string, error) {
	path := filepath.Join(root, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("stack file: %w", err)
	}
	ps, err := workspace.LoadProjectStack(nil, p, path) // nil sink: no warnings printed
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	out := map[string]string{}
	for k, v := range ps.Config {
		if v.Secure() {
			return nil, fmt.Errorf("%s: %s is encrypted; unit tests only read plaintext settings", path, k)
		}
		s, err := v.Value(config.NopDecrypter)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		out[k.String()] = s
	}
	return out, nil
}
