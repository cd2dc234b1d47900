package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"chessplatform/infra/infratest"
)

// CloudTrail: the trail of the observability component.

// CloudTrail lists the trail controls.
func CloudTrail() []Control {
	return named(
		trailCoversAllEvents,
		trailLogFileValidation,
		trailEncrypted,
		trailToCloudWatchLogs,
		trailBucketAdmitsTrailOnly,
	)
}

var trailCoversAllEvents = Control{
	Name: "trailCoversAllEvents",
	ID:   "CloudTrail.1 multi-region trail with global service events, logging on, read and write management events",
	Check: func(rec infratest.Recorded) error {
		return eachTrail(rec, func(r infratest.Resource) error {
			errs := []error{isBool(r, "isMultiRegionTrail", true), isBool(r, "includeGlobalServiceEvents", true), isBool(r, "enableLogging", true)}
			ok := false
			for _, s := range items(r, "eventSelectors") {
				if rw, _ := s.Str("readWriteType"); rw == "All" && isBool(s, "includeManagementEvents", true) == nil {
					ok = true
				}
			}
			if !ok {
				errs = append(errs, errors.New("no event selector for all (read and write) management events"))
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TTrail, "isMultiRegionTrail", false}, {TTrail, "includeGlobalServiceEvents", false}, {TTrail, "enableLogging", false},
		{TTrail, "eventSelectors", []any{map[string]any{"readWriteType": "WriteOnly", "includeManagementEvents": true}}}},
}

var trailLogFileValidation = Control{
	Name: "trailLogFileValidation",
	ID:   "CloudTrail.4 log file validation",
	Check: func(rec infratest.Recorded) error {
		return eachTrail(rec, func(r infratest.Resource) error { return isBool(r, "enableLogFileValidation", true) })
	},
	Props: []Prop{{TTrail, "enableLogFileValidation", false}},
}

var trailEncrypted = Control{
	Name: "trailEncrypted",
	ID:   "CloudTrail.2 encrypted with a stack CMK that admits this trail only",
	Check: func(rec infratest.Recorded) error {
		return eachTrail(rec, func(r infratest.Resource) error {
			if err := cmk(rec, r, "kmsKeyId"); err != nil {
				return err
			}
			key, _ := oneByOutput(rec, TKMSKey, "arn", strAt(r, "kmsKeyId"))
			doc, err := key.Policy("policy")
			if err != nil {
				return err
			}
			for _, s := range serviceStatements(doc, "cloudtrail.") {
				if slices.Contains(s.Action, "kms:GenerateDataKey*") && slices.Equal(condition(s, "StringEquals", "aws:SourceArn"), []string{outStr(r, "arn")}) {
					return nil
				}
			}
			return fmt.Errorf("key %s does not let CloudTrail encrypt for %s (aws:SourceArn)", key.Name, outStr(r, "arn"))
		})
	},
	Props: []Prop{{TTrail, "kmsKeyId", "alias/aws/cloudtrail"}, {TKMSKey, "policy", rootOnlyKeyPolicy}},
}

var trailToCloudWatchLogs = Control{
	Name: "trailToCloudWatchLogs",
	ID:   "CloudTrail.5 delivered to CloudWatch Logs through a role that may write only that group",
	Check: func(rec infratest.Recorded) error {
		return eachTrail(rec, func(r infratest.Resource) error {
			groupArn, err := nonEmpty(r, "cloudWatchLogsGroupArn")
			if err != nil {
				return err
			}
			group, ok := oneByOutput(rec, TLogGroup, "arn", strings.TrimSuffix(groupArn, ":*"))
			if !ok || !strings.HasSuffix(groupArn, ":*") {
				return fmt.Errorf("cloudWatchLogsGroupArn %q is not \"<log group ARN of the stack>:*\"", groupArn)
			}
			role, ok := oneByOutput(rec, TRole, "arn", strAt(r, "cloudWatchLogsRoleArn"))
			if !ok {
				return errors.New("cloudWatchLogsRoleArn is not a role of the stack")
			}
			trust, err := role.Policy("assumeRolePolicy")
			if err != nil {
				return err
			}
			if len(serviceStatements(trust, "cloudtrail.")) == 0 {
				return fmt.Errorf("role %s does not trust cloudtrail.amazonaws.com", role.Name)
			}
			streams := outStr(group, "arn") + ":log-stream:*"
			for _, rp := range infratest.ByOutput(rec, TRolePolicy, "role", role.ID) {
				doc, err := rp.Policy("policy")
				if err != nil {
					return err
				}
				for _, s := range doc.Statement {
					if s.Effect == "Allow" && hasAll(s.Action, "logs:CreateLogStream", "logs:PutLogEvents") && slices.Equal(s.Resource, []string{streams}) {
						return nil
					}
				}
			}
			return fmt.Errorf("role %s may not write exactly %s", role.Name, streams)
		})
	},
	Props: []Prop{{TTrail, "cloudWatchLogsGroupArn", nil}, {TTrail, "cloudWatchLogsRoleArn", "arn:aws:iam::123456789012:role/other"},
		{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:aws:logs:eu-west-1:123456789012:log-group:other:*"]}]}`}},
}

var trailBucketAdmitsTrailOnly = Control{
	Name: "trailBucketAdmitsTrailOnly",
	ID:   "CloudTrail.S3 the trail bucket admits this trail only (aws:SourceArn), objects owned by the bucket owner",
	Check: func(rec infratest.Recorded) error {
		return eachTrail(rec, func(r infratest.Resource) error {
			bucket, ok := rec.ByID(strAt(r, "s3BucketName"))
			if !ok || bucket.Type != TBucket {
				return errors.New("s3BucketName is not a bucket of the stack")
			}
			pols := bucketSettings(rec, TBucketPolicy, bucket.ID)
			if len(pols) != 1 {
				return fmt.Errorf("bucket %s has %d policies", bucket.ID, len(pols))
			}
			doc, err := pols[0].Policy("policy")
			if err != nil {
				return err
			}
			trail := outStr(r, "arn")
			var acl, write bool
			for _, s := range serviceStatements(doc, "cloudtrail.") {
				if !slices.Equal(condition(s, "StringEquals", "aws:SourceArn"), []string{trail}) {
					return fmt.Errorf("statement %q is not limited to %s", s.Sid, trail)
				}
				acl = acl || slices.Contains(s.Action, "s3:GetBucketAcl")
				write = write || (slices.Contains(s.Action, "s3:PutObject") && slices.Equal(condition(s, "StringEquals", "s3:x-amz-acl"), []string{"bucket-owner-full-control"}))
			}
			if !acl || !write {
				return fmt.Errorf("bucket policy lacks the CloudTrail ACL check (%v) or write (%v) statement", acl, write)
			}
			return nil
		})
	},
	Props: []Prop{{TBucketPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":["s3:PutObject","s3:GetBucketAcl"],"Resource":["*"]}]}`}},
}

func eachTrail(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TTrail, 1, fn)
}
