package controls

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"chessplatform/infra/infratest"
)

// KMS customer managed keys: every component's own key.

// KMS lists the key controls.
func KMS() []Control {
	return named(keyRotation, keyPolicyExplicit, keyDeletionWindow)
}

var rootARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:root$`)

// rootOnlyKeyPolicy is a valid key policy that admits no service (used to break the checks of
// the services that use a key).
const rootOnlyKeyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["kms:*"],"Resource":["*"]}]}`

var keyRotation = Control{
	Name: "keyRotation",
	ID:   "CKV_AWS_7 KMS key rotation enabled",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TKMSKey, 1, func(r infratest.Resource) error { return isBool(r, "enableKeyRotation", true) })
	},
	Props: []Prop{{TKMSKey, "enableKeyRotation", false}},
}

var keyPolicyExplicit = Control{
	Name: "keyPolicyExplicit",
	ID:   "CKV2_AWS_64 explicit key policy: account root, services only under conditions",
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
}

var keyDeletionWindow = Control{
	Name: "keyDeletionWindow",
	ID:   "KMS.DW deletion window 7 to 30 days",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TKMSKey, 1, func(r infratest.Resource) error { return intBetween(r, "deletionWindowInDays", 7, 30) })
	},
	Props: []Prop{{TKMSKey, "deletionWindowInDays", nil}},
}
