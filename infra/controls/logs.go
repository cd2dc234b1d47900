package controls

import (
	"fmt"
	"regexp"
	"strings"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

// CloudWatch Logs log groups: every group of the stack.

// Logs lists the log-group controls.
func Logs() []Control {
	return named(logGroupsEncrypted, logGroupsRetained, logRetentionYear)
}

var logGroupsEncrypted = Control{
	Name: "logGroupsEncrypted",
	ID:   "CKV_AWS_158 log groups encrypted with a CMK whose policy admits them",
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
}

var logGroupsRetained = Control{
	Name: "logGroupsRetained",
	ID:   "CKV_AWS_66 log groups have a retention",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TLogGroup, 1, func(r infratest.Resource) error { return intBetween(r, "retentionInDays", 1, 3653) })
	},
	Props: []Prop{{TLogGroup, "retentionInDays", 0}},
}

var logRetentionYear = Control{
	Name: "logRetentionYear",
	ID:   "CKV_AWS_338 log retention at least 365 days",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TLogGroup, 1, func(r infratest.Resource) error { return intBetween(r, "retentionInDays", 365, 3653) })
	},
	Props: []Prop{{TLogGroup, "retentionInDays", 90}},
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
