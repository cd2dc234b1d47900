// Package s3bucket creates the hardened S3 buckets of the edge and observability components
// (CloudFront assets, CloudTrail, log sinks), all alike: every public access block setting on,
// ACLs disabled (BucketOwnerEnforced), versioning, default encryption, a lifecycle, server
// access logging to a log-sink bucket, and a bucket policy that denies any request not made over
// TLS, plus the statements the caller adds.
//
// A log sink (a bucket that receives S3 server access logs) is encrypted with SSE-S3: S3 server
// access logging cannot write to a bucket whose default encryption is SSE-KMS. Every other
// bucket takes a customer managed key with an S3 bucket key.
package s3bucket

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/iampolicy"
)

// Args configures one bucket.
type Args struct {
	// Name is the bucket name, globally unique: 3 to 63 lowercase letters, digits and hyphens.
	// Required.
	Name string
	// KMSKeyARN is the customer managed key of SSE-KMS (with an S3 bucket key). Required unless
	// LogSink or DeferEncryption; must be nil for a log sink.
	KMSKeyARN pulumi.StringInput
	// DeferEncryption leaves KMSKeyARN to a later Encrypt call, for a key whose policy needs
	// something created after the bucket (the CloudFront distribution that reads it). Objects
	// must wait for Settings, which then include the encryption. Default false.
	DeferEncryption bool
	// LogSink marks a bucket that receives S3 server access logs: SSE-S3 and no access logging of
	// its own (logging a log sink into itself would loop). Default false.
	LogSink bool
	// AccessLogBucket is the log sink that receives this bucket's server access logs. Required
	// unless LogSink.
	AccessLogBucket pulumi.StringInput
	// AccessLogPrefix is the key prefix of this bucket's access logs in the sink. Optional;
	// default "s3/<Name>/".
	AccessLogPrefix string
	// ExpireDays expires current objects after this many days (they become noncurrent
	// versions). Optional; default 0: current objects never expire.
	ExpireDays int
	// NoncurrentDays deletes noncurrent versions this many days after they were replaced.
	// Optional; default 30.
	NoncurrentDays int
	// ForceDestroy lets pulumi destroy delete a bucket that still holds objects. Default false.
	ForceDestroy bool
	// Tags are added to the bucket. Optional.
	Tags map[string]string
	// SettingsAlias is the logical name the bucket's settings (public access block, ownership,
	// encryption, versioning, lifecycle) had when a component created them itself, all under
	// the bucket's name; each gets an alias to it so adopting this helper replaces nothing.
	// Optional.
	SettingsAlias string
}

// Bucket is a created bucket.
type Bucket struct {
	// Name is the bucket name, known at preview.
	Name string
	// ID is the bucket name as an output (depends on the bucket's creation).
	ID pulumi.StringOutput
	// Arn and RegionalDomainName are the bucket's ARN and its regional endpoint (what a
	// CloudFront S3 origin takes).
	ARN                pulumi.StringOutput
	RegionalDomainName pulumi.StringOutput

	Bucket *s3.BucketV2
	// Settings are the bucket's sub-resources (public access block, ownership, encryption,
	// versioning, lifecycle, logging); objects and policies wait for them.
	Settings []pulumi.Resource

	logical   string
	encrypted bool
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// Name builds a bucket name from the stack prefix, a purpose and the account id, e.g.
// "chess-platform-dev-assets-123456789012" (bucket names are global, the account id keeps
// them unique).
func Name(a awsenv.Account, prefix, purpose string) string {
	return strings.ToLower(prefix + "-" + purpose + "-" + a.ID)
}

// New creates the bucket and its settings; pass pulumi.Parent of the calling component in opts.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Bucket, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("s3bucket %s: %w", name, err)
	}
	wrap := component.Wrap("s3bucket", name)

	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket:       pulumi.String(args.Name),
		ForceDestroy: pulumi.Bool(args.ForceDestroy),
		Tags:         awsenv.Tags(args.Tags, args.Name),
	}, opts...)
	if err != nil {
		return nil, wrap("bucket", err)
	}
	b := &Bucket{Name: args.Name, ID: bucket.ID().ToStringOutput(), ARN: bucket.Arn, RegionalDomainName: bucket.BucketRegionalDomainName, Bucket: bucket, logical: name}
	if args.SettingsAlias != "" {
		opts = append(opts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(args.SettingsAlias)}}))
	}
	add := func(r pulumi.Resource, err error, what string) error {
		if err != nil {
			return wrap(what, err)
		}
		b.Settings = append(b.Settings, r)
		return nil
	}

	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, opts...)
	if err := add(pab, err, "public access block"); err != nil {
		return nil, err
	}
	own, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, opts...)
	if err := add(own, err, "ownership controls"); err != nil {
		return nil, err
	}

	if args.LogSink {
		if err := b.encrypt(ctx, name, nil, opts); err != nil {
			return nil, err
		}
	} else if !args.DeferEncryption {
		if err := b.encrypt(ctx, name, args.KMSKeyARN, opts); err != nil {
			return nil, err
		}
	}

	ver, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, opts...)
	if err := add(ver, err, "versioning"); err != nil {
		return nil, err
	}

	noncurrent := args.NoncurrentDays
	if noncurrent == 0 {
		noncurrent = 30
	}
	rule := &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:                             pulumi.String("retention"),
		Status:                         pulumi.String("Enabled"),
		Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
		NoncurrentVersionExpiration:    &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(noncurrent)},
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(7)},
	}
	if args.ExpireDays > 0 {
		rule.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(args.ExpireDays)}
	}
	life, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s3.BucketLifecycleConfigurationV2RuleArray{rule},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{ver}))...)
	if err := add(life, err, "lifecycle"); err != nil {
		return nil, err
	}

	if !args.LogSink {
		prefix := args.AccessLogPrefix
		if prefix == "" {
			prefix = AccessLogPrefix(args.Name)
		}
		lg, err := s3.NewBucketLoggingV2(ctx, name+"-access-logs", &s3.BucketLoggingV2Args{
			Bucket:       bucket.ID(),
			TargetBucket: args.AccessLogBucket,
			TargetPrefix: pulumi.String(prefix),
		}, opts...)
		if err := add(lg, err, "access logging"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Encrypt sets SSE-KMS with keyArn on a bucket created with DeferEncryption.
func (b *Bucket) Encrypt(ctx *pulumi.Context, keyArn pulumi.StringInput, opts ...pulumi.ResourceOption) error {
	if keyArn == nil {
		return fmt.Errorf("s3bucket %s: Encrypt needs a key", b.Name)
	}
	return b.encrypt(ctx, b.logical, keyArn, opts)
}

// encrypt creates the default encryption: SSE-KMS with a bucket key, or SSE-S3 without a key.
func (b *Bucket) encrypt(ctx *pulumi.Context, name string, keyArn pulumi.StringInput, opts []pulumi.ResourceOption) error {
	if b.encrypted {
		return fmt.Errorf("s3bucket %s: encryption is already set", b.Name)
	}
	sse := &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
		ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String("AES256"),
		},
	}
	if keyArn != nil {
		sse = &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: keyArn,
			},
			BucketKeyEnabled: pulumi.Bool(true),
		}
	}
	enc, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: b.Bucket.ID(),
		Rules:  s3.BucketServerSideEncryptionConfigurationV2RuleArray{sse},
	}, opts...)
	if err != nil {
		return fmt.Errorf("s3bucket %s: encryption: %w", name, err)
	}
	b.Settings = append(b.Settings, enc)
	b.encrypted = true
	return nil
}

// AccessLogPrefix is the default key prefix of a bucket's server access logs in the sink.
func AccessLogPrefix(bucket string) string { return "s3/" + bucket + "/" }

// Policy attaches the bucket policy: the TLS-only deny plus what extra builds from the bucket
// ARN and the resolved inputs (e.g. a distribution or trail ARN). It waits for the public access
// block, so S3 never evaluates the policy against a half-configured bucket.
func (b *Bucket) Policy(ctx *pulumi.Context, name string, inputs pulumi.StringArrayInput, extra func(bucketArn string, in []string) []iampolicy.Statement, opts ...pulumi.ResourceOption) (*s3.BucketPolicy, error) {
	if inputs == nil {
		inputs = pulumi.StringArray{}
	}
	all := pulumi.All(b.ARN, inputs).ApplyT(func(v []any) []string {
		return append([]string{v[0].(string)}, v[1].([]string)...)
	}).(pulumi.StringArrayOutput)
	doc := iampolicy.RenderAll(all, func(v []string) iampolicy.Document {
		stmts := []iampolicy.Statement{DenyInsecureTransport(v[0])}
		if extra != nil {
			stmts = append(stmts, extra(v[0], v[1:])...)
		}
		return iampolicy.New(stmts...)
	})
	p, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: b.Bucket.ID(),
		Policy: doc,
	}, append(opts, pulumi.DependsOn(b.Settings))...)
	if err != nil {
		return nil, fmt.Errorf("s3bucket %s: policy: %w", name, err)
	}
	return p, nil
}

// DenyInsecureTransport denies every S3 action on the bucket and its objects to requests made
// without TLS (FSBP S3.5).
func DenyInsecureTransport(bucketArn string) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: &iampolicy.Principal{Wildcard: true},
		Action:    iampolicy.List{"s3:*"},
		Resource:  iampolicy.List{bucketArn, bucketArn + "/*"},
		Condition: iampolicy.Conditions{"Bool": {"aws:SecureTransport": iampolicy.List{"false"}}},
	}
}

// AccessLogDelivery lets the S3 logging service write the server access logs of the source
// buckets under their prefixes in a log sink, for this account only.
func AccessLogDelivery(a awsenv.Account, sinkArn string, sources map[string]string) iampolicy.Statement {
	var resources, arns iampolicy.List
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		resources = append(resources, sinkArn+"/"+sources[name]+"*")
		arns = append(arns, fmt.Sprintf("arn:%s:s3:::%s", a.Partition, name))
	}
	return iampolicy.Statement{
		Sid:       "AllowS3ServerAccessLogs",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{Service: iampolicy.List{a.ServicePrincipal("logging.s3")}},
		Action:    iampolicy.List{"s3:PutObject"},
		Resource:  resources,
		Condition: iampolicy.Conditions{
			"ArnLike":      {"aws:SourceArn": arns},
			"StringEquals": {"aws:SourceAccount": iampolicy.List{a.ID}},
		},
	}
}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	if !bucketName.MatchString(a.Name) || strings.HasPrefix(a.Name, "xn--") {
		errs = append(errs, fmt.Errorf("Name %q is not a valid bucket name (3-63 lowercase letters, digits, hyphens)", a.Name))
	}
	if a.LogSink {
		if a.KMSKeyARN != nil || a.DeferEncryption {
			errs = append(errs, errors.New("a log sink takes SSE-S3: S3 server access logs cannot be delivered to an SSE-KMS bucket; leave KMSKeyArn nil"))
		}
		if a.AccessLogBucket != nil {
			errs = append(errs, errors.New("a log sink does not log its own access"))
		}
	} else {
		if a.KMSKeyARN == nil && !a.DeferEncryption {
			errs = append(errs, errors.New("KMSKeyArn is required (only log sinks use SSE-S3), or DeferEncryption and a later Encrypt"))
		}
		if a.KMSKeyARN != nil && a.DeferEncryption {
			errs = append(errs, errors.New("KMSKeyArn and DeferEncryption exclude each other"))
		}
		if a.AccessLogBucket == nil {
			errs = append(errs, errors.New("AccessLogBucket is required (only log sinks do not log their access)"))
		}
	}
	if a.ExpireDays < 0 || a.NoncurrentDays < 0 {
		errs = append(errs, fmt.Errorf("ExpireDays %d and NoncurrentDays %d must not be negative", a.ExpireDays, a.NoncurrentDays))
	}
	return errors.Join(errs...)
}
