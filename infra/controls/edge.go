package controls

// Controls of the edge and observability components (waf, cdn, observability): WAF, CloudFront,
// the S3 buckets they create, CloudTrail, the alarm topics and alarms. Their IAM policies are
// covered by IAMWalk below and PolicyWalk (iamwalk.go), with the allow-list of "*" resources. Ids follow shared/reference/aws.md §2; EDGE.* and WAF.* ids name design rules.
// Unexported names here carry an "edge" prefix so they cannot collide with the other control
// files of this package.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

// Resource types of the edge and observability components.
const (
	TAWSProvider            = "pulumi:providers:aws"
	TWebACL                 = "aws:wafv2/webAcl:WebAcl"
	TWebACLAssociation      = "aws:wafv2/webAclAssociation:WebAclAssociation"
	TWebACLLogging          = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
	TS3BucketLogging        = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	TS3Object               = "aws:s3/bucketObjectv2:BucketObjectv2"
	TDistribution           = "aws:cloudfront/distribution:Distribution"
	TOriginAccessControl    = "aws:cloudfront/originAccessControl:OriginAccessControl"
	TResponseHeadersPolicy  = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
	TLogDeliverySource      = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
	TLogDeliveryDestination = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
	TLogDelivery            = "aws:cloudwatch/logDelivery:LogDelivery"
	TTopic                  = "aws:sns/topic:Topic"
	TTopicPolicy            = "aws:sns/topicPolicy:TopicPolicy"
	TTopicSubscription      = "aws:sns/topicSubscription:TopicSubscription"
	TTrail                  = "aws:cloudtrail/trail:Trail"
	TMetricAlarm            = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TDashboard              = "aws:cloudwatch/dashboard:Dashboard"
)

// The S3 and IAM types (also named in the services controls; kept private here).
const (
	edgeBucket          = "aws:s3/bucketV2:BucketV2"
	edgeBucketPAB       = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	edgeBucketOwnership = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	edgeBucketSSE       = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	edgeBucketVersion   = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	edgeBucketLifecycle = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	edgeBucketPolicy    = "aws:s3/bucketPolicy:BucketPolicy"
	edgeIAMPolicy       = "aws:iam/policy:Policy"
)

// CloudFrontRegion is where CLOUDFRONT-scope WAF resources, CloudFront's log delivery and its
// metrics live.
const CloudFrontRegion = "us-east-1"

// CloudFrontTLSID is the viewer-TLS control; a stack served on *.cloudfront.net (no domain,
// CloudFront's default certificate) fails it and must list it as a waiver.
const CloudFrontTLSID = "CloudFront.15 viewer TLS 1.2 (TLSv1.2_2021) over SNI on an ACM certificate"

// EdgeParams are the values the edge controls compare against.
type EdgeParams struct {
	// Region is the stack's region: resources on the default provider live there.
	Region string
}

// EdgeControls is every control of the edge and observability components (add IAMWalk, KMS,
// Logs and Tags for their keys, log groups, policies and tags).
func EdgeControls(p EdgeParams) []Control {
	var all []Control
	for _, cs := range [][]Control{WAF(p), CloudFront(p), EdgeS3(), CloudTrail(), Alarms(p)} {
		all = append(all, cs...)
	}
	return all
}

// Types without a tags argument, added to the TAG.1 exemptions (platform.go) once at start-up.
func init() {
	untaggable = append(untaggable,
		TAWSProvider, TWebACLAssociation, TWebACLLogging, TS3BucketLogging, TOriginAccessControl, TResponseHeadersPolicy,
		TTopicPolicy, TTopicSubscription, TDashboard,
		edgeBucketPAB, edgeBucketOwnership, edgeBucketSSE, edgeBucketVersion, edgeBucketLifecycle, edgeBucketPolicy,
	)
}

// ---------------------------------------------------------------------------------------------
// Regions of resources created through a second provider.

// ResourceRegion is the region r is created in: the explicit region of the AWS provider it was
// created through, or defaultRegion on the default provider.
func ResourceRegion(rec infratest.Recorded, r infratest.Resource, defaultRegion string) string {
	if r.Provider == "" {
		return defaultRegion
	}
	i := strings.LastIndex(r.Provider, "::")
	if i < 0 {
		return defaultRegion
	}
	p, ok := rec.ByID(r.Provider[i+2:])
	if !ok || p.Type != TAWSProvider {
		return defaultRegion
	}
	if region, ok := p.Str("region"); ok && region != "" {
		return region
	}
	return defaultRegion
}

// InProviderRegions returns a copy of rec in which the ARN of every resource created through a
// provider for another region names that region, in its "arn" output and wherever another
// resource refers to it (inputs and outputs, inside policy documents too). The mock builds every
// ARN in its own region (defaultRegion); AWS would not, and checks that compare an ARN with a
// regional pattern (a key policy's log-group condition) need the real one.
func InProviderRegions(rec infratest.Recorded, defaultRegion string) infratest.Set {
	moved := map[string]string{}
	for _, r := range rec.Resources() {
		region := ResourceRegion(rec, r, defaultRegion)
		arn, ok := r.Output("arn")
		if !ok || !arn.IsString() || region == defaultRegion {
			continue
		}
		parts := strings.SplitN(arn.StringValue(), ":", 6)
		if len(parts) == 6 && parts[3] == defaultRegion {
			parts[3] = region
			moved[arn.StringValue()] = strings.Join(parts, ":")
		}
	}
	var out infratest.Set
	for _, r := range rec.Resources() {
		if len(moved) > 0 {
			r.Inputs = edgeReplace(r.Inputs, moved)
			r.Outputs = edgeReplace(r.Outputs, moved)
		}
		out = append(out, r)
	}
	return out
}

// edgeReplace copies m with every occurrence of each old string replaced, secrets kept secret.
func edgeReplace(m resource.PropertyMap, repl map[string]string) resource.PropertyMap {
	out := make(resource.PropertyMap, len(m))
	for k, v := range m {
		out[k] = edgeReplaceValue(v, repl)
	}
	return out
}

func edgeReplaceValue(v resource.PropertyValue, repl map[string]string) resource.PropertyValue {
	switch {
	case v.IsString():
		s := v.StringValue()
		for old, n := range repl {
			s = strings.ReplaceAll(s, old, n)
		}
		return resource.NewStringProperty(s)
	case v.IsArray():
		items := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			items[i] = edgeReplaceValue(e, repl)
		}
		return resource.NewArrayProperty(items)
	case v.IsObject():
		return resource.NewObjectProperty(edgeReplace(v.ObjectValue(), repl))
	case v.IsSecret():
		return resource.MakeSecret(edgeReplaceValue(v.SecretValue().Element, repl))
	}
	return v
}

// ---------------------------------------------------------------------------------------------
// Helpers.

// edgeSub is the object at path as a resource of its own, so nested blocks (rules, origins,
// behaviours) read with the same accessors.
func edgeSub(r infratest.Resource, path string) (infratest.Resource, bool) {
	v, ok := r.Get(path)
	if !ok || !v.IsObject() {
		return infratest.Resource{}, false
	}
	return infratest.Resource{Type: r.Type, Name: r.Name + "." + path, Inputs: v.ObjectValue()}, true
}

// edgeItems are the objects of the list at path.
func edgeItems(r infratest.Resource, path string) []infratest.Resource {
	var out []infratest.Resource
	for i := 0; i < r.Len(path); i++ {
		if s, ok := edgeSub(r, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// edgeOut is a string output ("" when absent).
func edgeOut(r infratest.Resource, key string) string {
	v, ok := r.Output(key)
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// edgeByOut is the only resource of a type whose output key equals value.
func edgeByOut(rec infratest.Recorded, token, key, value string) (infratest.Resource, bool) {
	rs := infratest.ByOutput(rec, token, key, value)
	if value == "" || len(rs) != 1 {
		return infratest.Resource{}, false
	}
	return rs[0], true
}

// edgeSettingsOf are the sub-resources of a type that configure a bucket (their "bucket" input).
func edgeSettingsOf(rec infratest.Recorded, token, bucketID string) []infratest.Resource {
	var out []infratest.Resource
	for _, s := range rec.ByType(token) {
		if b, _ := s.Str("bucket"); b == bucketID {
			out = append(out, s)
		}
	}
	return out
}

// edgeServiceStatements are the Allow statements of doc granted to a service principal whose
// name starts with service ("cloudfront." matches cloudfront.amazonaws.com).
func edgeServiceStatements(doc iampolicy.Document, service string) []iampolicy.Statement {
	var out []iampolicy.Statement
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || s.Principal == nil {
			continue
		}
		for _, p := range s.Principal.Service {
			if strings.HasPrefix(p, service) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// edgeCondition is the values of a condition key under an operator.
func edgeCondition(s iampolicy.Statement, op, key string) []string {
	for k, v := range s.Condition[op] {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func edgeHasAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------------------------
// WAF.

// Managed rule groups every web ACL must enforce, and their capacity in WCU (AWS WAF developer
// guide: baseline and IP reputation rule groups; restated here independently of infra/waf).
var edgeManagedWCU = map[string]int{
	"AWSManagedRulesCommonRuleSet":          700,
	"AWSManagedRulesKnownBadInputsRuleSet":  200,
	"AWSManagedRulesSQLiRuleSet":            200,
	"AWSManagedRulesAmazonIpReputationList": 25,
}

// edgeManagedBudget keeps 300 of the 1,500 WCUs the base price covers for the ACL's own rules:
// the rate rule's exact cost (a small base plus its scope-down) is not in the pages checked.
const edgeManagedBudget = 1200

func edgeACLs(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TWebACL, 1, fn)
}

// edgeManagedRule is the rule running the AWS managed group name, if any.
func edgeManagedRule(acl infratest.Resource, name string) (infratest.Resource, bool) {
	for _, rule := range edgeItems(acl, "rules") {
		v, _ := rule.Str("statement.managedRuleGroupStatement.vendorName")
		n, _ := rule.Str("statement.managedRuleGroupStatement.name")
		if v == "AWS" && n == name {
			return rule, true
		}
	}
	return infratest.Resource{}, false
}

// edgeEnforced requires a managed group with OverrideAction none (its own block actions apply),
// no scope-down and no rule overridden to a non-blocking action.
func edgeEnforced(acl infratest.Resource, group string, protect ...string) error {
	rule, ok := edgeManagedRule(acl, group)
	if !ok {
		return fmt.Errorf("managed rule group %s is missing", group)
	}
	if !rule.Has("overrideAction.none") || rule.Has("overrideAction.count") {
		return fmt.Errorf("%s: overrideAction must be none (count only observes)", group)
	}
	if rule.Has("statement.managedRuleGroupStatement.scopeDownStatement") {
		return fmt.Errorf("%s: a scope-down statement exempts requests", group)
	}
	for _, o := range edgeItems(rule, "statement.managedRuleGroupStatement.ruleActionOverrides") {
		n, _ := o.Str("name")
		for _, p := range protect {
			if strings.HasPrefix(n, p) {
				return fmt.Errorf("%s: rule %s is overridden", group, n)
			}
		}
		if !o.Has("actionToUse.block") {
			return fmt.Errorf("%s: rule %s is overridden to a non-blocking action", group, n)
		}
	}
	return nil
}

// edgeRules builds a rule list for break cases.
func edgeRules(rules ...map[string]any) []any {
	out := make([]any, len(rules))
	for i, r := range rules {
		out[i] = r
	}
	return out
}

func edgeManagedRuleValue(name string, override string) map[string]any {
	return map[string]any{
		"name": name, "priority": 1,
		"overrideAction":   map[string]any{override: map[string]any{}},
		"statement":        map[string]any{"managedRuleGroupStatement": map[string]any{"vendorName": "AWS", "name": name}},
		"visibilityConfig": map[string]any{"cloudwatchMetricsEnabled": true, "sampledRequestsEnabled": true, "metricName": name},
	}
}

// WAF lists the web ACL controls.
func WAF(p EdgeParams) []Control {
	visible := func(r infratest.Resource, what string) error {
		var errs []error
		for _, k := range []string{"visibilityConfig.cloudwatchMetricsEnabled", "visibilityConfig.sampledRequestsEnabled"} {
			if err := isBool(r, k, true); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", what, err))
			}
		}
		if _, err := nonEmpty(r, "visibilityConfig.metricName"); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		return errors.Join(errs...)
	}
	return []Control{
		{
			ID: "WAF.10 web ACLs have rules and a default action",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(r infratest.Resource) error {
					if r.Len("rules") == 0 {
						return errors.New("no rules")
					}
					if !r.Has("defaultAction.allow") && !r.Has("defaultAction.block") {
						return errors.New("defaultAction is not set explicitly")
					}
					return nil
				})
			},
			Props: []Prop{{TWebACL, "rules", []any{}}, {TWebACL, "defaultAction", nil}},
		},
		{
			ID: "WAF.12 CloudWatch metrics and sampled requests on every rule and web ACL",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(r infratest.Resource) error {
					errs := []error{visible(r, "web ACL")}
					if r.Len("rules") == 0 {
						errs = append(errs, errors.New("no rules to observe"))
					}
					for _, rule := range edgeItems(r, "rules") {
						name, _ := rule.Str("name")
						errs = append(errs, visible(rule, "rule "+name))
						if rule.Has("action") == rule.Has("overrideAction") {
							errs = append(errs, fmt.Errorf("rule %s needs exactly one of action and overrideAction", name))
						}
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{
				{TWebACL, "visibilityConfig", map[string]any{"cloudwatchMetricsEnabled": true, "sampledRequestsEnabled": false, "metricName": "acl"}},
				{TWebACL, "rules", edgeRules(map[string]any{"name": "unseen", "overrideAction": map[string]any{"none": map[string]any{}},
					"statement": map[string]any{"managedRuleGroupStatement": map[string]any{"vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}}})},
			},
		},
		{
			ID: "CKV_AWS_192 KnownBadInputs (Log4JRCE) enforced with OverrideAction none",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(r infratest.Resource) error {
					return edgeEnforced(r, "AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE")
				})
			},
			Props: []Prop{
				{TWebACL, "rules", edgeRules(edgeManagedRuleValue("AWSManagedRulesCommonRuleSet", "none"))},
				{TWebACL, "rules", edgeRules(edgeManagedRuleValue("AWSManagedRulesKnownBadInputsRuleSet", "count"))},
			},
		},
		{
			ID: "WAF.MANAGED Common, SQLi and Amazon IP reputation groups enforced with OverrideAction none",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(r infratest.Resource) error {
					return errors.Join(
						edgeEnforced(r, "AWSManagedRulesCommonRuleSet"),
						edgeEnforced(r, "AWSManagedRulesSQLiRuleSet"),
						edgeEnforced(r, "AWSManagedRulesAmazonIpReputationList"),
					)
				})
			},
			Props: []Prop{{TWebACL, "rules", edgeRules(
				edgeManagedRuleValue("AWSManagedRulesCommonRuleSet", "none"),
				edgeManagedRuleValue("AWSManagedRulesSQLiRuleSet", "count"),
				edgeManagedRuleValue("AWSManagedRulesAmazonIpReputationList", "none"),
			)}},
		},
		{
			ID: "WAF.RATE per-client rate rule blocks (IP at CloudFront, X-Forwarded-For at the ALB)",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(r infratest.Resource) error {
					scope, _ := r.Str("scope")
					for _, rule := range edgeItems(r, "rules") {
						rate, ok := edgeSub(rule, "statement.rateBasedStatement")
						if !ok {
							continue
						}
						var errs []error
						if !rule.Has("action.block") {
							errs = append(errs, errors.New("rate rule does not block"))
						}
						if err := intBetween(rate, "limit", 10, 2_000_000_000); err != nil {
							errs = append(errs, err)
						}
						key, _ := rate.Str("aggregateKeyType")
						switch scope {
						case "CLOUDFRONT":
							if key != "IP" {
								errs = append(errs, fmt.Errorf("CLOUDFRONT rate rule aggregates by %q, want IP (the viewer's address)", key))
							}
						default:
							header, _ := rate.Str("forwardedIpConfig.headerName")
							if key != "FORWARDED_IP" || !strings.EqualFold(header, "X-Forwarded-For") {
								errs = append(errs, fmt.Errorf("REGIONAL rate rule aggregates by %q/%q, want FORWARDED_IP from X-Forwarded-For (the ALB only sees CloudFront)", key, header))
							}
						}
						return errors.Join(errs...)
					}
					return errors.New("no rate-based rule")
				})
			},
			Props: []Prop{
				{TWebACL, "rules", edgeRules(edgeManagedRuleValue("AWSManagedRulesCommonRuleSet", "none"))},
				{TWebACL, "rules", edgeRules(map[string]any{"name": "rate", "action": map[string]any{"count": map[string]any{}},
					"statement": map[string]any{"rateBasedStatement": map[string]any{"limit": 2000, "aggregateKeyType": "CONSTANT"}}})},
			},
		},
		{
			ID: "WAF.WCU managed groups fit the 1,500 WCU base price with room for the ACL's own rules",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(r infratest.Resource) error {
					total := 0
					for _, rule := range edgeItems(r, "rules") {
						name, ok := rule.Str("statement.managedRuleGroupStatement.name")
						if !ok {
							continue
						}
						wcu, known := edgeManagedWCU[name]
						if !known {
							return fmt.Errorf("managed group %s has no confirmed WCU in this control", name)
						}
						total += wcu
					}
					if total > edgeManagedBudget {
						return fmt.Errorf("managed groups need %d WCU, more than %d", total, edgeManagedBudget)
					}
					return nil
				})
			},
			Props: []Prop{{TWebACL, "rules", AbsentIsSecure(edgeRules(
				edgeManagedRuleValue("AWSManagedRulesCommonRuleSet", "none"),
				edgeManagedRuleValue("AWSManagedRulesBotControlRuleSet", "none"),
			))}},
		},
		{
			ID: "CKV2_AWS_31 WAF logs to aws-waf-logs-* log groups in the web ACL's region",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(acl infratest.Resource) error {
					arn := edgeOut(acl, "arn")
					cfgs := infratest.ByOutput(rec, TWebACLLogging, "resourceArn", arn)
					if len(cfgs) != 1 {
						return fmt.Errorf("want one logging configuration for %s, found %d", arn, len(cfgs))
					}
					dests := cfgs[0].Strings("logDestinationConfigs")
					if len(dests) != 1 {
						return fmt.Errorf("want one log destination, found %v", dests)
					}
					group, ok := edgeByOut(rec, TLogGroup, "arn", dests[0])
					if !ok {
						return fmt.Errorf("destination %s is not a log group of the stack", dests[0])
					}
					if name, _ := group.Str("name"); !strings.HasPrefix(name, "aws-waf-logs-") {
						return fmt.Errorf("log group %q does not start with aws-waf-logs-", name)
					}
					if a, g := ResourceRegion(rec, acl, p.Region), ResourceRegion(rec, group, p.Region); a != g {
						return fmt.Errorf("web ACL in %s logs to a group in %s", a, g)
					}
					return nil
				})
			},
			Props: []Prop{
				{TWebACLLogging, "resourceArn", "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/other/1"},
				{TWebACLLogging, "logDestinationConfigs", []any{"arn:aws:s3:::some-bucket"}},
				{TLogGroup, "name", "/waf/not-a-waf-prefix"},
			},
		},
		{
			ID: "WAF.REDACT credentials, the origin secret and query strings redacted from WAF logs",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TWebACLLogging, 1, func(r infratest.Resource) error {
					var headers []string
					query := false
					for _, f := range edgeItems(r, "redactedFields") {
						if h, ok := f.Str("singleHeader.name"); ok {
							headers = append(headers, strings.ToLower(h))
						}
						query = query || f.Has("queryString")
					}
					if !query || !edgeHasAll(headers, "authorization", "cookie", "x-origin-verify") {
						return fmt.Errorf("redacted headers %v (query string %v), want authorization, cookie, x-origin-verify and the query string", headers, query)
					}
					return nil
				})
			},
			Props: []Prop{{TWebACLLogging, "redactedFields", []any{map[string]any{"singleHeader": map[string]any{"name": "authorization"}}}}},
		},
		{
			ID: "CKV2_AWS_28 the ALB is associated with the REGIONAL web ACL",
			Check: func(rec infratest.Recorded) error {
				albs := map[string]bool{}
				for _, lb := range rec.ByType("aws:lb/loadBalancer:LoadBalancer") {
					if t, _ := lb.Str("loadBalancerType"); t == "" || t == "application" {
						albs[edgeOut(lb, "arn")] = false
					}
				}
				err := each(rec, TWebACLAssociation, 1, func(r infratest.Resource) error {
					acl, ok := edgeByOut(rec, TWebACL, "arn", mustStr(r, "webAclArn"))
					if !ok {
						return errors.New("webAclArn is not a web ACL of the stack")
					}
					if scope, _ := acl.Str("scope"); scope != "REGIONAL" {
						return fmt.Errorf("associated ACL has scope %q, want REGIONAL", scope)
					}
					res := mustStr(r, "resourceArn")
					if !strings.Contains(res, ":loadbalancer/app/") {
						return fmt.Errorf("resourceArn %q is not an Application Load Balancer", res)
					}
					if _, known := albs[res]; known {
						albs[res] = true
					}
					return nil
				})
				for arn, covered := range albs {
					if !covered {
						err = errors.Join(err, fmt.Errorf("ALB %s has no web ACL", arn))
					}
				}
				return err
			},
			Props: []Prop{
				{TWebACLAssociation, "webAclArn", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/other/1"},
				{TWebACLAssociation, "resourceArn", "arn:aws:apigateway:eu-west-1::/restapis/abc/stages/x"},
			},
		},
		{
			ID: "WAF.SCOPE CLOUDFRONT-scope ACLs, their logs and keys are created in us-east-1",
			Check: func(rec infratest.Recorded) error {
				return edgeACLs(rec, func(acl infratest.Resource) error {
					scope, _ := acl.Str("scope")
					want := p.Region
					if scope == "CLOUDFRONT" {
						want = CloudFrontRegion
					}
					var errs []error
					check := func(r infratest.Resource, what string) {
						if got := ResourceRegion(rec, r, p.Region); got != want {
							errs = append(errs, fmt.Errorf("%s %s is in %s, want %s", what, r.Name, got, want))
						}
					}
					check(acl, "web ACL")
					for _, cfg := range infratest.ByOutput(rec, TWebACLLogging, "resourceArn", edgeOut(acl, "arn")) {
						check(cfg, "logging configuration")
						for _, d := range cfg.Strings("logDestinationConfigs") {
							if g, ok := edgeByOut(rec, TLogGroup, "arn", d); ok {
								check(g, "log group")
								if key, ok := edgeByOut(rec, TKMSKey, "arn", mustStr(g, "kmsKeyId")); ok {
									check(key, "log key")
								}
							}
						}
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{{TAWSProvider, "region", "eu-central-1"}},
		},
	}
}

func mustStr(r infratest.Resource, path string) string {
	s, _ := r.Str(path)
	return s
}

// ---------------------------------------------------------------------------------------------
// CloudFront.

// Managed policy ids (CloudFront developer guide), restated independently of infra/cdn.
const (
	edgeCachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	edgeCachingDisabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	edgeAllViewer        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
)

func edgeDistributions(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TDistribution, 1, fn)
}

// edgeBehaviours are the default behaviour and the ordered ones; a distribution without a
// default behaviour is an error.
func edgeBehaviours(d infratest.Resource) ([]infratest.Resource, error) {
	def, ok := edgeSub(d, "defaultCacheBehavior")
	if !ok {
		return nil, errors.New("no default cache behaviour")
	}
	return append([]infratest.Resource{def}, edgeItems(d, "orderedCacheBehaviors")...), nil
}

func edgeIsS3Domain(domain string) bool {
	return strings.Contains(domain, ".s3.") && strings.HasSuffix(domain, ".amazonaws.com")
}

// edgeOrigin finds an origin or origin group by id; group returns its members.
func edgeOrigin(d infratest.Resource, id string) (origin infratest.Resource, members []infratest.Resource, ok bool) {
	for _, o := range edgeItems(d, "origins") {
		if mustStr(o, "originId") == id {
			return o, nil, true
		}
	}
	for _, g := range edgeItems(d, "originGroups") {
		if mustStr(g, "originId") != id {
			continue
		}
		for _, m := range edgeItems(g, "members") {
			if o, _, ok := edgeOrigin(d, mustStr(m, "originId")); ok {
				members = append(members, o)
			}
		}
		return g, members, len(members) > 0
	}
	return infratest.Resource{}, nil, false
}

var edgeBadBehaviour = map[string]any{"targetOriginId": "alb", "viewerProtocolPolicy": "allow-all", "allowedMethods": []any{"GET", "HEAD"}, "cachedMethods": []any{"GET", "HEAD"}}

// CloudFront lists the distribution controls.
func CloudFront(p EdgeParams) []Control {
	return []Control{
		{
			ID: "CloudFront.3 every behaviour redirects HTTP to HTTPS",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					behaviours, err := edgeBehaviours(d)
					errs := []error{err}
					for _, b := range behaviours {
						if v, _ := b.Str("viewerProtocolPolicy"); v != "redirect-to-https" && v != "https-only" {
							errs = append(errs, fmt.Errorf("behaviour %q: viewerProtocolPolicy %q", mustStr(b, "pathPattern"), v))
						}
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{
				{TDistribution, "defaultCacheBehavior", edgeBadBehaviour},
				{TDistribution, "orderedCacheBehaviors", AbsentIsSecure([]any{map[string]any{"pathPattern": "/x/*", "targetOriginId": "alb", "viewerProtocolPolicy": "allow-all"}})},
			},
		},
		{
			ID: CloudFrontTLSID,
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					var errs []error
					if v, _ := d.Bool("viewerCertificate.cloudfrontDefaultCertificate"); v {
						errs = append(errs, errors.New("uses CloudFront's default certificate (minimum protocol TLSv1, cannot be raised)"))
					}
					if _, err := nonEmpty(d, "viewerCertificate.acmCertificateArn"); err != nil {
						errs = append(errs, err)
					}
					errs = append(errs,
						isStr(d, "viewerCertificate.sslSupportMethod", "sni-only"),
						isStr(d, "viewerCertificate.minimumProtocolVersion", "TLSv1.2_2021"))
					return errors.Join(errs...)
				})
			},
			Props: []Prop{
				{TDistribution, "viewerCertificate", map[string]any{"cloudfrontDefaultCertificate": true}},
				{TDistribution, "viewerCertificate", map[string]any{"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/x", "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1"}},
			},
		},
		{
			ID: "CloudFront.6 the CLOUDFRONT web ACL is attached by its ARN",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					id, err := nonEmpty(d, "webAclId")
					if err != nil {
						return err
					}
					acl, ok := edgeByOut(rec, TWebACL, "arn", id)
					if !ok {
						return fmt.Errorf("webAclId %q is not the ARN of a web ACL of the stack (WAFv2 needs the ARN, not the id)", id)
					}
					if scope, _ := acl.Str("scope"); scope != "CLOUDFRONT" {
						return fmt.Errorf("web ACL %s has scope %q, want CLOUDFRONT", acl.Name, scope)
					}
					return nil
				})
			},
			Props: []Prop{{TDistribution, "webAclId", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"}},
		},
		{
			ID: "CloudFront.13 S3 origins use origin access control (s3, always, sigv4)",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					var errs []error
					n := 0
					for _, o := range edgeItems(d, "origins") {
						if !edgeIsS3Domain(mustStr(o, "domainName")) {
							continue
						}
						n++
						if oai, _ := o.Str("s3OriginConfig.originAccessIdentity"); oai != "" {
							errs = append(errs, fmt.Errorf("origin %s uses a legacy origin access identity", mustStr(o, "originId")))
						}
						oac, ok := rec.ByID(mustStr(o, "originAccessControlId"))
						if !ok || oac.Type != TOriginAccessControl {
							errs = append(errs, fmt.Errorf("origin %s has no origin access control of the stack", mustStr(o, "originId")))
							continue
						}
						errs = append(errs, isStr(oac, "originAccessControlOriginType", "s3"), isStr(oac, "signingBehavior", "always"), isStr(oac, "signingProtocol", "sigv4"))
					}
					if n == 0 {
						errs = append(errs, errors.New("no S3 origin"))
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{
				{TOriginAccessControl, "signingBehavior", "never"},
				{TOriginAccessControl, "signingProtocol", nil},
				{TDistribution, "origins", []any{map[string]any{"originId": "s3", "domainName": "b.s3.eu-west-1.amazonaws.com"}}},
			},
		},
		{
			ID: "CKV2_AWS_46 S3 origins readable by this distribution only, with a key that decrypts for it only",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					dist := edgeOut(d, "arn")
					var errs []error
					for _, o := range edgeItems(d, "origins") {
						domain := mustStr(o, "domainName")
						if !edgeIsS3Domain(domain) {
							continue
						}
						bucket, ok := edgeByOut(rec, edgeBucket, "bucketRegionalDomainName", domain)
						if !ok {
							errs = append(errs, fmt.Errorf("origin %s is not a bucket of the stack", domain))
							continue
						}
						errs = append(errs, edgeReadableBy(rec, bucket, dist))
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{
				{edgeBucketPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::x/*"]}]}`},
				{TKMSKey, "policy", rootOnlyKeyPolicy},
			},
		},
		{
			ID: "CloudFront.9/10 HTTPS only, TLS 1.2 only, to custom origins",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					var errs []error
					for _, o := range edgeItems(d, "origins") {
						c, ok := edgeSub(o, "customOriginConfig")
						if !ok {
							continue
						}
						if err := isStr(c, "originProtocolPolicy", "https-only"); err != nil {
							errs = append(errs, err)
						}
						if got := c.Strings("originSslProtocols"); !slices.Equal(got, []string{"TLSv1.2"}) {
							errs = append(errs, fmt.Errorf("origin %s allows %v, want only TLSv1.2", mustStr(o, "originId"), got))
						}
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{{TDistribution, "origins", AbsentIsSecure([]any{map[string]any{"originId": "alb", "domainName": "origin.example.com",
				"customOriginConfig": map[string]any{"originProtocolPolicy": "match-viewer", "originSslProtocols": []any{"TLSv1", "TLSv1.2"}, "httpPort": 80, "httpsPort": 443}}})}},
		},
		{
			ID: "CloudFront.5 access logs delivered (standard logging v2, us-east-1) to a bucket of the stack",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					for _, src := range infratest.ByOutput(rec, TLogDeliverySource, "resourceArn", edgeOut(d, "arn")) {
						if t, _ := src.Str("logType"); t != "ACCESS_LOGS" || ResourceRegion(rec, src, p.Region) != CloudFrontRegion {
							continue
						}
						for _, del := range infratest.ByOutput(rec, TLogDelivery, "deliverySourceName", mustStr(src, "name")) {
							dest, ok := edgeByOut(rec, TLogDeliveryDestination, "arn", mustStr(del, "deliveryDestinationArn"))
							if !ok {
								continue
							}
							target := mustStr(dest, "deliveryDestinationConfiguration.destinationResourceArn")
							for _, b := range rec.ByType(edgeBucket) {
								if arn := edgeOut(b, "arn"); arn != "" && (target == arn || strings.HasPrefix(target, arn+"/")) {
									return nil
								}
							}
						}
					}
					return errors.New("no ACCESS_LOGS delivery from this distribution (source in us-east-1) to a bucket of the stack")
				})
			},
			Props: []Prop{
				{TLogDeliverySource, "resourceArn", "arn:aws:cloudfront::123456789012:distribution/EOTHER"},
				{TLogDelivery, "deliverySourceName", "other"},
				{TLogDeliveryDestination, "deliveryDestinationConfiguration", map[string]any{"destinationResourceArn": "arn:aws:s3:::elsewhere"}},
			},
		},
		{
			ID: "CKV2_AWS_32 every behaviour sends HSTS and the security headers",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					behaviours, err := edgeBehaviours(d)
					errs := []error{err}
					for _, b := range behaviours {
						pol, ok := rec.ByID(mustStr(b, "responseHeadersPolicyId"))
						if !ok || pol.Type != TResponseHeadersPolicy {
							errs = append(errs, fmt.Errorf("behaviour %q has no response headers policy of the stack", mustStr(b, "pathPattern")))
							continue
						}
						errs = append(errs, edgeSecurityHeaders(pol))
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{
				{TResponseHeadersPolicy, "securityHeadersConfig", map[string]any{"contentTypeOptions": map[string]any{"override": true}}},
				{TDistribution, "defaultCacheBehavior", edgeBadBehaviour},
			},
		},
		{
			ID: "EDGE.ORIGINSECRET the ALB origin carries the verify header, secret in state",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					if !d.IsSecret("origins") {
						return errors.New("origins are not secret: the origin verify header would be stored in plain text")
					}
					for _, o := range edgeItems(d, "origins") {
						if !o.Has("customOriginConfig") {
							continue
						}
						found := false
						for _, h := range edgeItems(o, "customHeaders") {
							if strings.EqualFold(mustStr(h, "name"), "X-Origin-Verify") && len(mustStr(h, "value")) >= 32 {
								found = true
							}
						}
						if !found {
							return fmt.Errorf("origin %s has no X-Origin-Verify header with a value of at least 32 characters", mustStr(o, "originId"))
						}
					}
					return nil
				})
			},
			Props: []Prop{{TDistribution, "origins", []any{map[string]any{"originId": "alb", "domainName": "origin.example.com",
				"customOriginConfig": map[string]any{"originProtocolPolicy": "https-only", "originSslProtocols": []any{"TLSv1.2"}},
				"customHeaders":      []any{map[string]any{"name": "X-Origin-Verify", "value": strings.Repeat("s", 40)}}}}}},
		},
		{
			ID: "EDGE.BEHAVIOURS static paths cached from S3, everything else uncached to the ALB with all viewer values",
			Check: func(rec infratest.Recorded) error {
				return edgeDistributions(rec, func(d infratest.Resource) error {
					var errs []error
					def, _ := edgeSub(d, "defaultCacheBehavior")
					if o, _, ok := edgeOrigin(d, mustStr(def, "targetOriginId")); !ok || !o.Has("customOriginConfig") {
						errs = append(errs, errors.New("the default behaviour does not go to the ALB (custom origin)"))
					}
					errs = append(errs, isStr(def, "cachePolicyId", edgeCachingDisabled), isStr(def, "originRequestPolicyId", edgeAllViewer))
					if got := def.Strings("allowedMethods"); len(got) != 7 {
						errs = append(errs, fmt.Errorf("default behaviour allows %v, want all seven methods", got))
					}
					for _, path := range []string{"/_next/static/*", "/static/*"} {
						var b *infratest.Resource
						for _, ob := range edgeItems(d, "orderedCacheBehaviors") {
							if mustStr(ob, "pathPattern") == path {
								b = &ob
							}
						}
						if b == nil {
							errs = append(errs, fmt.Errorf("no behaviour for %s", path))
							continue
						}
						errs = append(errs, isStr(*b, "cachePolicyId", edgeCachingOptimized))
						o, members, ok := edgeOrigin(d, mustStr(*b, "targetOriginId"))
						first := o
						if len(members) > 0 {
							first = members[0]
						}
						if !ok || !edgeIsS3Domain(mustStr(first, "domainName")) {
							errs = append(errs, fmt.Errorf("%s is not served from S3 first", path))
						}
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{
				{TDistribution, "orderedCacheBehaviors", []any{}},
				{TDistribution, "defaultCacheBehavior", map[string]any{"targetOriginId": "alb", "viewerProtocolPolicy": "redirect-to-https", "cachePolicyId": edgeCachingOptimized}},
			},
		},
	}
}

// edgeReadableBy requires the bucket's policy to grant CloudFront s3:GetObject for exactly this
// distribution, nothing to the public, and the bucket's key to decrypt for the same
// distribution.
func edgeReadableBy(rec infratest.Recorded, bucket infratest.Resource, dist string) error {
	pols := edgeSettingsOf(rec, edgeBucketPolicy, bucket.ID)
	if len(pols) != 1 {
		return fmt.Errorf("bucket %s: want one policy, found %d", bucket.ID, len(pols))
	}
	doc, err := pols[0].Policy("policy")
	if err != nil {
		return err
	}
	var errs []error
	grants := edgeServiceStatements(doc, "cloudfront.")
	if len(grants) == 0 {
		errs = append(errs, fmt.Errorf("bucket %s: no statement for CloudFront", bucket.ID))
	}
	for _, s := range grants {
		if src := edgeCondition(s, "StringEquals", "AWS:SourceArn"); !slices.Equal(src, []string{dist}) {
			errs = append(errs, fmt.Errorf("bucket %s: CloudFront statement %q is limited to %v, want exactly %s", bucket.ID, s.Sid, src, dist))
		}
	}
	for _, s := range doc.Statement {
		if s.Effect == "Allow" && s.Principal != nil && (s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*")) {
			errs = append(errs, fmt.Errorf("bucket %s: statement %q allows everyone", bucket.ID, s.Sid))
		}
	}
	for _, sse := range edgeSettingsOf(rec, edgeBucketSSE, bucket.ID) {
		key, ok := edgeByOut(rec, TKMSKey, "arn", mustStr(sse, "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId"))
		if !ok {
			continue // the encryption control reports a bucket without a stack key
		}
		kdoc, err := key.Policy("policy")
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		ok = false
		for _, s := range edgeServiceStatements(kdoc, "cloudfront.") {
			if slices.Contains(s.Action, "kms:Decrypt") && slices.Equal(edgeCondition(s, "StringEquals", "AWS:SourceArn"), []string{dist}) {
				ok = true
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("bucket %s: key %s does not let CloudFront decrypt for %s only", bucket.ID, key.Name, dist))
		}
	}
	return errors.Join(errs...)
}

// edgeSecurityHeaders requires HSTS of at least a year with subdomains, nosniff, a frame policy
// and a referrer policy, each overriding the origin.
func edgeSecurityHeaders(pol infratest.Resource) error {
	sh, ok := edgeSub(pol, "securityHeadersConfig")
	if !ok {
		return fmt.Errorf("%s: no security headers", pol.Name)
	}
	errs := []error{
		intBetween(sh, "strictTransportSecurity.accessControlMaxAgeSec", 31536000, 1<<31-1),
		isBool(sh, "strictTransportSecurity.includeSubdomains", true),
		isBool(sh, "strictTransportSecurity.override", true),
		isBool(sh, "contentTypeOptions.override", true),
		isBool(sh, "frameOptions.override", true),
		isBool(sh, "referrerPolicy.override", true),
	}
	if f, _ := sh.Str("frameOptions.frameOption"); f != "DENY" && f != "SAMEORIGIN" {
		errs = append(errs, fmt.Errorf("frameOption %q, want DENY or SAMEORIGIN", f))
	}
	if _, err := nonEmpty(sh, "referrerPolicy.referrerPolicy"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ---------------------------------------------------------------------------------------------
// S3.

// edgeSinks are the buckets that receive another bucket's server access logs, and the buckets
// that receive a load balancer's access logs (ELB delivers those only to SSE-S3 buckets; they are
// log destinations like the server-access-log sinks).
func edgeSinks(rec infratest.Recorded) map[string]bool {
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

func edgeBuckets(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, edgeBucket, 1, fn)
}

// edgeOneSetting is the only sub-resource of a type for the bucket.
func edgeOneSetting(rec infratest.Recorded, token string, bucket infratest.Resource) (infratest.Resource, error) {
	s := edgeSettingsOf(rec, token, bucket.ID)
	if len(s) != 1 {
		return infratest.Resource{}, fmt.Errorf("want one %s, found %d", token, len(s))
	}
	return s[0], nil
}

// EdgeS3 lists the bucket controls; they apply to every bucket of the stack.
func EdgeS3() []Control {
	return []Control{
		{
			ID: "S3.1/S3.8 every public access block setting on",
			Check: func(rec infratest.Recorded) error {
				return edgeBuckets(rec, func(b infratest.Resource) error {
					pab, err := edgeOneSetting(rec, edgeBucketPAB, b)
					if err != nil {
						return err
					}
					return errors.Join(isBool(pab, "blockPublicAcls", true), isBool(pab, "blockPublicPolicy", true),
						isBool(pab, "ignorePublicAcls", true), isBool(pab, "restrictPublicBuckets", true))
				})
			},
			Props: []Prop{{edgeBucketPAB, "blockPublicAcls", false}, {edgeBucketPAB, "blockPublicPolicy", false},
				{edgeBucketPAB, "ignorePublicAcls", false}, {edgeBucketPAB, "restrictPublicBuckets", false}},
		},
		{
			ID: "S3.12 ACLs disabled (BucketOwnerEnforced)",
			Check: func(rec infratest.Recorded) error {
				return edgeBuckets(rec, func(b infratest.Resource) error {
					own, err := edgeOneSetting(rec, edgeBucketOwnership, b)
					if err != nil {
						return err
					}
					return isStr(own, "rule.objectOwnership", "BucketOwnerEnforced")
				})
			},
			Props: []Prop{{edgeBucketOwnership, "rule", map[string]any{"objectOwnership": "BucketOwnerPreferred"}}},
		},
		{
			ID: "S3.5 bucket policies deny requests without TLS",
			Check: func(rec infratest.Recorded) error {
				return edgeBuckets(rec, func(b infratest.Resource) error {
					pol, err := edgeOneSetting(rec, edgeBucketPolicy, b)
					if err != nil {
						return err
					}
					doc, err := pol.Policy("policy")
					if err != nil {
						return err
					}
					arn := edgeOut(b, "arn")
					for _, s := range doc.Statement {
						if s.Effect == "Deny" && s.Principal != nil && s.Principal.Wildcard && slices.Contains(s.Action, "s3:*") &&
							edgeHasAll(s.Resource, arn, arn+"/*") && slices.Equal(edgeCondition(s, "Bool", "aws:SecureTransport"), []string{"false"}) {
							return nil
						}
					}
					return errors.New("no statement denies s3:* on the bucket and its objects when aws:SecureTransport is false")
				})
			},
			Props: []Prop{{edgeBucketPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["s3:GetObject"],"Resource":["*"]}]}`}},
		},
		{
			ID: "CKV_AWS_21 versioning enabled",
			Check: func(rec infratest.Recorded) error {
				return edgeBuckets(rec, func(b infratest.Resource) error {
					v, err := edgeOneSetting(rec, edgeBucketVersion, b)
					if err != nil {
						return err
					}
					return isStr(v, "versioningConfiguration.status", "Enabled")
				})
			},
			Props: []Prop{{edgeBucketVersion, "versioningConfiguration", map[string]any{"status": "Suspended"}}},
		},
		{
			ID: "CKV_AWS_145 SSE-KMS with a stack CMK and a bucket key (SSE-S3 only on access-log sinks)",
			Check: func(rec infratest.Recorded) error {
				sinks := edgeSinks(rec)
				return edgeBuckets(rec, func(b infratest.Resource) error {
					sse, err := edgeOneSetting(rec, edgeBucketSSE, b)
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
			Props: []Prop{{edgeBucketSSE, "rules", []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}}}},
		},
		{
			ID: "S3.9 server access logging to a sink that admits it",
			Check: func(rec infratest.Recorded) error {
				sinks := edgeSinks(rec)
				return edgeBuckets(rec, func(b infratest.Resource) error {
					logs := edgeSettingsOf(rec, TS3BucketLogging, b.ID)
					if len(logs) == 0 {
						if sinks[b.ID] {
							return nil // the sink itself: logging it into itself would loop
						}
						return errors.New("no server access logging")
					}
					target := mustStr(logs[0], "targetBucket")
					sink, ok := rec.ByID(target)
					if !ok || sink.Type != edgeBucket || target == b.ID {
						return fmt.Errorf("targetBucket %q is not another bucket of the stack", target)
					}
					pols := edgeSettingsOf(rec, edgeBucketPolicy, sink.ID)
					if len(pols) != 1 {
						return fmt.Errorf("sink %s has no policy", sink.ID)
					}
					doc, err := pols[0].Policy("policy")
					if err != nil {
						return err
					}
					for _, s := range edgeServiceStatements(doc, "logging.s3.") {
						if slices.Contains(s.Action, "s3:PutObject") && slices.Contains(edgeCondition(s, "ArnLike", "aws:SourceArn"), edgeOut(b, "arn")) {
							return nil
						}
					}
					return fmt.Errorf("sink %s does not let the S3 logging service write this bucket's logs", sink.ID)
				})
			},
			Props: []Prop{{TS3BucketLogging, "targetBucket", "not-a-stack-bucket"}},
		},
		{
			ID: "S3.13 lifecycle: noncurrent versions and incomplete uploads expire",
			Check: func(rec infratest.Recorded) error {
				return edgeBuckets(rec, func(b infratest.Resource) error {
					l, err := edgeOneSetting(rec, edgeBucketLifecycle, b)
					if err != nil {
						return err
					}
					for _, rule := range edgeItems(l, "rules") {
						if s, _ := rule.Str("status"); s == "Enabled" && rule.Has("noncurrentVersionExpiration.noncurrentDays") && rule.Has("abortIncompleteMultipartUpload.daysAfterInitiation") {
							return nil
						}
					}
					return errors.New("no enabled rule expiring noncurrent versions and incomplete multipart uploads")
				})
			},
			Props: []Prop{{edgeBucketLifecycle, "rules", []any{map[string]any{"id": "x", "status": "Disabled",
				"noncurrentVersionExpiration": map[string]any{"noncurrentDays": 30}, "abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7}}}}},
		},
	}
}

// ---------------------------------------------------------------------------------------------
// CloudTrail.

func edgeTrails(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TTrail, 1, fn)
}

// CloudTrail lists the trail controls.
func CloudTrail() []Control {
	return []Control{
		{
			ID: "CloudTrail.1 multi-region trail with global service events, logging on, read and write management events",
			Check: func(rec infratest.Recorded) error {
				return edgeTrails(rec, func(r infratest.Resource) error {
					errs := []error{isBool(r, "isMultiRegionTrail", true), isBool(r, "includeGlobalServiceEvents", true), isBool(r, "enableLogging", true)}
					ok := false
					for _, s := range edgeItems(r, "eventSelectors") {
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
		},
		{
			ID: "CloudTrail.4 log file validation",
			Check: func(rec infratest.Recorded) error {
				return edgeTrails(rec, func(r infratest.Resource) error { return isBool(r, "enableLogFileValidation", true) })
			},
			Props: []Prop{{TTrail, "enableLogFileValidation", false}},
		},
		{
			ID: "CloudTrail.2 encrypted with a stack CMK that admits this trail only",
			Check: func(rec infratest.Recorded) error {
				return edgeTrails(rec, func(r infratest.Resource) error {
					if err := cmk(rec, r, "kmsKeyId"); err != nil {
						return err
					}
					key, _ := edgeByOut(rec, TKMSKey, "arn", mustStr(r, "kmsKeyId"))
					doc, err := key.Policy("policy")
					if err != nil {
						return err
					}
					for _, s := range edgeServiceStatements(doc, "cloudtrail.") {
						if slices.Contains(s.Action, "kms:GenerateDataKey*") && slices.Equal(edgeCondition(s, "StringEquals", "aws:SourceArn"), []string{edgeOut(r, "arn")}) {
							return nil
						}
					}
					return fmt.Errorf("key %s does not let CloudTrail encrypt for %s (aws:SourceArn)", key.Name, edgeOut(r, "arn"))
				})
			},
			Props: []Prop{{TTrail, "kmsKeyId", "alias/aws/cloudtrail"}, {TKMSKey, "policy", rootOnlyKeyPolicy}},
		},
		{
			ID: "CloudTrail.5 delivered to CloudWatch Logs through a role that may write only that group",
			Check: func(rec infratest.Recorded) error {
				return edgeTrails(rec, func(r infratest.Resource) error {
					groupArn, err := nonEmpty(r, "cloudWatchLogsGroupArn")
					if err != nil {
						return err
					}
					group, ok := edgeByOut(rec, TLogGroup, "arn", strings.TrimSuffix(groupArn, ":*"))
					if !ok || !strings.HasSuffix(groupArn, ":*") {
						return fmt.Errorf("cloudWatchLogsGroupArn %q is not \"<log group ARN of the stack>:*\"", groupArn)
					}
					role, ok := edgeByOut(rec, TRole, "arn", mustStr(r, "cloudWatchLogsRoleArn"))
					if !ok {
						return errors.New("cloudWatchLogsRoleArn is not a role of the stack")
					}
					trust, err := role.Policy("assumeRolePolicy")
					if err != nil {
						return err
					}
					if len(edgeServiceStatements(trust, "cloudtrail.")) == 0 {
						return fmt.Errorf("role %s does not trust cloudtrail.amazonaws.com", role.Name)
					}
					streams := edgeOut(group, "arn") + ":log-stream:*"
					for _, rp := range infratest.ByOutput(rec, TRolePolicy, "role", role.ID) {
						doc, err := rp.Policy("policy")
						if err != nil {
							return err
						}
						for _, s := range doc.Statement {
							if s.Effect == "Allow" && edgeHasAll(s.Action, "logs:CreateLogStream", "logs:PutLogEvents") && slices.Equal(s.Resource, []string{streams}) {
								return nil
							}
						}
					}
					return fmt.Errorf("role %s may not write exactly %s", role.Name, streams)
				})
			},
			Props: []Prop{{TTrail, "cloudWatchLogsGroupArn", nil}, {TTrail, "cloudWatchLogsRoleArn", "arn:aws:iam::123456789012:role/other"},
				{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:aws:logs:eu-west-1:123456789012:log-group:other:*"]}]}`}},
		},
		{
			ID: "CloudTrail.S3 the trail bucket admits this trail only (aws:SourceArn), objects owned by the bucket owner",
			Check: func(rec infratest.Recorded) error {
				return edgeTrails(rec, func(r infratest.Resource) error {
					bucket, ok := rec.ByID(mustStr(r, "s3BucketName"))
					if !ok || bucket.Type != edgeBucket {
						return errors.New("s3BucketName is not a bucket of the stack")
					}
					pols := edgeSettingsOf(rec, edgeBucketPolicy, bucket.ID)
					if len(pols) != 1 {
						return fmt.Errorf("bucket %s has %d policies", bucket.ID, len(pols))
					}
					doc, err := pols[0].Policy("policy")
					if err != nil {
						return err
					}
					trail := edgeOut(r, "arn")
					var acl, write bool
					for _, s := range edgeServiceStatements(doc, "cloudtrail.") {
						if !slices.Equal(edgeCondition(s, "StringEquals", "aws:SourceArn"), []string{trail}) {
							return fmt.Errorf("statement %q is not limited to %s", s.Sid, trail)
						}
						acl = acl || slices.Contains(s.Action, "s3:GetBucketAcl")
						write = write || (slices.Contains(s.Action, "s3:PutObject") && slices.Equal(edgeCondition(s, "StringEquals", "s3:x-amz-acl"), []string{"bucket-owner-full-control"}))
					}
					if !acl || !write {
						return fmt.Errorf("bucket policy lacks the CloudTrail ACL check (%v) or write (%v) statement", acl, write)
					}
					return nil
				})
			},
			Props: []Prop{{edgeBucketPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":["s3:PutObject","s3:GetBucketAcl"],"Resource":["*"]}]}`}},
		},
	}
}

// ---------------------------------------------------------------------------------------------
// Alarm topics and alarms.

// Alarms lists the SNS topic and CloudWatch alarm controls.
func Alarms(p EdgeParams) []Control {
	return []Control{
		{
			ID: "SNS.1 alarm topics encrypted with a stack CMK that admits CloudWatch alarms",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TTopic, 1, func(t infratest.Resource) error {
					if err := cmk(rec, t, "kmsMasterKeyId"); err != nil {
						return err
					}
					key, _ := edgeByOut(rec, TKMSKey, "arn", mustStr(t, "kmsMasterKeyId"))
					doc, err := key.Policy("policy")
					if err != nil {
						return err
					}
					for _, s := range edgeServiceStatements(doc, "cloudwatch.") {
						if edgeHasAll(s.Action, "kms:Decrypt", "kms:GenerateDataKey*") && len(edgeCondition(s, "StringEquals", "aws:SourceAccount")) == 1 {
							return nil
						}
					}
					return fmt.Errorf("key %s does not let this account's CloudWatch alarms use it", key.Name)
				})
			},
			Props: []Prop{{TTopic, "kmsMasterKeyId", "alias/aws/sns"}, {TKMSKey, "policy", rootOnlyKeyPolicy}},
		},
		{
			ID: "SNS.POLICY topics accept only this account's alarms, over TLS",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TTopic, 1, func(t infratest.Resource) error {
					pols := infratest.ByOutput(rec, TTopicPolicy, "arn", edgeOut(t, "arn"))
					if len(pols) != 1 {
						return fmt.Errorf("want one topic policy, found %d", len(pols))
					}
					doc, err := pols[0].Policy("policy")
					if err != nil {
						return err
					}
					var errs []error
					cw := edgeServiceStatements(doc, "cloudwatch.")
					if len(cw) == 0 {
						errs = append(errs, errors.New("no statement for CloudWatch alarms"))
					}
					for _, s := range cw {
						if len(edgeCondition(s, "StringEquals", "aws:SourceAccount")) != 1 || len(edgeCondition(s, "ArnLike", "aws:SourceArn")) == 0 {
							errs = append(errs, fmt.Errorf("statement %q is not limited to this account's alarms", s.Sid))
						}
					}
					tls := false
					for _, s := range doc.Statement {
						if s.Effect == "Allow" && s.Principal != nil && (s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*")) {
							errs = append(errs, fmt.Errorf("statement %q allows everyone", s.Sid))
						}
						if s.Effect == "Deny" && slices.Equal(edgeCondition(s, "Bool", "aws:SecureTransport"), []string{"false"}) {
							tls = true
						}
					}
					if !tls {
						errs = append(errs, errors.New("no statement denies publishing without TLS"))
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{{TTopicPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["sns:Publish"],"Resource":["*"]}]}`}},
		},
		{
			ID: "CKV_AWS_319 alarms notify a stack topic in their own region on ALARM and OK, missing data handled explicitly",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TMetricAlarm, 1, func(al infratest.Resource) error {
					errs := []error{isBool(al, "actionsEnabled", true)}
					if m, _ := al.Str("treatMissingData"); !slices.Contains([]string{"breaching", "notBreaching", "ignore", "missing"}, m) {
						errs = append(errs, fmt.Errorf("treatMissingData %q is not set explicitly", m))
					}
					region := ResourceRegion(rec, al, p.Region)
					for _, key := range []string{"alarmActions", "okActions"} {
						actions := al.Strings(key)
						if len(actions) == 0 {
							errs = append(errs, fmt.Errorf("no %s", key))
						}
						for _, a := range actions {
							topic, ok := edgeByOut(rec, TTopic, "arn", a)
							if !ok {
								errs = append(errs, fmt.Errorf("%s %s is not a topic of the stack", key, a))
							} else if tr := ResourceRegion(rec, topic, p.Region); tr != region {
								errs = append(errs, fmt.Errorf("%s: alarm in %s notifies a topic in %s", key, region, tr))
							}
						}
					}
					return errors.Join(errs...)
				})
			},
			Props: []Prop{{TMetricAlarm, "actionsEnabled", false}, {TMetricAlarm, "alarmActions", []any{}}, {TMetricAlarm, "okActions", nil},
				{TMetricAlarm, "treatMissingData", nil}, {TMetricAlarm, "alarmActions", []any{"arn:aws:sns:eu-west-1:123456789012:elsewhere"}}},
		},
	}
}

// ---------------------------------------------------------------------------------------------
// IAM.

// IAMWalk applies the walk's identity rules (CheckPolicy: no wildcard or Not* elements, and
// Resource "*" only for the actions on StarOnlyActions, each with the reason it needs "*") to
// every identity policy of the stack. PolicyWalk covers resource and trust policies as well.
func IAMWalk() []Control {
	return []Control{{
		ID: "CKV_AWS_355/290 identity policies: no wildcard actions, \"*\" resources only for StarOnlyActions",
		Check: func(rec infratest.Recorded) error {
			docs, err := PolicyDocuments(rec)
			if err != nil {
				return err
			}
			var errs []error
			n := 0
			for _, d := range docs {
				if d.Kind == KindIdentity {
					n++
					errs = append(errs, CheckPolicy(d))
				}
			}
			if n == 0 {
				errs = append(errs, errors.New("no identity policy recorded to walk"))
			}
			return errors.Join(errs...)
		},
		Props: []Prop{
			{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":["arn:aws:logs:eu-west-1:1:log-group:x:*"]}]}`},
			{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["*"]}]}`},
		},
	}}
}
