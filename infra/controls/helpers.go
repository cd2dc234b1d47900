package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

// Readers of recorded resources shared by the rules of several services.

func label(r infratest.Resource) string { return r.Type + " " + r.Name }

// each applies fn to every resource of a type and requires at least atLeast of them.
func each(rec infratest.Recorded, token string, atLeast int, fn func(infratest.Resource) error) error {
	rs := rec.ByType(token)
	if len(rs) < atLeast {
		return fmt.Errorf("want at least %d %s, found %d", atLeast, token, len(rs))
	}
	var errs []error
	for _, r := range rs {
		if err := fn(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label(r), err))
		}
	}
	return errors.Join(errs...)
}

func isBool(r infratest.Resource, path string, want bool) error {
	v, ok := r.Bool(path)
	if !ok {
		return fmt.Errorf("%s is not set explicitly (want %v)", path, want)
	}
	if v != want {
		return fmt.Errorf("%s is %v, want %v", path, v, want)
	}
	return nil
}

func isStr(r infratest.Resource, path, want string) error {
	v, ok := r.Str(path)
	if !ok {
		return fmt.Errorf("%s is not set explicitly (want %q)", path, want)
	}
	if v != want {
		return fmt.Errorf("%s is %q, want %q", path, v, want)
	}
	return nil
}

func intBetween(r infratest.Resource, path string, lo, hi int) error {
	v, ok := r.Int(path)
	if !ok {
		return fmt.Errorf("%s is not set explicitly (want %d to %d)", path, lo, hi)
	}
	if v < lo || v > hi {
		return fmt.Errorf("%s is %d, want %d to %d", path, v, lo, hi)
	}
	return nil
}

func nonEmpty(r infratest.Resource, path string) (string, error) {
	v, ok := r.Str(path)
	if !ok || v == "" {
		return "", fmt.Errorf("%s is not set", path)
	}
	return v, nil
}

// strAt is the string at path ("" when absent).
func strAt(r infratest.Resource, path string) string {
	s, _ := r.Str(path)
	return s
}

// outStr is a string output ("" when absent).
func outStr(r infratest.Resource, key string) string {
	v, ok := r.Output(key)
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// oneByOutput is the only resource of a type whose output key equals value.
func oneByOutput(rec infratest.Recorded, token, key, value string) (infratest.Resource, bool) {
	rs := infratest.ByOutput(rec, token, key, value)
	if value == "" || len(rs) != 1 {
		return infratest.Resource{}, false
	}
	return rs[0], true
}

func hasID(rec infratest.Recorded, token, id string) bool {
	r, ok := rec.ByID(id)
	return ok && r.Type == token
}

// sub is the object at path as a resource of its own, so nested blocks (rules, origins,
// behaviours) read with the same accessors.
func sub(r infratest.Resource, path string) (infratest.Resource, bool) {
	v, ok := r.Get(path)
	if !ok || !v.IsObject() {
		return infratest.Resource{}, false
	}
	return infratest.Resource{Type: r.Type, Name: r.Name + "." + path, Inputs: v.ObjectValue()}, true
}

// items are the objects of the list at path.
func items(r infratest.Resource, path string) []infratest.Resource {
	var out []infratest.Resource
	for i := 0; i < r.Len(path); i++ {
		if s, ok := sub(r, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// cmk requires the input at path to be the ARN of a customer managed key the stack creates
// (not an alias, not an AWS managed key).
func cmk(rec infratest.Recorded, r infratest.Resource, path string) error {
	arn, err := nonEmpty(r, path)
	if err != nil {
		return fmt.Errorf("%w (want a customer managed KMS key ARN)", err)
	}
	if len(infratest.ByOutput(rec, TKMSKey, "arn", arn)) != 1 {
		return fmt.Errorf("%s %q is not the ARN of a KMS key created by the stack", path, arn)
	}
	return nil
}

// keyOwner is the type of the component that owns the CMK named at path.
func keyOwner(rec infratest.Recorded, r infratest.Resource, path string) string {
	arn, _ := r.Str(path)
	keys := infratest.ByOutput(rec, TKMSKey, "arn", arn)
	if len(keys) != 1 {
		return ""
	}
	return keys[0].ParentType()
}

// subnetIDsByTier maps each tier tag (public, private, isolated) to its subnet ids.
func subnetIDsByTier(rec infratest.Recorded) map[string][]string {
	out := map[string][]string{}
	for _, s := range rec.ByType(TSubnet) {
		tier := s.Tags()["Tier"]
		out[tier] = append(out[tier], s.ID)
	}
	return out
}

// paramsOf resolves the parameter group r names in parameterGroupName.
func paramsOf(rec infratest.Recorded, r infratest.Resource, groupType string) (map[string]string, error) {
	name, err := nonEmpty(r, "parameterGroupName")
	if err != nil {
		return nil, err
	}
	groups := infratest.ByOutput(rec, groupType, "name", name)
	if len(groups) != 1 {
		return nil, fmt.Errorf("parameterGroupName %q is not a parameter group of the stack", name)
	}
	return parameters(groups[0]), nil
}

// parameters reads a parameter group's name=value pairs.
func parameters(r infratest.Resource) map[string]string {
	out := map[string]string{}
	for i := 0; i < r.Len("parameters"); i++ {
		n, _ := r.Str(fmt.Sprintf("parameters[%d].name", i))
		v, _ := r.Str(fmt.Sprintf("parameters[%d].value", i))
		out[n] = v
	}
	return out
}

// inIsolatedSubnets requires the subnet group named by path on r to exist and list only
// isolated subnets, in at least two AZs.
func inIsolatedSubnets(rec infratest.Recorded, r infratest.Resource, path, groupType string) error {
	name, err := nonEmpty(r, path)
	if err != nil {
		return err
	}
	groups := infratest.ByOutput(rec, groupType, "name", name)
	if len(groups) != 1 {
		return fmt.Errorf("%s %q is not a subnet group created by the stack", path, name)
	}
	ids := groups[0].Strings("subnetIds")
	if len(ids) < 2 {
		return fmt.Errorf("subnet group %s has %d subnets, want at least 2 AZs", name, len(ids))
	}
	isolated := subnetIDsByTier(rec)["isolated"]
	for _, id := range ids {
		if !slices.Contains(isolated, id) {
			return fmt.Errorf("subnet group %s includes %s, which is not an isolated subnet", name, id)
		}
	}
	return nil
}

// serviceStatements are the Allow statements of doc granted to a service principal whose name
// starts with service ("cloudfront." matches cloudfront.amazonaws.com).
func serviceStatements(doc iampolicy.Document, service string) []iampolicy.Statement {
	var out []iampolicy.Statement
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || s.Principal == nil {
			continue
		}
		for _, p := range s.Principal.Service {
			if strings.HasPrefix(p, service) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// condition is the values of a condition key under an operator.
func condition(s iampolicy.Statement, op, key string) []string {
	for k, v := range s.Condition[op] {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func hasAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// edit is a Break that rewrites the inputs of every resource of a type.
func edit(name, token string, fn func(r infratest.Resource, in resource.PropertyMap)) Break {
	return Break{Name: name, Apply: func(rec infratest.Set) infratest.Set {
		for i, r := range rec {
			if r.Type == token {
				fn(r, rec[i].Inputs)
			}
		}
		return rec
	}}
}

// mapStr is the string under k in a decoded JSON object ("" when absent).
func mapStr(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
