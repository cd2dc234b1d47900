package infratest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/iampolicy"
)

// Get reads an input by path: "storageEncrypted", "parameters[0].name", "tags.Name". Secrets are
// unwrapped along the way. ok is false when any step is missing.
func (r Resource) Get(path string) (resource.PropertyValue, bool) {
	return lookup(r.Inputs, path)
}

// Output reads an output (inputs plus what the mock computed) by path.
func (r Resource) Output(path string) (resource.PropertyValue, bool) {
	return lookup(r.Outputs, path)
}

// Has reports whether the input path is present (explicitly set by the program).
func (r Resource) Has(path string) bool {
	_, ok := r.Get(path)
	return ok
}

// Str reads a string input; ok is false when absent or not a string.
func (r Resource) Str(path string) (string, bool) {
	v, ok := r.Get(path)
	if !ok || !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

// Bool reads a boolean input; ok is false when absent or not a boolean.
func (r Resource) Bool(path string) (bool, bool) {
	v, ok := r.Get(path)
	if !ok || !v.IsBool() {
		return false, false
	}
	return v.BoolValue(), true
}

// Int reads a number input as int; ok is false when absent or not a number.
func (r Resource) Int(path string) (int, bool) {
	v, ok := r.Get(path)
	if !ok || !v.IsNumber() {
		return 0, false
	}
	return int(v.NumberValue()), true
}

// Strings reads a list of strings; nil when absent.
func (r Resource) Strings(path string) []string {
	v, ok := r.Get(path)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		e = unwrap(e)
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// Len is the length of a list input (0 when absent).
func (r Resource) Len(path string) int {
	v, ok := r.Get(path)
	if !ok || !v.IsArray() {
		return 0
	}
	return len(v.ArrayValue())
}

// IsSecret reports whether the input at the top-level key was passed as a secret.
func (r Resource) IsSecret(key string) bool {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	return ok && v.ContainsSecrets()
}

// Tags returns the tags input.
func (r Resource) Tags() map[string]string {
	out := map[string]string{}
	v, ok := r.Get("tags")
	if !ok || !v.IsObject() {
		return out
	}
	for k, tv := range v.ObjectValue() {
		if tv = unwrap(tv); tv.IsString() {
			out[string(k)] = tv.StringValue()
		}
	}
	return out
}

// Plain returns the inputs as plain Go values with secrets unwrapped.
func (r Resource) Plain() map[string]any {
	return r.Inputs.MapRepl(nil, unwrapRepl)
}

// Policy decodes a policy document held as a JSON string input (e.g. "policy", "assumeRolePolicy").
func (r Resource) Policy(key string) (iampolicy.Document, error) {
	s, ok := r.Str(key)
	if !ok {
		return iampolicy.Document{}, fmt.Errorf("%s %s has no string input %q", r.Type, r.Name, key)
	}
	return iampolicy.Parse(s)
}

// ParentName is the logical name of the parent resource ("" for the stack root).
func (r Resource) ParentName() string {
	if i := strings.LastIndex(r.Parent, "::"); i >= 0 {
		return r.Parent[i+2:]
	}
	return ""
}

// ParentType is the type token of the parent resource ("" for the stack root).
func (r Resource) ParentType() string {
	parts := strings.Split(r.Parent, "::")
	if len(parts) < 2 {
		return ""
	}
	chain := parts[len(parts)-2]
	if i := strings.LastIndex(chain, "$"); i >= 0 {
		chain = chain[i+1:]
	}
	return chain
}

// IgnoresChanges reports whether the resource has ignoreChanges for prop.
func (r Resource) IgnoresChanges(prop string) bool {
	return slices.Contains(r.IgnoreChanges, prop)
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func unwrapRepl(v resource.PropertyValue) (any, bool) {
	if v.IsSecret() {
		return v.SecretValue().Element.MapRepl(nil, unwrapRepl), true
	}
	return nil, false
}

func lookup(m resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	cur := resource.NewObjectProperty(m)
	for _, seg := range strings.Split(path, ".") {
		name, idx := seg, []int(nil)
		if i := strings.IndexByte(seg, '['); i >= 0 {
			name = seg[:i]
			for _, part := range strings.Split(strings.TrimSuffix(seg[i+1:], "]"), "][") {
				n, err := strconv.Atoi(part)
				if err != nil {
					return resource.PropertyValue{}, false
				}
				idx = append(idx, n)
			}
		}
		cur = unwrap(cur)
		if name != "" {
			if !cur.IsObject() {
				return resource.PropertyValue{}, false
			}
			next, ok := cur.ObjectValue()[resource.PropertyKey(name)]
			if !ok {
				return resource.PropertyValue{}, false
			}
			cur = next
		}
		for _, n := range idx {
			cur = unwrap(cur)
			if !cur.IsArray() || n < 0 || n >= len(cur.ArrayValue()) {
				return resource.PropertyValue{}, false
			}
			cur = cur.ArrayValue()[n]
		}
	}
	cur = unwrap(cur)
	if cur.IsNull() {
		return resource.PropertyValue{}, false
	}
	return cur, true
}
