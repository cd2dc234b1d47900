// Package observability is the monitoring component: the stack's logs key (every component
// creates its own log groups with it), CloudTrail's log group and any it is given
// (KMS-encrypted, with retention), the alarm topic (KMS-encrypted SNS, optional
// e-mail subscription), CloudTrail (multi-region, log file validation, KMS, CloudWatch Logs
// delivery) with its hardened bucket, and, through Watch once the other components exist, the
// CloudWatch alarms and the dashboard.
//
// One customer managed key ("logs key") encrypts the log groups, the trail's log files and
// bucket, and the alarm topic; its policy admits CloudWatch Logs for the stack's log groups,
// CloudTrail for this trail, and CloudWatch alarms of this stack. CLOUDFRONT-scope WAF metrics
// exist only in us-east-1 and an alarm can only notify a topic in its own region, so Watch
// creates a second topic (with its own key) in us-east-1 for those alarms; both topics get the
// same subscription.
package observability

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudtrail"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/kmskey"
	"chessplatform/infra/s3bucket"
)

// Type is the component's type token.
const Type = "chess:observability:Observability"

// TrailLogGroup is the key of the CloudTrail log group in LogGroupNames/LogGroupARNs; the name
// is reserved.
const TrailLogGroup = "cloudtrail"

// DefaultTrailRetentionDays is how long trail log files stay in the bucket by default.
const DefaultTrailRetentionDays = 365

// Args configures the component.
type Args struct {
	// Common are the Account, NamePrefix, LogRetentionDays, KMSDeletionWindowDays and Tags
	// every component takes.
	component.Common
	// LogGroups are the log groups to create. An entry without a leading "/" is placed under
	// "/<NamePrefix>/" (e.g. "web" becomes "/chess-platform-dev/web"); an entry with one is the
	// full name (e.g. "/aws/lambda/chess-platform-dev-ws-authorizer"). The output maps are keyed
	// by the entries as given. Optional; "cloudtrail" is reserved.
	LogGroups []string
	// ExtraLogGroupPatterns are more log group names, "*" allowed, whose groups the logs key
	// admits; for groups another component must create itself with LogsKMSKeyARN because
	// their name is only known at deploy time (e.g. "API-Gateway-Execution-Logs_*"). Optional.
	ExtraLogGroupPatterns []string
	// AlarmEmail is subscribed to the alarm topics (the address must confirm the subscription).
	// Optional; "" subscribes nobody.
	AlarmEmail string
	// TrailRetentionDays expires trail log files in the bucket (at least 90). Optional;
	// default 365.
	TrailRetentionDays int
}

// Observability is the component.
type Observability struct {
	pulumi.ResourceState

	// LogGroupNames and LogGroupARNs are keyed by the Args.LogGroups entries, plus
	// TrailLogGroup. The ARNs are without the ":*" suffix.
	LogGroupNames map[string]pulumi.StringOutput
	LogGroupARNs  map[string]pulumi.StringOutput
	// AlarmTopicARN receives every alarm in the stack's region.
	AlarmTopicARN pulumi.StringOutput `pulumi:"alarmTopicArn"`
	// LogsKMSKeyARN encrypts the log groups, the trail and the alarm topic.
	LogsKMSKeyARN   pulumi.StringOutput `pulumi:"logsKmsKeyArn"`
	TrailARN        pulumi.StringOutput `pulumi:"trailArn"`
	TrailBucketName pulumi.StringOutput `pulumi:"trailBucketName"`
	// Set by Watch.
	DashboardName        pulumi.StringOutput `pulumi:"dashboardName"`
	DashboardURL         pulumi.StringOutput `pulumi:"dashboardUrl"`
	UsEast1AlarmTopicARN pulumi.StringOutput `pulumi:"usEast1AlarmTopicArn"`
	// AlarmNames lists every alarm Watch created, sorted.
	AlarmNames []string

	args    Args
	name    string
	topic   *sns.Topic
	watched bool
}

var (
	logGroupName    = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
	logGroupPattern = regexp.MustCompile(`^[.\-_/#A-Za-z0-9*]{1,512}$`)
)

// New creates the logs key, the log groups, the alarm topic and CloudTrail. Call Watch once the
// monitored resources exist; it registers the component's outputs.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Observability, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("observability %s: %w", name, err)
	}
	a := args.Account
	o := &Observability{args: *args, name: name, LogGroupNames: map[string]pulumi.StringOutput{}, LogGroupARNs: map[string]pulumi.StringOutput{}}
	if o.args.TrailRetentionDays == 0 {
		o.args.TrailRetentionDays = DefaultTrailRetentionDays
	}
	if err := ctx.RegisterComponentResource(Type, name, o, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(o)
	wrap := component.Wrap("observability", name)

	groups := o.groupNames()
	trailName := args.NamePrefix + "-trail"
	trailArn := a.ARN("cloudtrail", "trail/"+trailName)
	key, err := kmskey.New(ctx, name+"-logs-key", &kmskey.Args{
		Account:            a,
		Description:        "Logs, CloudTrail and alarm topic of " + args.NamePrefix,
		Alias:              args.NamePrefix + "/logs",
		DeletionWindowDays: args.KMSDeletionWindowDays,
		Grants: []kmskey.ServiceGrant{
			logsGrant(a, args.NamePrefix, groups, args.ExtraLogGroupPatterns),
			{
				Sid:       "AllowCloudTrailEncryptLogs",
				Principal: a.ServicePrincipal("cloudtrail"),
				Actions:   []string{"kms:GenerateDataKey*"},
				Conditions: iampolicy.Conditions{
					"StringEquals": {"aws:SourceArn": iampolicy.List{trailArn}},
					"StringLike":   {"kms:EncryptionContext:aws:cloudtrail:arn": iampolicy.List{fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", a.Partition, a.ID)}},
				},
			},
			{
				Sid:        "AllowCloudTrailDescribeKey",
				Principal:  a.ServicePrincipal("cloudtrail"),
				Actions:    []string{"kms:DescribeKey"},
				Conditions: iampolicy.Conditions{"StringEquals": {"aws:SourceArn": iampolicy.List{trailArn}}},
			},
			alarmsGrant(a, args.NamePrefix),
		},
		Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, wrap("logs key", err)
	}
	o.LogsKMSKeyARN = key.ARN

	for _, entry := range slices.Sorted(maps.Keys(groups)) {
		full := groups[entry]
		lg, err := cloudwatch.NewLogGroup(ctx, name+"-log-"+logicalSuffix(entry), &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(full),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
			KmsKeyId:        key.ARN,
			Tags:            awsenv.Tags(args.Tags, full),
		}, parent)
		if err != nil {
			return nil, wrap("log group "+full, err)
		}
		o.LogGroupNames[entry] = lg.Name
		o.LogGroupARNs[entry] = lg.Arn
	}

	o.topic, err = newTopic(ctx, name+"-alarms", args.NamePrefix+"-alarms", a, args.NamePrefix, key.ARN, args.AlarmEmail, args.Tags, parent)
	if err != nil {
		return nil, wrap("alarm topic", err)
	}
	o.AlarmTopicARN = o.topic.Arn

	trail, bucket, err := newTrail(ctx, name, &o.args, trailName, key.ARN, o.LogGroupARNs[TrailLogGroup], groups[TrailLogGroup], parent)
	if err != nil {
		return nil, wrap("trail", err)
	}
	o.TrailARN = trail.Arn
	o.TrailBucketName = bucket.ID
	return o, nil
}

// groupNames maps each Args.LogGroups entry, and TrailLogGroup, to its full name.
func (o *Observability) groupNames() map[string]string {
	out := map[string]string{TrailLogGroup: fullGroupName(o.args.NamePrefix, TrailLogGroup)}
	for _, e := range o.args.LogGroups {
		out[e] = fullGroupName(o.args.NamePrefix, e)
	}
	return out
}

func fullGroupName(prefix, entry string) string {
	if strings.HasPrefix(entry, "/") {
		return entry
	}
	return "/" + prefix + "/" + entry
}

// logicalSuffix turns a log group entry into a Pulumi name fragment.
func logicalSuffix(entry string) string {
	return strings.Trim(strings.NewReplacer("/", "-", "#", "-").Replace(entry), "-")
}

// logsGrant lets CloudWatch Logs use the key for the component's groups only: everything under
// "/<prefix>/" and each full name listed.
func logsGrant(a awsenv.Account, prefix string, groups map[string]string, extra []string) kmskey.ServiceGrant {
	patterns := iampolicy.List{a.ARN("logs", "log-group:/"+prefix+"/*")}
	for _, full := range slices.Sorted(maps.Values(groups)) {
		if !strings.HasPrefix(full, "/"+prefix+"/") {
			patterns = append(patterns, a.ARN("logs", "log-group:"+full))
		}
	}
	for _, p := range extra {
		patterns = append(patterns, a.ARN("logs", "log-group:"+p))
	}
	g := kmskey.LogsGrant(a, "/"+prefix+"/")
	g.Conditions = iampolicy.Conditions{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": patterns}}
	return g
}

// alarmsGrant lets CloudWatch alarms of this stack publish to a topic encrypted with the key
// (without it, notifications fail with an access error in the alarm history).
func alarmsGrant(a awsenv.Account, prefix string) kmskey.ServiceGrant {
	return kmskey.ServiceGrant{
		Sid:       "AllowCloudWatchAlarmsToEncryptedTopic",
		Principal: a.ServicePrincipal("cloudwatch"),
		Actions:   []string{"kms:Decrypt", "kms:GenerateDataKey*"},
		Conditions: iampolicy.Conditions{
			"StringEquals": {"aws:SourceAccount": iampolicy.List{a.ID}},
			"ArnLike":      {"aws:SourceArn": iampolicy.List{alarmArnPattern(a, prefix)}},
		},
	}
}

func alarmArnPattern(a awsenv.Account, prefix string) string {
	return a.ARN("cloudwatch", "alarm:"+prefix+"-*")
}

// newTopic creates a KMS-encrypted alarm topic that only this stack's alarms may publish to, and
// the e-mail subscription.
func newTopic(ctx *pulumi.Context, name, topicName string, a awsenv.Account, prefix string, keyArn pulumi.StringInput, email string, tags map[string]string, opts ...pulumi.ResourceOption) (*sns.Topic, error) {
	topic, err := sns.NewTopic(ctx, name, &sns.TopicArgs{
		Name:           pulumi.String(topicName),
		DisplayName:    pulumi.String("Alarms of " + prefix),
		KmsMasterKeyId: keyArn,
		Tags:           awsenv.Tags(tags, topicName),
	}, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := sns.NewTopicPolicy(ctx, name+"-policy", &sns.TopicPolicyArgs{
		Arn:    topic.Arn,
		Policy: iampolicy.Render(topic.Arn, func(arn string) iampolicy.Document { return TopicPolicy(a, prefix, arn) }),
	}, opts...); err != nil {
		return nil, err
	}
	if email != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(email),
		}, opts...); err != nil {
			return nil, err
		}
	}
	return topic, nil
}

// TopicPolicy lets the account manage the topic and this stack's alarms publish to it, over
// TLS only.
func TopicPolicy(a awsenv.Account, prefix, topicArn string) iampolicy.Document {
	return iampolicy.New(
		iampolicy.Statement{
			Sid:       "AccountManagesTopic",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{AWS: iampolicy.List{a.RootARN()}},
			Action: iampolicy.List{"sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
				"sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"},
			Resource: iampolicy.List{topicArn},
		},
		iampolicy.Statement{
			Sid:       "AllowStackAlarmsToPublish",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{Service: iampolicy.List{a.ServicePrincipal("cloudwatch")}},
			Action:    iampolicy.List{"sns:Publish"},
			Resource:  iampolicy.List{topicArn},
			Condition: iampolicy.Conditions{
				"StringEquals": {"aws:SourceAccount": iampolicy.List{a.ID}},
				"ArnLike":      {"aws:SourceArn": iampolicy.List{alarmArnPattern(a, prefix)}},
			},
		},
		iampolicy.Statement{
			Sid:       "DenyInsecureTransport",
			Effect:    "Deny",
			Principal: &iampolicy.Principal{Wildcard: true},
			Action:    iampolicy.List{"sns:Publish"},
			Resource:  iampolicy.List{topicArn},
			Condition: iampolicy.Conditions{"Bool": {"aws:SecureTransport": iampolicy.List{"false"}}},
		},
	)
}

// newTrail creates the trail's access-log sink, its bucket, the CloudWatch Logs role and the
// trail.
func newTrail(ctx *pulumi.Context, name string, args *Args, trailName string, keyArn, groupArn pulumi.StringOutput, groupName string, opts ...pulumi.ResourceOption) (*cloudtrail.Trail, *s3bucket.Bucket, error) {
	a := args.Account
	trailArn := a.ARN("cloudtrail", "trail/"+trailName)
	sink, err := s3bucket.New(ctx, name+"-trail-access-logs", &s3bucket.Args{
		Name:       s3bucket.Name(a, args.NamePrefix, "trail-access-logs"),
		LogSink:    true,
		ExpireDays: args.LogRetentionDays,
		Tags:       args.Tags,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	bucket, err := s3bucket.New(ctx, name+"-trail", &s3bucket.Args{
		Name:            s3bucket.Name(a, args.NamePrefix, "trail"),
		KMSKeyARN:       keyArn,
		AccessLogBucket: sink.ID,
		ExpireDays:      args.TrailRetentionDays,
		NoncurrentDays:  30,
		Tags:            args.Tags,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	if _, err := sink.Policy(ctx, name+"-trail-access-logs-policy", nil, func(sinkArn string, _ []string) []iampolicy.Statement {
		return []iampolicy.Statement{s3bucket.AccessLogDelivery(a, sinkArn, map[string]string{bucket.Name: s3bucket.AccessLogPrefix(bucket.Name)})}
	}, opts...); err != nil {
		return nil, nil, err
	}
	policy, err := bucket.Policy(ctx, name+"-trail-policy", nil, func(bucketArn string, _ []string) []iampolicy.Statement {
		return TrailBucketStatements(a, bucketArn, trailArn)
	}, opts...)
	if err != nil {
		return nil, nil, err
	}

	role, err := iam.NewRole(ctx, name+"-trail-logs-role", &iam.RoleArgs{
		Name:             pulumi.String(args.NamePrefix + "-cloudtrail-logs"),
		Description:      pulumi.String("CloudTrail writes " + trailName + " to " + groupName),
		AssumeRolePolicy: mustJSON(iampolicy.ServiceTrust(a.ServicePrincipal("cloudtrail"), a.ID)),
		Tags:             awsenv.Tags(args.Tags, args.NamePrefix+"-cloudtrail-logs"),
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-trail-logs-policy", &iam.RolePolicyArgs{
		Name: pulumi.String("write-trail-log-group"),
		Role: role.ID(),
		Policy: iampolicy.Render(groupArn, func(arn string) iampolicy.Document {
			return iampolicy.New(iampolicy.Statement{
				Sid:      "WriteTrailEvents",
				Effect:   "Allow",
				Action:   iampolicy.List{"logs:CreateLogStream", "logs:PutLogEvents"},
				Resource: iampolicy.List{arn + ":log-stream:*"},
			})
		}),
	}, opts...)
	if err != nil {
		return nil, nil, err
	}

	trail, err := cloudtrail.NewTrail(ctx, name+"-trail", &cloudtrail.TrailArgs{
		Name:                       pulumi.String(trailName),
		S3BucketName:               bucket.ID,
		IsMultiRegionTrail:         pulumi.Bool(true),
		IncludeGlobalServiceEvents: pulumi.Bool(true),
		EnableLogging:              pulumi.Bool(true),
		EnableLogFileValidation:    pulumi.Bool(true),
		KmsKeyId:                   keyArn,
		CloudWatchLogsGroupArn:     pulumi.Sprintf("%s:*", groupArn),
		CloudWatchLogsRoleArn:      role.Arn,
		EventSelectors: cloudtrail.TrailEventSelectorArray{&cloudtrail.TrailEventSelectorArgs{
			ReadWriteType:           pulumi.String("All"),
			IncludeManagementEvents: pulumi.Bool(true),
		}},
		Tags: awsenv.Tags(args.Tags, trailName),
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{policy, rolePolicy}))...)
	if err != nil {
		return nil, nil, err
	}
	return trail, bucket, nil
}

// TrailBucketStatements let CloudTrail check the bucket ACL and write log files, for this trail
// only (aws:SourceArn).
func TrailBucketStatements(a awsenv.Account, bucketArn, trailArn string) []iampolicy.Statement {
	principal := &iampolicy.Principal{Service: iampolicy.List{a.ServicePrincipal("cloudtrail")}}
	return []iampolicy.Statement{
		{
			Sid: "AWSCloudTrailAclCheck", Effect: "Allow", Principal: principal,
			Action: iampolicy.List{"s3:GetBucketAcl"}, Resource: iampolicy.List{bucketArn},
			Condition: iampolicy.Conditions{"StringEquals": {"aws:SourceArn": iampolicy.List{trailArn}}},
		},
		{
			Sid: "AWSCloudTrailWrite", Effect: "Allow", Principal: principal,
			Action: iampolicy.List{"s3:PutObject"}, Resource: iampolicy.List{bucketArn + "/AWSLogs/" + a.ID + "/*"},
			Condition: iampolicy.Conditions{"StringEquals": {
				"aws:SourceArn": iampolicy.List{trailArn},
				"s3:x-amz-acl":  iampolicy.List{"bucket-owner-full-control"},
			}},
		},
	}
}

func mustJSON(d iampolicy.Document) pulumi.StringInput {
	s, err := d.JSON()
	if err != nil {
		// Only a malformed literal document gets here: a programming error.
		panic(err)
	}
	return pulumi.String(s)
}

var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	errs := a.Common.Check()
	if strings.ContainsAny(a.NamePrefix, "/ *") {
		errs = append(errs, fmt.Errorf("NamePrefix %q must not contain '/', ' ' or '*'", a.NamePrefix))
	}
	seen := map[string]string{fullGroupName(a.NamePrefix, TrailLogGroup): TrailLogGroup}
	logical := map[string]string{logicalSuffix(TrailLogGroup): TrailLogGroup}
	for _, e := range a.LogGroups {
		full := fullGroupName(a.NamePrefix, e)
		switch {
		case e == TrailLogGroup:
			errs = append(errs, fmt.Errorf("log group %q is reserved for CloudTrail", e))
		case e == "" || !logGroupName.MatchString(full):
			errs = append(errs, fmt.Errorf("log group %q is not a valid CloudWatch Logs name", e))
		case seen[full] != "":
			errs = append(errs, fmt.Errorf("log group %q duplicates %q", e, seen[full]))
		case logical[logicalSuffix(e)] != "":
			errs = append(errs, fmt.Errorf("log group %q collides with %q", e, logical[logicalSuffix(e)]))
		}
		seen[full], logical[logicalSuffix(e)] = e, e
	}
	for _, p := range a.ExtraLogGroupPatterns {
		if p == "" || p == "*" || !logGroupPattern.MatchString(p) {
			errs = append(errs, fmt.Errorf("ExtraLogGroupPatterns: %q is not a log group name pattern (a name with * wildcards, not \"*\" alone)", p))
		}
	}
	if !slices.Contains(retentionDays, a.LogRetentionDays) {
		errs = append(errs, fmt.Errorf("LogRetentionDays %d is not a CloudWatch Logs retention", a.LogRetentionDays))
	}
	if a.AlarmEmail != "" && !emailish.MatchString(a.AlarmEmail) {
		errs = append(errs, fmt.Errorf("AlarmEmail %q is not an e-mail address", a.AlarmEmail))
	}
	if a.TrailRetentionDays != 0 && a.TrailRetentionDays < 90 {
		errs = append(errs, fmt.Errorf("TrailRetentionDays %d must be at least 90 (0: default %d)", a.TrailRetentionDays, DefaultTrailRetentionDays))
	}
	return errs.Err()
}

var emailish = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
