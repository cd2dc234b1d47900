// Package iampolicy builds IAM and KMS policy documents in Go.
//
// Documents are plain structs marshalled with encoding/json inside a typed ApplyT, never built by
// the iam.GetPolicyDocument invoke: under mocks an invoke returns whatever the mock says, while a
// document built here is exactly what the security tests read back (with Parse).
package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Version is the only current policy language version.
const Version = "2012-10-17"

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Action, Resource and Condition values always marshal as
// arrays; Parse accepts the single-string form too.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    List       `json:"Action,omitempty"`
	NotAction List       `json:"NotAction,omitempty"`
	Resource  List       `json:"Resource,omitempty"`
	Condition Conditions `json:"Condition,omitempty"`
}

// Principal names who a resource or trust policy applies to. Wildcard means "*".
type Principal struct {
	AWS       List `json:"AWS,omitempty"`
	Service   List `json:"Service,omitempty"`
	Federated List `json:"Federated,omitempty"`
	Wildcard  bool `json:"-"`
}

// Conditions maps an operator (StringEquals, ArnLike, Bool, ...) to condition keys and values.
type Conditions map[string]map[string]List

// List is a string list that unmarshals from a JSON string or array.
type List []string

// New returns a document with the current version and the given statements.
func New(statements ...Statement) Document {
	return Document{Version: Version, Statement: statements}
}

// JSON marshals the document after a structural check.
func (d Document) JSON() (string, error) {
	if d.Version != Version {
		return "", fmt.Errorf("iampolicy: version %q, want %q", d.Version, Version)
	}
	if len(d.Statement) == 0 {
		return "", errors.New("iampolicy: document has no statements")
	}
	for i, s := range d.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return "", fmt.Errorf("iampolicy: statement %d: effect %q, want Allow or Deny", i, s.Effect)
		}
		if len(s.Action) == 0 && len(s.NotAction) == 0 {
			return "", fmt.Errorf("iampolicy: statement %d (%s) has no action", i, s.Sid)
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("iampolicy: marshal: %w", err)
	}
	return string(b), nil
}

// Parse decodes a policy document, accepting every shape IAM accepts for lists and principals.
func Parse(s string) (Document, error) {
	var d Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return Document{}, fmt.Errorf("iampolicy: parse: %w", err)
	}
	return d, nil
}

// Render builds a document from one output value inside a typed apply.
func Render(in pulumi.StringInput, build func(string) Document) pulumi.StringOutput {
	return in.ToStringOutput().ApplyT(func(v string) (string, error) {
		return build(v).JSON()
	}).(pulumi.StringOutput)
}

// RenderAll builds a document from several output values, passed to build in order.
func RenderAll(in pulumi.StringArrayInput, build func([]string) Document) pulumi.StringOutput {
	return in.ToStringArrayOutput().ApplyT(func(v []string) (string, error) {
		return build(v).JSON()
	}).(pulumi.StringOutput)
}

// ServiceTrust is an assume-role policy for one AWS service principal, limited to calls made on
// behalf of this account (confused-deputy protection with aws:SourceAccount).
func ServiceTrust(servicePrincipal, accountID string) Document {
	return New(Statement{
		Sid:       "TrustService",
		Effect:    "Allow",
		Principal: &Principal{Service: List{servicePrincipal}},
		Action:    List{"sts:AssumeRole"},
		Condition: Conditions{"StringEquals": {"aws:SourceAccount": List{accountID}}},
	})
}

// MarshalJSON writes a list as a JSON array.
func (l List) MarshalJSON() ([]byte, error) {
	return json.Marshal([]string(l))
}

// UnmarshalJSON reads a JSON string or array of strings.
func (l *List) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = List{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or an array of strings: %w", err)
	}
	*l = many
	return nil
}

// MarshalJSON writes "*" for a wildcard principal and an object otherwise.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Wildcard {
		return json.Marshal("*")
	}
	type plain Principal
	return json.Marshal(plain(p))
}

// UnmarshalJSON reads "*" or an object of principal lists.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return fmt.Errorf("principal string %q, want \"*\"", s)
		}
		*p = Principal{Wildcard: true}
		return nil
	}
	type plain Principal
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Principal(v)
	return nil
}
