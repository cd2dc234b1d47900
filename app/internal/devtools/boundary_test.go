// Package devtools_test checks the boundary of app/internal/devtools: tools for tests, the load
// generator and `make dev`, which the product binaries must never link.
package devtools_test

import (
	"os/exec"
	"strings"
	"testing"
)

// products are the binaries that are deployed.
var products = []string{"./app/cmd/chess-server", "./app/cmd/ws-authorizer", "./app/cmd/secret-rotator"}

func TestNoProductBinaryImportsTheTools(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	for _, p := range products {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", p)
		cmd.Dir = strings.TrimSpace(string(root))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed only %v", p, deps)
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "chessplatform/app/internal/devtools") {
				t.Errorf("%s imports %s: the tools must stay out of the product", p, d)
			}
		}
	}
}
