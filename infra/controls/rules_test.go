package controls

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/infratest"
)

// every is every list of the package, as the whole-stack test (infra/stack) runs them.
func every() []Control {
	var all []Control
	for _, cs := range [][]Control{
		Foundation(NetworkParams{AZCount: 2}), ECS(), ALB(ServiceParams{}), ECR(), APIGateway(), ServicesIAM(), PolicyWalk(),
		EdgeControls(EdgeParams{Region: "eu-west-1"}), IAMWalk(), SecretRotation(),
	} {
		all = append(all, cs...)
	}
	return all
}

// declaredRules maps the name of every top-level variable of the package declared as a Control
// or Configured literal to the Name its literal sets.
func declaredRules(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Names) != 1 || len(vs.Values) != 1 {
					continue
				}
				lit, ok := vs.Values[0].(*ast.CompositeLit)
				if !ok || !isRuleType(lit.Type) {
					continue
				}
				out[vs.Names[0].Name] = ""
				for _, el := range lit.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if key, _ := kv.Key.(*ast.Ident); key == nil || key.Name != "Name" {
						continue
					}
					if s, ok := kv.Value.(*ast.BasicLit); ok {
						out[vs.Names[0].Name], _ = strconv.Unquote(s.Value)
					}
				}
			}
		}
	}
	return out
}

func isRuleType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "Control"
	case *ast.IndexExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "Configured"
	}
	return false
}

// TestEveryRuleIsListedOnceUnderItsGoName: each rule is a top-level value whose Name is its Go
// name, and every list of the package together holds each rule exactly once, with a unique id
// and something Breakable can break. A rule declared but never listed would never run.
func TestEveryRuleIsListedOnceUnderItsGoName(t *testing.T) {
	declared := declaredRules(t)
	require.NotEmpty(t, declared)
	listed := map[string]int{}
	ids := map[string]bool{}
	for _, c := range every() {
		listed[c.Name]++
		assert.False(t, ids[c.ID], "duplicate control id %q", c.ID)
		ids[c.ID] = true
		assert.True(t, len(c.Props)+len(c.Breaks) > 0, "%s has nothing to break", c)
	}
	for name, set := range declared {
		assert.Equal(t, name, set, "variable %s declares Name %q", name, set)
		assert.Equal(t, 1, listed[name], "rule %s is listed %d times", name, listed[name])
	}
	for name := range listed {
		_, ok := declared[name]
		assert.True(t, ok, "listed rule %s is not a top-level value", name)
	}
	assert.True(t, ids[CloudFrontTLSID])
}

// TestFailureNamesTheRule: a listed rule's error starts with its Go name and id, whether it was
// declared with fixed or configured values.
func TestFailureNamesTheRule(t *testing.T) {
	empty := infratest.Set{}
	err := RDS()[0].Check(empty)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "dbEncrypted (RDS.3 storage encrypted with CMK): "), err.Error())

	var configured Control
	for _, c := range Network(NetworkParams{AZCount: 2}) {
		if c.Name == "subnetsNoPublicIP" {
			configured = c
		}
	}
	err = configured.Check(empty)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "subnetsNoPublicIP (EC2.15 subnets do not assign public IPs): want at least 6 "), err.Error())
}

// TestImportedOnlyByTests: the package is test support; no product file of the repository
// imports it.
func TestImportedOnlyByTests(t *testing.T) {
	const self = "chessplatform/infra/controls"
	root := infratest.RepoRoot(t)
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", ".dev", "bin", "dist", ".next":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == self {
				t.Errorf("%s imports %s, which is test support", path, self)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, checked, 100, "product files walked")
	_, err = os.Stat(filepath.Join(root, "infra", "controls", "controls.go"))
	require.NoError(t, err, "the walk starts at the repository root")
}
