package infratest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// childURN is the URN of a resource registered under parent, as the engine computes it (the
// root stack adds no type to the chain).
func childURN(parent, typ, name string) string {
	p := resource.URN(parent)
	if p == "" || !p.IsValid() {
		return ""
	}
	parentType := tokens.Type("")
	if p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(p.Stack(), p.Project(), parentType, tokens.Type(typ), name))
}

// AliasURNs resolves every recorded resource's aliases to URNs the way the engine does: its own
// alias specs (defaults: its name, type, parent, project and stack), and, for each alias URN of
// its parent, the same resource under that parent alias, with the parent's old name
// substituted when the child's name starts with the parent's name (so renaming a component
// also renames "<name>-vpc" back). Under mocks nothing else computes them: the SDK sends specs
// and leaves inheritance to the engine. Keys are the resources' URNs.
func AliasURNs(rs []Resource) (map[string][]string, error) {
	out := map[string][]string{}
	for _, r := range rs {
		if r.URN == "" {
			continue
		}
		urn := resource.URN(r.URN)
		seen := map[string]bool{r.URN: true}
		var all []string
		add := func(u string) {
			if !seen[u] {
				seen[u] = true
				all = append(all, u)
			}
		}
		var own []resource.URN
		for _, a := range r.Aliases {
			u, err := collapse(a, r, urn)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.URN, err)
			}
			own = append(own, u)
			add(string(u))
		}
		if parent := resource.URN(r.Parent); parent != "" {
			for _, pa := range out[r.Parent] {
				add(string(inheritedChildAlias(tokens.Type(r.Type), r.Name, parent.Name(), resource.URN(pa))))
				for _, o := range own {
					add(string(inheritedChildAlias(o.Type(), o.Name(), parent.Name(), resource.URN(pa))))
				}
			}
		}
		out[r.URN] = all
	}
	return out, nil
}

// collapse turns one alias spec into a URN.
func collapse(a *pulumirpc.Alias, r Resource, urn resource.URN) (resource.URN, error) {
	if u := a.GetUrn(); u != "" {
		return resource.URN(u), nil
	}
	spec := a.GetSpec()
	if spec == nil {
		return "", fmt.Errorf("alias %v has neither URN nor spec", a)
	}
	name, typ, project, stack := spec.GetName(), spec.GetType(), spec.GetProject(), spec.GetStack()
	if name == "" {
		name = r.Name
	}
	if typ == "" {
		typ = r.Type
	}
	if project == "" {
		project = string(urn.Project())
	}
	if stack == "" {
		stack = string(urn.Stack())
	}
	parent := r.Parent
	switch {
	case spec.GetNoParent():
		parent = ""
	case spec.GetParentUrn() != "":
		parent = spec.GetParentUrn()
	}
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return resource.NewURN(tokens.QName(stack), tokens.PackageName(project), parentType, tokens.Type(typ), name), nil
}

// inheritedChildAlias is the engine's rule: a child keeps its name under the parent's alias,
// except that a name prefixed with the parent's name takes the alias's name as prefix.
func inheritedChildAlias(childType tokens.Type, childName, parentName string, parentAlias resource.URN) resource.URN {
	name := childName
	if strings.HasPrefix(childName, parentName) {
		name = parentAlias.Name() + strings.TrimPrefix(childName, parentName)
	}
	return resource.NewURN(parentAlias.Stack(), parentAlias.Project(), parentAlias.QualifiedType(), childType, name)
}

// Moves checks a program's resources against the URNs of an earlier version of it: every old
// URN must still be registered, or be an alias of exactly one registered resource (otherwise
// the engine would delete that resource and create a new one). It returns the moves (old URN ->
// new URN) and the old URNs that are neither, sorted.
func Moves(old []string, rs []Resource) (moved map[string]string, lost []string, err error) {
	aliases, err := AliasURNs(rs)
	if err != nil {
		return nil, nil, err
	}
	current := map[string]bool{}
	by := map[string]string{}
	for _, r := range rs {
		current[r.URN] = true
	}
	for u, as := range aliases {
		for _, a := range as {
			if prev, dup := by[a]; dup {
				return nil, nil, fmt.Errorf("alias %s is claimed by %s and %s", a, prev, u)
			}
			by[a] = u
		}
	}
	moved = map[string]string{}
	for _, o := range old {
		switch {
		case current[o]:
			// Unchanged. An alias that names a registered resource would be ambiguous.
			if u, ok := by[o]; ok {
				return nil, nil, fmt.Errorf("%s is registered and also an alias of %s", o, u)
			}
		case by[o] != "":
			moved[o] = by[o]
		default:
			lost = append(lost, o)
		}
	}
	sort.Strings(lost)
	return moved, lost, nil
}

// URNs returns the URNs of the recorded resources, sorted.
func URNs(rs []Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.URN != "" {
			out = append(out, r.URN)
		}
	}
	sort.Strings(out)
	return out
}
