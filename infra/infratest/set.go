package infratest

import (
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Recorded is a queryable set of recorded resources: *Mocks after a run, or a Set (e.g. a
// mutated copy used to prove a security check fails).
type Recorded interface {
	Resources() []Resource
	ByType(token string) []Resource
	ByID(id string) (Resource, bool)
}

// Set is a plain list of recorded resources.
type Set []Resource

// Snapshot copies the recorded resources into a Set; mutating the Set leaves m untouched.
func (m *Mocks) Snapshot() Set {
	rs := m.Resources()
	out := make(Set, len(rs))
	for i, r := range rs {
		r.Inputs = r.Inputs.Copy()
		r.Outputs = r.Outputs.Copy()
		out[i] = r
	}
	return out
}

// Resources returns the set.
func (s Set) Resources() []Resource { return s }

// ByType returns the resources of one type.
func (s Set) ByType(token string) []Resource {
	var out []Resource
	for _, r := range s {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// ByID returns the resource with an id.
func (s Set) ByID(id string) (Resource, bool) {
	for _, r := range s {
		if r.ID != "" && r.ID == id {
			return r, true
		}
	}
	return Resource{}, false
}

// WithInput returns a copy of s in which every resource of the type has the top-level input key
// set to v (the same value also replaces the output), or removed when v is nil.
func (s Set) WithInput(token, key string, v *resource.PropertyValue) Set {
	out := make(Set, len(s))
	for i, r := range s {
		if r.Type == token {
			r.Inputs = maps.Clone(r.Inputs)
			r.Outputs = maps.Clone(r.Outputs)
			k := resource.PropertyKey(key)
			if v == nil {
				delete(r.Inputs, k)
				delete(r.Outputs, k)
			} else {
				r.Inputs[k] = *v
				r.Outputs[k] = *v
			}
		}
		out[i] = r
	}
	return out
}

// ByOutput returns the resources of a type whose string output key equals value, e.g. the KMS
// key whose "arn" a log group's kmsKeyId names.
func ByOutput(rec Recorded, token, key, value string) []Resource {
	var out []Resource
	for _, r := range rec.ByType(token) {
		if v, ok := r.Output(key); ok && v.IsString() && v.StringValue() == value {
			out = append(out, r)
		}
	}
	return out
}
