package controls

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

var rootARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:root$`)

// rootOnlyKeyPolicy is a valid key policy that admits no service (used to break log checks).
const rootOnlyKeyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["kms:*"],"Resource":["*"]}]}`

// KMS lists the key controls.
func KMS() []Control {
	return []Control{
		{
			ID: "CKV_AWS_7 KMS key rotation enabled",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TKMSKey, 1, func(r infratest.Resource) error { return isBool(r, "enableKeyRotation", true) })
			},
			Props: []Prop{{TKMSKey, "enableKeyRotation", false}},
		},
		{
			ID: "CKV2_AWS_64 explicit key policy: account root, services only under conditions",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TKMSKey, 1, func(r infratest.Resource) error {
					doc, err := r.Policy("policy")
					if err != nil {
						return err
					}
					var errs []error
					var root bool
					for _, s := range doc.Statement {
						if s.Principal == nil || s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*") {
							errs = append(errs, fmt.Errorf("statement %q has a missing or wildcard principal", s.Sid))
							continue
						}
						if len(s.Principal.AWS) == 1 && rootARN.MatchString(s.Principal.AWS[0]) && s.Effect == "Allow" {
							root = true
						}
						if len(s.Principal.Service) > 0 && len(s.Condition) == 0 {
							errs = append(errs, fmt.Errorf("statement %q grants %v without a condition", s.Sid, s.Principal.Service))
						}
					}
					if !root {
						errs = append(errs, errors.New("no statement for the account root: the key would be unmanageable"))
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{{TKMSKey, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["kms:*"],"Resource":["*"]}]}`}},
		},
		{
			ID: "KMS.DW deletion window 7 to 30 days",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TKMSKey, 1, func(r infratest.Resource) error { return intBetween(r, "deletionWindowInDays", 7, 30) })
			},
			Props: []Prop{{TKMSKey, "deletionWindowInDays", nil}},
		},
	}
}

// Logs lists the log-group controls.
func Logs() []Control {
	return []Control{
		{
			ID: "CKV_AWS_158 log groups encrypted with a CMK whose policy admits them",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TLogGroup, 1, func(r infratest.Resource) error {
					if err := cmk(rec, r, "kmsKeyId"); err != nil {
						return err
					}
					arn, _ := r.Str("kmsKeyId")
					key := infratest.ByOutput(rec, TKMSKey, "arn", arn)[0]
					doc, err := key.Policy("policy")
					if err != nil {
						return err
					}
					groupARN, _ := r.Output("arn")
					if !logsMayUse(doc, groupARN.StringValue()) {
						return fmt.Errorf("key %s does not let CloudWatch Logs use it for %s", key.Name, groupARN.StringValue())
					}
					return nil
				})
			},
			Props: []Prop{{TLogGroup, "kmsKeyId", nil}, {TKMSKey, "policy", rootOnlyKeyPolicy}},
		},
		{
			ID: "CKV_AWS_66 log groups have a retention",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TLogGroup, 1, func(r infratest.Resource) error { return intBetween(r, "retentionInDays", 1, 3653) })
			},
			Props: []Prop{{TLogGroup, "retentionInDays", 0}},
		},
		{
			ID: "CKV_AWS_338 log retention at least 365 days",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TLogGroup, 1, func(r infratest.Resource) error { return intBetween(r, "retentionInDays", 365, 3653) })
			},
			Props: []Prop{{TLogGroup, "retentionInDays", 90}},
		},
	}
}

// logsMayUse reports whether a key policy lets CloudWatch Logs use the key for the group ARN,
// via an ArnLike condition on the logs encryption context.
func logsMayUse(doc iampolicy.Document, groupARN string) bool {
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || s.Principal == nil || len(s.Principal.Service) != 1 || !strings.HasPrefix(s.Principal.Service[0], "logs.") {
			continue
		}
		for _, pattern := range s.Condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] {
			if globMatch(pattern, groupARN) {
				return true
			}
		}
	}
	return false
}

// globMatch matches IAM-style patterns where * is any run of characters and ? one character.
func globMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// Secrets lists the Secrets Manager controls.
func Secrets() []Control {
	return []Control{
		{
			ID: "CKV_AWS_149 secrets encrypted with a CMK",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TSecret, 1, func(r infratest.Resource) error { return cmk(rec, r, "kmsKeyId") })
			},
			Props: []Prop{{TSecret, "kmsKeyId", "alias/aws/secretsmanager"}},
		},
		{
			ID: "SECRET.STATE secret values are secret in state",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TSecretVersion, 1, func(r infratest.Resource) error {
					if !r.IsSecret("secretString") {
						return errors.New("secretString input is not a secret")
					}
					if !slices.Contains(r.AdditionalSecretOutputs, "secretString") {
						return errors.New("secretString is not an additional secret output")
					}
					return nil
				})
			},
			Props: []Prop{{TSecretVersion, "secretString", "plain-text-token-value"}},
		},
	}
}

// IAM lists the IAM controls for roles and inline policies.
func IAM() []Control {
	return []Control{
		{
			ID: "CKV_AWS_355 IAM policies name exact actions and resources",
			Check: func(rec infratest.Recorded) error {
				check := func(r infratest.Resource) error {
					doc, err := r.Policy("policy")
					if err != nil {
						return err
					}
					return policyIsExact(doc)
				}
				return errors.Join(each(rec, TRolePolicy, 0, check), each(rec, TIAMPolicy, 0, check))
			},
			Props: []Prop{{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":["*"]}]}`}},
		},
		{
			ID: "CKV_AWS_60 roles trust one AWS service, for this account only",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TRole, 1, func(r infratest.Resource) error {
					doc, err := r.Policy("assumeRolePolicy")
					if err != nil {
						return err
					}
					var errs []error
					for _, s := range doc.Statement {
						if s.Principal == nil || s.Principal.Wildcard || len(s.Principal.AWS) > 0 || len(s.Principal.Federated) > 0 || len(s.Principal.Service) != 1 {
							errs = append(errs, fmt.Errorf("statement %q must trust exactly one service principal", s.Sid))
						}
						if len(s.Condition["StringEquals"]["aws:SourceAccount"]) != 1 {
							errs = append(errs, fmt.Errorf("statement %q lacks the aws:SourceAccount condition", s.Sid))
						}
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{{TRole, "assumeRolePolicy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole"]}]}`}},
		},
	}
}

// starOnly reports whether every action accepts only Resource "*" (StarOnlyActions).
func starOnly(actions []string) bool {
	for _, a := range actions {
		if _, ok := StarOnlyActions[a]; !ok {
			return false
		}
	}
	return len(actions) > 0
}

// policyIsExact rejects wildcard actions ("*", "svc:*") and "*" resources, except for actions
// that accept nothing but "*" (StarOnlyActions).
func policyIsExact(doc iampolicy.Document) error {
	var errs []error
	for _, s := range doc.Statement {
		if len(s.NotAction) > 0 {
			errs = append(errs, fmt.Errorf("statement %q uses NotAction", s.Sid))
		}
		for _, a := range s.Action {
			if a == "*" || strings.HasSuffix(a, ":*") {
				errs = append(errs, fmt.Errorf("statement %q allows wildcard action %q", s.Sid, a))
			}
		}
		for _, res := range s.Resource {
			if res == "*" && !starOnly(s.Action) {
				errs = append(errs, fmt.Errorf("statement %q applies to every resource", s.Sid))
			}
		}
	}
	return errors.Join(errs...)
}

// untaggable are foundation types without a tags argument.
var untaggable = []string{
	"aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
	"aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
	"aws:kms/alias:Alias", "aws:secretsmanager/secretVersion:SecretVersion",
	"aws:secretsmanager/secretRotation:SecretRotation",
}

// Tags lists the tagging control.
func Tags() []Control {
	return []Control{{
		ID: "TAG.1 every taggable resource carries Project, Stack, Component and Name tags",
		Check: func(rec infratest.Recorded) error {
			var errs []error
			for _, r := range rec.Resources() {
				if !r.Custom || slices.Contains(untaggable, r.Type) {
					continue
				}
				tags := r.Tags()
				for _, k := range []string{"Project", "Stack", "Component", "Name"} {
					if tags[k] == "" {
						errs = append(errs, fmt.Errorf("%s: tag %s missing", label(r), k))
					}
				}
			}
			return errors.Join(errs...)
		},
		Props: []Prop{{TKMSKey, "tags", map[string]any{"Name": "key"}}},
	}}
}

// Foundation is every control that applies to the foundation stack.
func Foundation(p NetworkParams) []Control {
	var all []Control
	for _, cs := range [][]Control{Network(p), RDS(), ElastiCache(), KMS(), Logs(), Secrets(), IAM(), Tags()} {
		all = append(all, cs...)
	}
	return all
}
