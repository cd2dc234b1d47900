package controls

import (
	"errors"
	"fmt"
	"slices"

	"chessplatform/infra/infratest"
)

// S3 buckets: every bucket of the stack (the site, CloudFront's and the trail's logs, the
// server-access-log sink, the ALB's access logs).

// S3 lists the bucket controls; they apply to every bucket of the stack.
func S3() []Control {
	return named(
		publicAccessBlocked,
		aclsDisabled,
		bucketsRequireTLS,
		bucketVersioning,
		bucketEncryption,
		serverAccessLogging,
		bucketLifecycle,
	)
}

var publicAccessBlocked = Control{
	Name: "publicAccessBlocked",
	ID:   "S3.1/S3.8 every public access block setting on",
	Check: func(rec infratest.Recorded) error {
		return eachBucket(rec, func(b infratest.Resource) error {
			pab, err := oneSetting(rec, TBucketPAB, b)
			if err != nil {
				return err
			}
			return errors.Join(isBool(pab, "blockPublicAcls", true), isBool(pab, "blockPublicPolicy", true),
				isBool(pab, "ignorePublicAcls", true), isBool(pab, "restrictPublicBuckets", true))
		})
	},
	Props: []Prop{{TBucketPAB, "blockPublicAcls", false}, {TBucketPAB, "blockPublicPolicy", false},
		{TBucketPAB, "ignorePublicAcls", false}, {TBucketPAB, "restrictPublicBuckets", false}},
}

var aclsDisabled = Control{
	Name: "aclsDisabled",
	ID:   "S3.12 ACLs disabled (BucketOwnerEnforced)",
	Check: func(rec infratest.Recorded) error {
		return eachBucket(rec, func(b infratest.Resource) error {
			own, err := oneSetting(rec, TBucketOwnership, b)
			if err != nil {
				return err
			}
			return isStr(own, "rule.objectOwnership", "BucketOwnerEnforced")
		})
	},
	Props: []Prop{{TBucketOwnership, "rule", map[string]any{"objectOwnership": "BucketOwnerPreferred"}}},
}

var bucketsRequireTLS = Control{
	Name: "bucketsRequireTLS",
	ID:   "S3.5 bucket policies deny requests without TLS",
	Check: func(rec infratest.Recorded) error {
		return eachBucket(rec, func(b infratest.Resource) error {
			pol, err := oneSetting(rec, TBucketPolicy, b)
			if err != nil {
				return err
			}
			doc, err := pol.Policy("policy")
			if err != nil {
				return err
			}
			arn := outStr(b, "arn")
			for _, s := range doc.Statement {
				if s.Effect == "Deny" && s.Principal != nil && s.Principal.Wildcard && slices.Contains(s.Action, "s3:*") &&
					hasAll(s.Resource, arn, arn+"/*") && slices.Equal(condition(s, "Bool", "aws:SecureTransport"), []string{"false"}) {
					return nil
				}
			}
			return errors.New("no statement denies s3:* on the bucket and its objects when aws:SecureTransport is false")
		})
	},
	Props: []Prop{{TBucketPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["s3:GetObject"],"Resource":["*"]}]}`}},
}

var bucketVersioning = Control{
	Name: "bucketVersioning",
	ID:   "CKV_AWS_21 versioning enabled",
	Check: func(rec infratest.Recorded) error {
		return eachBucket(rec, func(b infratest.Resource) error {
			v, err := oneSetting(rec, TBucketVersion, b)
			if err != nil {
				return err
			}
			return isStr(v, "versioningConfiguration.status", "Enabled")
		})
	},
	Props: []Prop{{TBucketVersion, "versioningConfiguration", map[string]any{"status": "Suspended"}}},
}

var bucketEncryption = Control{
	Name: "bucketEncryption",
	ID:   "CKV_AWS_145 SSE-KMS with a stack CMK and a bucket key (SSE-S3 only on access-log sinks)",
	Check: func(rec infratest.Recorded) error {
		sinks := logSinks(rec)
		return eachBucket(rec, func(b infratest.Resource) error {
			sse, err := oneSetting(rec, TBucketSSE, b)
			if err != nil {
				return err
			}
			if sse.Len("rules") != 1 {
				return fmt.Errorf("want one encryption rule, found %d", sse.Len("rules"))
			}
			alg, _ := sse.Str("rules[0].applyServerSideEncryptionByDefault.sseAlgorithm")
			if alg == "AES256" && sinks[b.ID] {
				return nil // S3 server access logs cannot be delivered to an SSE-KMS bucket
			}
			if alg != "aws:kms" {
				return fmt.Errorf("sseAlgorithm %q, want aws:kms (AES256 only for an access-log sink)", alg)
			}
			return errors.Join(cmk(rec, sse, "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId"), isBool(sse, "rules[0].bucketKeyEnabled", true))
		})
	},
	Props: []Prop{{TBucketSSE, "rules", []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}}}},
}

var serverAccessLogging = Control{
	Name: "serverAccessLogging",
	ID:   "S3.9 server access logging to a sink that admits it",
	Check: func(rec infratest.Recorded) error {
		sinks := logSinks(rec)
		return eachBucket(rec, func(b infratest.Resource) error {
			logs := bucketSettings(rec, TS3BucketLogging, b.ID)
			if len(logs) == 0 {
				if sinks[b.ID] {
					return nil // the sink itself: logging it into itself would loop
				}
				return errors.New("no server access logging")
			}
			target := strAt(logs[0], "targetBucket")
			sink, ok := rec.ByID(target)
			if !ok || sink.Type != TBucket || target == b.ID {
				return fmt.Errorf("targetBucket %q is not another bucket of the stack", target)
			}
			pols := bucketSettings(rec, TBucketPolicy, sink.ID)
			if len(pols) != 1 {
				return fmt.Errorf("sink %s has no policy", sink.ID)
			}
			doc, err := pols[0].Policy("policy")
			if err != nil {
				return err
			}
			for _, s := range serviceStatements(doc, "logging.s3.") {
				if slices.Contains(s.Action, "s3:PutObject") && slices.Contains(condition(s, "ArnLike", "aws:SourceArn"), outStr(b, "arn")) {
					return nil
				}
			}
			return fmt.Errorf("sink %s does not let the S3 logging service write this bucket's logs", sink.ID)
		})
	},
	Props: []Prop{{TS3BucketLogging, "targetBucket", "not-a-stack-bucket"}},
}

var bucketLifecycle = Control{
	Name: "bucketLifecycle",
	ID:   "S3.13 lifecycle: noncurrent versions and incomplete uploads expire",
	Check: func(rec infratest.Recorded) error {
		return eachBucket(rec, func(b infratest.Resource) error {
			l, err := oneSetting(rec, TBucketLifecycle, b)
			if err != nil {
				return err
			}
			for _, rule := range items(l, "rules") {
				if s, _ := rule.Str("status"); s == "Enabled" && rule.Has("noncurrentVersionExpiration.noncurrentDays") && rule.Has("abortIncompleteMultipartUpload.daysAfterInitiation") {
					return nil
				}
			}
			return errors.New("no enabled rule expiring noncurrent versions and incomplete multipart uploads")
		})
	},
	Props: []Prop{{TBucketLifecycle, "rules", []any{map[string]any{"id": "x", "status": "Disabled",
		"noncurrentVersionExpiration": map[string]any{"noncurrentDays": 30}, "abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7}}}}},
}

func eachBucket(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TBucket, 1, fn)
}

// bucketSettings are the sub-resources of a type that configure a bucket (their "bucket" input).
func bucketSettings(rec infratest.Recorded, token, bucketID string) []infratest.Resource {
	var out []infratest.Resource
	for _, s := range rec.ByType(token) {
		if b, _ := s.Str("bucket"); b == bucketID {
			out = append(out, s)
		}
	}
	return out
}

// oneSetting is the only sub-resource of a type for the bucket.
func oneSetting(rec infratest.Recorded, token string, bucket infratest.Resource) (infratest.Resource, error) {
	s := bucketSettings(rec, token, bucket.ID)
	if len(s) != 1 {
		return infratest.Resource{}, fmt.Errorf("want one %s, found %d", token, len(s))
	}
	return s[0], nil
}

// logSinks are the buckets that receive another bucket's server access logs, and the buckets
// that receive a load balancer's access logs (ELB delivers those only to SSE-S3 buckets; they
// are log destinations like the server-access-log sinks).
func logSinks(rec infratest.Recorded) map[string]bool {
	out := map[string]bool{}
	for _, l := range rec.ByType(TS3BucketLogging) {
		if t, ok := l.Str("targetBucket"); ok {
			out[t] = true
		}
	}
	for _, lb := range rec.ByType(TLoadBalancer) {
		if on, _ := lb.Bool("accessLogs.enabled"); on {
			if b, ok := lb.Str("accessLogs.bucket"); ok {
				out[b] = true
			}
		}
	}
	return out
}
