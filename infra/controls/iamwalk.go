package controls

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

// Kinds of policy documents.
const (
	KindIdentity = "identity" // what a role may do
	KindResource = "resource" // who may use a resource (bucket, key, topic, log group policies)
	KindTrust    = "trust"    // who may assume a role
)

// identityTypes hold identity policies in their "policy" input.
var identityTypes = []string{TRolePolicy, TIAMPolicy, "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"}

// policyKeys are the inputs that may hold a policy document on any resource type.
var policyKeys = []string{"policy", "policyDocument", "accessPolicy", "accessPolicies", "assumeRolePolicy"}

// PolicyDoc is one policy document found in the recorded resources.
type PolicyDoc struct {
	Resource infratest.Resource
	Key      string
	Kind     string
	Doc      iampolicy.Document
	raw      []map[string]any
}

func (d PolicyDoc) String() string {
	return fmt.Sprintf("%s %s.%s (%s)", d.Resource.Type, d.Resource.Name, d.Key, d.Kind)
}

// PolicyDocuments finds every policy document in the recorded resources: any string input under
// a policy key that parses as a document with statements, classified by resource type.
func PolicyDocuments(rec infratest.Recorded) ([]PolicyDoc, error) {
	var out []PolicyDoc
	var errs []error
	for _, r := range rec.Resources() {
		for _, k := range policyKeys {
			s, ok := r.Str(k)
			if !ok || !strings.Contains(s, "Statement") {
				continue
			}
			var raw struct {
				Statement json.RawMessage `json:"Statement"`
			}
			if err := json.Unmarshal([]byte(s), &raw); err != nil || raw.Statement == nil {
				continue // not a policy document (e.g. an ECR lifecycle policy)
			}
			doc, err := iampolicy.Parse(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.%s: %w", label(r), k, err))
				continue
			}
			var stmts []map[string]any
			if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
				var one map[string]any
				if err := json.Unmarshal(raw.Statement, &one); err != nil {
					errs = append(errs, fmt.Errorf("%s.%s: statements: %w", label(r), k, err))
					continue
				}
				stmts = []map[string]any{one}
			}
			kind := KindResource
			switch {
			case k == "assumeRolePolicy":
				kind = KindTrust
			case slices.Contains(identityTypes, r.Type):
				kind = KindIdentity
			}
			out = append(out, PolicyDoc{Resource: r, Key: k, Kind: kind, Doc: doc, raw: stmts})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, errors.Join(errs...)
}

// CheckPolicy applies the walk's rules to one document.
//
//   - identity: no wildcard in any allowed action, no NotAction/NotResource, and Resource "*"
//     only when every action of the statement accepts nothing else (StarOnlyActions);
//   - resource: no wildcard principal, no "*" action, "svc:*" only for the KMS key policy's
//     account-root delegation, and Resource "*" only in KMS key policies (there it is the key);
//   - trust: only sts:AssumeRole for a named principal.
//
// Deny statements only take permissions away and are not restricted.
func CheckPolicy(d PolicyDoc) error {
	var errs []error
	bad := func(i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s statement %d (%s): %s", d, i, d.Doc.Statement[i].Sid, fmt.Sprintf(format, args...)))
	}
	for i, s := range d.Doc.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
			if _, ok := d.raw[i][k]; ok {
				bad(i, "Allow with %s", k)
			}
		}
		if len(s.Action) == 0 {
			bad(i, "no action")
		}
		switch d.Kind {
		case KindIdentity:
			if s.Principal != nil {
				bad(i, "identity policy with a principal")
			}
			if len(s.Resource) == 0 {
				bad(i, "no resource")
			}
			for _, a := range s.Action {
				if strings.Contains(a, "*") {
					bad(i, "wildcard action %q", a)
				}
			}
			if slices.Contains(s.Resource, "*") {
				for _, a := range s.Action {
					if _, ok := StarOnlyActions[a]; !ok {
						bad(i, "%s on Resource \"*\" although it accepts resource ARNs", a)
					}
				}
			}
		case KindResource:
			if s.Principal == nil || s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*") {
				bad(i, "wildcard or missing principal")
			}
			root := s.Principal != nil && len(s.Principal.AWS) == 1 && rootARN.MatchString(s.Principal.AWS[0]) && len(s.Principal.Service) == 0
			isKey := d.Resource.Type == TKMSKey
			for _, a := range s.Action {
				switch {
				case a == "*":
					bad(i, "action \"*\"")
				case strings.HasSuffix(a, ":*") && !(isKey && root && a == "kms:*"):
					bad(i, "wildcard action %q outside the key policy's account-root delegation", a)
				}
			}
			if slices.Contains(s.Resource, "*") && !isKey {
				bad(i, "Resource \"*\" in a resource policy")
			}
		case KindTrust:
			if s.Principal == nil || s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*") {
				bad(i, "wildcard or missing principal")
			}
			for _, a := range s.Action {
				if a != "sts:AssumeRole" {
					bad(i, "trust action %q", a)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// PolicyWalk lists the controls over every policy document and managed-policy attachment.
func PolicyWalk() []Control {
	return named(noWildcardPolicies, onlyListedManagedPolicies)
}

var noWildcardPolicies = Control{
	Name: "noWildcardPolicies",
	ID:   "IAM.WALK no policy document grants a wildcard action, or \"*\" where the action takes ARNs",
	Check: func(rec infratest.Recorded) error {
		docs, err := PolicyDocuments(rec)
		if err != nil {
			return err
		}
		if len(docs) == 0 {
			return errors.New("no policy document recorded")
		}
		var errs []error
		for _, d := range docs {
			errs = append(errs, CheckPolicy(d))
		}
		return errors.Join(errs...)
	},
	// Removing a document leaves nothing to walk, so only the insecure values are tried.
	Props: []Prop{
		{TRolePolicy, "policy", AbsentIsSecure(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:UpdateService"],"Resource":["*"]}]}`)},
		{TRole, "assumeRolePolicy", AbsentIsSecure(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole"]}]}`)},
		{TBucketPolicy, "policy", AbsentIsSecure(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}`)},
	},
	Breaks: []Break{
		edit("identity policy with Action s3:*", TRolePolicy, func(_ infratest.Resource, in resource.PropertyMap) {
			in["policy"] = resource.NewStringProperty(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::b"]}]}`)
		}),
		edit("identity policy with NotResource", TRolePolicy, func(_ infratest.Resource, in resource.PropertyMap) {
			in["policy"] = resource.NewStringProperty(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"NotResource":["arn:aws:s3:::b/*"]}]}`)
		}),
		edit("key policy granting kms:* to a service", TKMSKey, func(_ infratest.Resource, in resource.PropertyMap) {
			in["policy"] = resource.NewStringProperty(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":["kms:*"],"Resource":["*"]}]}`)
		}),
	},
}

var onlyListedManagedPolicies = Control{
	Name: "onlyListedManagedPolicies",
	ID:   "IAM.MANAGED roles carry only the allow-listed AWS managed policies",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TRoleAttachment, 0, func(r infratest.Resource) error {
			arn, _ := r.Str("policyArn")
			_, name, ok := strings.Cut(arn, ":iam::aws:policy/")
			if _, listed := ManagedPolicies[name]; !ok || !listed {
				return fmt.Errorf("policy %q is not an allow-listed AWS managed policy", arn)
			}
			return nil
		})
	},
	Props: []Prop{{TRoleAttachment, "policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}},
}
