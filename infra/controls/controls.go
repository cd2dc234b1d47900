// Package controls is the catalogue of security controls the infrastructure tests enforce on
// the resources a Pulumi program records under the mocks (infra/infratest).
//
// What is product and what is test support:
//   - Product (the project's security specification): the rules themselves — their ids and
//     titles, what each check accepts — and the allow-lists beside them (StarOnlyActions,
//     ManagedPolicies, RotationExempt, NoContainerHealthCheck). docs/infra.md describes them,
//     the `waives` tags of infra/config name rules by id, and changing one changes what the stack
//     promises.
//   - Test support: everything that runs them (Control, Configured, Require, Breakable, Prop,
//     Break) and the readers of recorded resources (Graph, PolicyDocuments, Containers,
//     InProviderRegions). Nothing here is deployed or linked into the program: only _test.go
//     files import the package (TestImportedOnlyByTests).
//
// Each rule is a named top-level value in the file of its AWS service (rds.go, waf.go, ...),
// named after its checklist id (FSBP / Checkov, or a design rule). A rule checks EXPLICIT
// settings in the recorded inputs: a property the program leaves to a provider default fails,
// because the mock cannot see provider defaults and neither can a reviewer. The list functions
// (RDS, WAF, Network, ...) gather the rules of a service; component tests run their component's
// lists, the whole-stack test all of them. An error of a listed rule starts with the rule's Go
// name and id, so a failing test names the rule.
//
// Props name the properties a control enforces; Breakable deletes each of them (and sets its
// insecure value) in a copy of the recorded resources and requires the check to fail, which
// proves the control cannot pass vacuously.
package controls

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/infratest"
)

// Control is one enforced security control.
type Control struct {
	// Name is the Go name of the variable that declares the rule, e.g. "rdsStorageEncrypted".
	Name string
	// ID is the control id and title, e.g. "RDS.3 storage encrypted with CMK"; test cases and
	// config waivers use it verbatim.
	ID string
	// Check returns an error naming every offending resource, or nil.
	Check func(infratest.Recorded) error
	// Props are the properties the control enforces (see Breakable).
	Props []Prop
	// Breaks are named mutations the control must fail on, for what Props cannot reach:
	// fields inside JSON documents (container definitions) or relations between resources.
	Breaks []Break
}

// String names the rule by its Go name and id.
func (c Control) String() string { return c.Name + " (" + c.ID + ")" }

// Configured is a rule whose check compares the recorded resources with configured values P
// (NetworkParams, ServiceParams, EdgeParams); For binds the values.
type Configured[P any] struct {
	Name   string
	ID     string
	Check  func(P, infratest.Recorded) error
	Props  []Prop
	Breaks []Break
}

// For is the rule with its configured values bound.
func (r Configured[P]) For(p P) Control {
	check := r.Check
	return Control{Name: r.Name, ID: r.ID, Props: r.Props, Breaks: r.Breaks,
		Check: func(rec infratest.Recorded) error { return check(p, rec) }}
}

// named is the list of rules cs with checks whose errors start with the rule's Go name and id,
// so a failure names the rule whichever test runs it. Every list function returns named rules.
func named(cs ...Control) []Control {
	out := make([]Control, len(cs))
	for i, c := range cs {
		check := c.Check
		c.Check = func(rec infratest.Recorded) error {
			if err := check(rec); err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			return nil
		}
		out[i] = c
	}
	return out
}

// Break is one named mutation of a copy of the recorded resources.
type Break struct {
	Name  string
	Apply func(infratest.Set) infratest.Set
}

// Prop is one enforced top-level input of a resource type, with an insecure value to try.
type Prop struct {
	Type string
	Key  string
	Bad  any // nil: only removal is tried; AbsentIsSecure(v): only v is tried
}

// absentIsSecure wraps the Bad value of a property whose secure state is its absence.
type absentIsSecure struct{ v any }

// AbsentIsSecure marks a property whose secure state is absence (e.g. a literal password):
// Breakable only tries setting it to v.
func AbsentIsSecure(v any) any { return absentIsSecure{v} }

// Require runs each control as a subtest named by its ID, failing on any violation.
func Require(t *testing.T, rec infratest.Recorded, cs []Control) {
	t.Helper()
	for _, c := range cs {
		t.Run(c.ID, func(t *testing.T) {
			require.NoError(t, c.Check(rec), "control %s", c)
		})
	}
}

// Breakable proves each control fails when one of its properties is removed or set to its
// insecure value in a copy of rec.
func Breakable(t *testing.T, rec infratest.Set, cs []Control) {
	t.Helper()
	for _, c := range cs {
		for _, p := range c.Props {
			require.NotEmpty(t, rec.ByType(p.Type), "%s: no %s recorded to break", c, p.Type)
			bad, onlyBad := p.Bad.(absentIsSecure)
			if onlyBad {
				p.Bad = bad.v
			} else {
				t.Run(c.ID+"/without "+p.Key, func(t *testing.T) {
					require.Error(t, c.Check(rec.WithInput(p.Type, p.Key, nil)), "removing %s.%s must fail %s", p.Type, p.Key, c)
				})
			}
			if p.Bad != nil {
				v := resource.NewPropertyValue(p.Bad)
				t.Run(fmt.Sprintf("%s/%s=%v", c.ID, p.Key, p.Bad), func(t *testing.T) {
					require.Error(t, c.Check(rec.WithInput(p.Type, p.Key, &v)), "setting %s.%s=%v must fail %s", p.Type, p.Key, p.Bad, c)
				})
			}
		}
		for _, br := range c.Breaks {
			t.Run(c.ID+"/"+br.Name, func(t *testing.T) {
				require.Error(t, c.Check(br.Apply(copySet(rec))), "%s must fail %s", br.Name, c)
			})
		}
	}
}

// copySet deep-copies the inputs and outputs of every resource.
func copySet(rec infratest.Set) infratest.Set {
	out := make(infratest.Set, len(rec))
	for i, r := range rec {
		r.Inputs, r.Outputs = r.Inputs.Copy(), r.Outputs.Copy()
		out[i] = r
	}
	return out
}

// IDs lists the ids of cs.
func IDs(cs []Control) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
