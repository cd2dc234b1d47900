package stack_test

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/infratest"
)

// recordURNs rewrites testdata/urns-<stack>.txt from the program as it is. Only for a change
// that adds or deliberately removes resources: the files hold the URNs of what is deployed, and
// TestNoURNLost compares every later version of the program against them.
var recordURNs = flag.Bool("urns.record", false, "rewrite testdata/urns-*.txt from the current program")

// TestNoURNLost proves that renames and moves keep every deployed resource: each URN the
// program registered before (testdata/urns-<stack>.txt, recorded from main before the renames
// of issue 15) is still registered, or is an alias (pulumi.Aliases, own or inherited from a
// parent, resolved as the engine does) of exactly one registered resource. A URN that is
// neither would make `pulumi up` delete that resource and create a new one.
func TestNoURNLost(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		for _, mode := range []struct {
			name string
			opts []pulumi.RunOption
		}{{"up", nil}, {"preview", []pulumi.RunOption{infratest.DryRun()}}} {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				m, _ := deploy(t, name, mode.opts...)
				rs := m.Resources()
				path := filepath.Join("testdata", "urns-"+name+".txt")
				if *recordURNs && mode.name == "up" {
					require.NoError(t, os.WriteFile(path, []byte(strings.Join(infratest.URNs(rs), "\n")+"\n"), 0o644))
				}
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				old := strings.Fields(string(b))
				require.NotEmpty(t, old)
				moved, lost, err := infratest.Moves(old, rs)
				require.NoError(t, err)
				require.Empty(t, lost, "deployed resources that would be replaced: neither registered nor aliased")
				keys := make([]string, 0, len(moved))
				for k := range moved {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					t.Logf("moved %s -> %s", k, moved[k])
				}
			})
		}
	}
}
