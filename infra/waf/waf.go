// Package waf is the web application firewall component: a REGIONAL web ACL associated with
// the ALB and a CLOUDFRONT web ACL (created in us-east-1, attached by the cdn component through
// the distribution's WebAclId), both with the AWS managed groups Common, KnownBadInputs, SQLi
// and AmazonIpReputationList, a per-client-IP rate rule, CloudWatch metrics and sampled
// requests on every rule, and logging to KMS-encrypted aws-waf-logs-* log groups in the ACL's
// region.
//
// Rate limiting: the CLOUDFRONT ACL counts the viewer's address as CloudFront sees it
// (AggregateKeyType IP), which is the real client; that is the limit that protects the site.
// The ALB only ever sees CloudFront's edge addresses, so the REGIONAL ACL counts the first
// address of X-Forwarded-For (FORWARDED_IP) instead. A client can put any address first in that
// header, so the REGIONAL rule is a backstop, not the control; requests without the header fall
// through (NO_MATCH) because the ALB listener already rejects anything that did not come
// through CloudFront (origin secret header).
package waf

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/kmskey"
)

// Type is the component's type token.
const Type = "chess:waf:WAF"

// CloudFrontRegion is where CLOUDFRONT-scope ACLs, their logs and keys must live.
const CloudFrontRegion = "us-east-1"

// Defaults of the optional Args.
const (
	DefaultRateLimit         = 2000
	DefaultRateWindowSeconds = 300
)

// LogGroupPrefix is the name prefix AWS WAF requires of a CloudWatch Logs destination.
const LogGroupPrefix = "aws-waf-logs-"

// ManagedGroup is an AWS managed rule group and its capacity (WCU, from the AWS WAF developer
// guide's rule group pages).
type ManagedGroup struct {
	Name string
	WCU  int
}

// ManagedGroups are the groups both ACLs run, in priority order after the rate rule.
// KnownBadInputs includes Log4JRCE; none of the groups' rules is overridden.
var ManagedGroups = []ManagedGroup{
	{"AWSManagedRulesAmazonIpReputationList", 25},
	{"AWSManagedRulesCommonRuleSet", 700},
	{"AWSManagedRulesKnownBadInputsRuleSet", 200},
	{"AWSManagedRulesSQLiRuleSet", 200},
}

// RedactedHeaders are removed from WAF logs: credentials, and the origin secret CloudFront adds
// for the ALB (the REGIONAL ACL sees it). The query string is redacted too: the direct /ws
// transport carries the session token there.
var RedactedHeaders = []string{"authorization", "cookie", "x-origin-verify"}

// Args configures the firewall.
type Args struct {
	// Common are the Account, NamePrefix, LogRetentionDays, KMSDeletionWindowDays and Tags
	// every component takes.
	component.Common
	// ALBARN is the ALB the REGIONAL ACL is associated with. Required.
	ALBARN pulumi.StringInput
	// UsEast1 is an AWS provider for us-east-1; the CLOUDFRONT ACL, its log group and its key
	// are created through it. Required.
	UsEast1 pulumi.ProviderResource
	// RateLimit is the number of requests one client address may send in RateWindowSeconds
	// before it is blocked (10 to 2,000,000,000). Optional; default 2000.
	RateLimit int
	// RateWindowSeconds is the evaluation window of the rate rule: 60, 120, 300 or 600.
	// Optional; default 300.
	RateWindowSeconds int
}

// WAF is the component.
type WAF struct {
	pulumi.ResourceState

	// RegionalACLARN/Name: the ACL on the ALB (CloudWatch metrics use the name).
	RegionalACLARN  pulumi.StringOutput `pulumi:"regionalAclArn"`
	RegionalACLName pulumi.StringOutput `pulumi:"regionalAclName"`
	// CloudfrontACLARN is what the distribution's WebAclId takes (the ARN, not the id).
	CloudfrontACLARN  pulumi.StringOutput `pulumi:"cloudfrontAclArn"`
	CloudfrontACLName pulumi.StringOutput `pulumi:"cloudfrontAclName"`
	// The log groups (the CLOUDFRONT one is in us-east-1).
	RegionalLogGroupName   pulumi.StringOutput `pulumi:"regionalLogGroupName"`
	CloudfrontLogGroupName pulumi.StringOutput `pulumi:"cloudfrontLogGroupName"`

	Regional    *wafv2.WebAcl
	Cloudfront  *wafv2.WebAcl
	Association *wafv2.WebAclAssociation
}

// scope is everything that differs between the two ACLs.
type scope struct {
	key      string // "regional" or "cloudfront"
	wafScope string // REGIONAL or CLOUDFRONT
	account  awsenv.Account
	opts     []pulumi.ResourceOption
	rate     *wafv2.WebAclRuleStatementRateBasedStatementArgs
}

// New creates both ACLs, the ALB association and the logging.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*WAF, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("waf %s: %w", name, err)
	}
	limit, window := args.RateLimit, args.RateWindowSeconds
	if limit == 0 {
		limit = DefaultRateLimit
	}
	if window == 0 {
		window = DefaultRateWindowSeconds
	}

	w := &WAF{}
	if err := ctx.RegisterComponentResource(Type, name, w, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(w)
	usEast1 := args.Account
	usEast1.Region = CloudFrontRegion

	regional := scope{
		key: "regional", wafScope: "REGIONAL", account: args.Account, opts: []pulumi.ResourceOption{parent},
		rate: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
			Limit:               pulumi.Int(limit),
			EvaluationWindowSec: pulumi.Int(window),
			AggregateKeyType:    pulumi.String("FORWARDED_IP"),
			ForwardedIpConfig: &wafv2.WebAclRuleStatementRateBasedStatementForwardedIpConfigArgs{
				HeaderName:       pulumi.String("X-Forwarded-For"),
				FallbackBehavior: pulumi.String("NO_MATCH"),
			},
		},
	}
	cloudfront := scope{
		key: "cloudfront", wafScope: "CLOUDFRONT", account: usEast1, opts: []pulumi.ResourceOption{parent, pulumi.Provider(args.UsEast1)},
		rate: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
			Limit:               pulumi.Int(limit),
			EvaluationWindowSec: pulumi.Int(window),
			AggregateKeyType:    pulumi.String("IP"),
		},
	}

	var err error
	var regionalLogs, cloudfrontLogs *cloudwatch.LogGroup
	if w.Regional, regionalLogs, err = newACL(ctx, name, args, regional); err != nil {
		return nil, err
	}
	if w.Cloudfront, cloudfrontLogs, err = newACL(ctx, name, args, cloudfront); err != nil {
		return nil, err
	}

	w.Association, err = wafv2.NewWebAclAssociation(ctx, name+"-alb", &wafv2.WebAclAssociationArgs{
		ResourceArn: args.ALBARN,
		WebAclArn:   w.Regional.Arn,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("waf %s: ALB association: %w", name, err)
	}

	w.RegionalACLARN, w.RegionalACLName = w.Regional.Arn, w.Regional.Name
	w.CloudfrontACLARN, w.CloudfrontACLName = w.Cloudfront.Arn, w.Cloudfront.Name
	w.RegionalLogGroupName, w.CloudfrontLogGroupName = regionalLogs.Name, cloudfrontLogs.Name
	if err := ctx.RegisterResourceOutputs(w, pulumi.Map{
		"regionalAclArn":         w.RegionalACLARN,
		"regionalAclName":        w.RegionalACLName,
		"cloudfrontAclArn":       w.CloudfrontACLARN,
		"cloudfrontAclName":      w.CloudfrontACLName,
		"regionalLogGroupName":   w.RegionalLogGroupName,
		"cloudfrontLogGroupName": w.CloudfrontLogGroupName,
	}); err != nil {
		return nil, err
	}
	return w, nil
}

// newACL creates one web ACL with its log key, log group and logging configuration, all in the
// scope's region.
func newACL(ctx *pulumi.Context, name string, args *Args, s scope) (*wafv2.WebAcl, *cloudwatch.LogGroup, error) {
	wrap := func(what string, err error) error { return fmt.Errorf("waf %s: %s %s: %w", name, s.key, what, err) }
	aclName := args.NamePrefix + "-" + s.key
	logGroupName := LogGroupPrefix + aclName

	key, err := kmskey.New(ctx, name+"-"+s.key+"-logs-key", &kmskey.Args{
		Account:            s.account,
		Description:        "WAF logs of " + aclName + " (" + s.account.Region + ")",
		Alias:              args.NamePrefix + "/waf-" + s.key + "-logs",
		DeletionWindowDays: args.KMSDeletionWindowDays,
		Grants:             []kmskey.ServiceGrant{kmskey.LogsGrant(s.account, logGroupName)},
		Tags:               args.Tags,
	}, s.opts...)
	if err != nil {
		return nil, nil, wrap("log key", err)
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-"+s.key+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logGroupName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        key.ARN,
		Tags:            awsenv.Tags(args.Tags, logGroupName),
	}, s.opts...)
	if err != nil {
		return nil, nil, wrap("log group", err)
	}

	acl, err := wafv2.NewWebAcl(ctx, name+"-"+s.key, &wafv2.WebAclArgs{
		Name:             pulumi.String(aclName),
		Description:      pulumi.String(fmt.Sprintf("%s web ACL of %s", s.wafScope, args.NamePrefix)),
		Scope:            pulumi.String(s.wafScope),
		DefaultAction:    &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules:            rules(aclName, s.rate),
		VisibilityConfig: visibility(aclName),
		Tags:             awsenv.Tags(args.Tags, aclName),
	}, s.opts...)
	if err != nil {
		return nil, nil, wrap("web ACL", err)
	}

	redacted := wafv2.WebAclLoggingConfigurationRedactedFieldArray{
		&wafv2.WebAclLoggingConfigurationRedactedFieldArgs{QueryString: &wafv2.WebAclLoggingConfigurationRedactedFieldQueryStringArgs{}},
	}
	for _, h := range RedactedHeaders {
		redacted = append(redacted, &wafv2.WebAclLoggingConfigurationRedactedFieldArgs{
			SingleHeader: &wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs{Name: pulumi.String(h)},
		})
	}
	if _, err := wafv2.NewWebAclLoggingConfiguration(ctx, name+"-"+s.key+"-logging", &wafv2.WebAclLoggingConfigurationArgs{
		ResourceArn:           acl.Arn,
		LogDestinationConfigs: pulumi.StringArray{logs.Arn},
		RedactedFields:        redacted,
	}, s.opts...); err != nil {
		return nil, nil, wrap("logging", err)
	}
	return acl, logs, nil
}

// rules are the rate rule first (cheap, and it blocks floods before the managed groups run),
// then the managed groups, each counted (metrics) and sampled.
func rules(aclName string, rate *wafv2.WebAclRuleStatementRateBasedStatementArgs) wafv2.WebAclRuleArray {
	out := wafv2.WebAclRuleArray{&wafv2.WebAclRuleArgs{
		Name:             pulumi.String("rate-limit-per-ip"),
		Priority:         pulumi.Int(0),
		Action:           &wafv2.WebAclRuleActionArgs{Block: &wafv2.WebAclRuleActionBlockArgs{}},
		Statement:        &wafv2.WebAclRuleStatementArgs{RateBasedStatement: rate},
		VisibilityConfig: ruleVisibility(aclName + "-rate-limit-per-ip"),
	}}
	for i, g := range ManagedGroups {
		out = append(out, &wafv2.WebAclRuleArgs{
			Name:     pulumi.String(g.Name),
			Priority: pulumi.Int(i + 1),
			// None: the group's own actions (block) apply; Count would only observe.
			OverrideAction: &wafv2.WebAclRuleOverrideActionArgs{None: &wafv2.WebAclRuleOverrideActionNoneArgs{}},
			Statement: &wafv2.WebAclRuleStatementArgs{
				ManagedRuleGroupStatement: &wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
					VendorName: pulumi.String("AWS"),
					Name:       pulumi.String(g.Name),
				},
			},
			VisibilityConfig: ruleVisibility(aclName + "-" + g.Name),
		})
	}
	return out
}

func visibility(metric string) *wafv2.WebAclVisibilityConfigArgs {
	return &wafv2.WebAclVisibilityConfigArgs{
		CloudwatchMetricsEnabled: pulumi.Bool(true),
		SampledRequestsEnabled:   pulumi.Bool(true),
		MetricName:               pulumi.String(metric),
	}
}

func ruleVisibility(metric string) *wafv2.WebAclRuleVisibilityConfigArgs {
	return &wafv2.WebAclRuleVisibilityConfigArgs{
		CloudwatchMetricsEnabled: pulumi.Bool(true),
		SampledRequestsEnabled:   pulumi.Bool(true),
		MetricName:               pulumi.String(metric),
	}
}

var rateWindows = map[int]bool{60: true, 120: true, 300: true, 600: true}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	errs := a.Common.Check()
	if a.ALBARN == nil {
		errs = append(errs, errors.New("AlbArn is required"))
	}
	if a.UsEast1 == nil {
		errs = append(errs, errors.New("UsEast1 (an AWS provider for us-east-1) is required for the CLOUDFRONT web ACL"))
	}
	if a.RateLimit != 0 && (a.RateLimit < 10 || a.RateLimit > 2_000_000_000) {
		errs = append(errs, fmt.Errorf("RateLimit %d must be 10 to 2000000000 (0: default %d)", a.RateLimit, DefaultRateLimit))
	}
	if a.RateWindowSeconds != 0 && !rateWindows[a.RateWindowSeconds] {
		errs = append(errs, fmt.Errorf("RateWindowSeconds %d must be 60, 120, 300 or 600 (0: default %d)", a.RateWindowSeconds, DefaultRateWindowSeconds))
	}
	return errs.Err()
}
