package controls

import (
	"errors"
	"fmt"
	"strings"

	"chessplatform/infra/infratest"
)

// WAF web ACLs: the CLOUDFRONT ACL of the distribution and the REGIONAL ACL of the ALB. WAF.*
// ids name design rules.

// WAF lists the web ACL controls.
func WAF(p EdgeParams) []Control {
	return named(
		aclHasRulesAndDefault,
		aclObservable,
		knownBadInputsEnforced,
		managedGroupsEnforced,
		rateRuleBlocks,
		managedGroupsFitWCU,
		aclLogsToWAFGroups.For(p),
		aclLogsRedacted,
		albHasWebACL,
		cloudFrontACLInUSEast1.For(p),
	)
}

// managedWCU are the managed rule groups every web ACL must enforce, and their capacity in WCU
// (AWS WAF developer guide: baseline and IP reputation rule groups; restated here independently
// of infra/waf).
var managedWCU = map[string]int{
	"AWSManagedRulesCommonRuleSet":          700,
	"AWSManagedRulesKnownBadInputsRuleSet":  200,
	"AWSManagedRulesSQLiRuleSet":            200,
	"AWSManagedRulesAmazonIpReputationList": 25,
}

// managedBudget keeps 300 of the 1,500 WCUs the base price covers for the ACL's own rules: the
// rate rule's exact cost (a small base plus its scope-down) is not in the pages checked.
const managedBudget = 1200

var aclHasRulesAndDefault = Control{
	Name: "aclHasRulesAndDefault",
	ID:   "WAF.10 web ACLs have rules and a default action",
	Check: func(rec infratest.Recorded) error {
		return eachACL(rec, func(r infratest.Resource) error {
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
}

var aclObservable = Control{
	Name: "aclObservable",
	ID:   "WAF.12 CloudWatch metrics and sampled requests on every rule and web ACL",
	Check: func(rec infratest.Recorded) error {
		return eachACL(rec, func(r infratest.Resource) error {
			errs := []error{visible(r, "web ACL")}
			if r.Len("rules") == 0 {
				errs = append(errs, errors.New("no rules to observe"))
			}
			for _, rule := range items(r, "rules") {
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
		{TWebACL, "rules", ruleList(map[string]any{"name": "unseen", "overrideAction": map[string]any{"none": map[string]any{}},
			"statement": map[string]any{"managedRuleGroupStatement": map[string]any{"vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}}})},
	},
}

var knownBadInputsEnforced = Control{
	Name: "knownBadInputsEnforced",
	ID:   "CKV_AWS_192 KnownBadInputs (Log4JRCE) enforced with OverrideAction none",
	Check: func(rec infratest.Recorded) error {
		return eachACL(rec, func(r infratest.Resource) error {
			return enforced(r, "AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE")
		})
	},
	Props: []Prop{
		{TWebACL, "rules", ruleList(managedRuleValue("AWSManagedRulesCommonRuleSet", "none"))},
		{TWebACL, "rules", ruleList(managedRuleValue("AWSManagedRulesKnownBadInputsRuleSet", "count"))},
	},
}

var managedGroupsEnforced = Control{
	Name: "managedGroupsEnforced",
	ID:   "WAF.MANAGED Common, SQLi and Amazon IP reputation groups enforced with OverrideAction none",
	Check: func(rec infratest.Recorded) error {
		return eachACL(rec, func(r infratest.Resource) error {
			return errors.Join(
				enforced(r, "AWSManagedRulesCommonRuleSet"),
				enforced(r, "AWSManagedRulesSQLiRuleSet"),
				enforced(r, "AWSManagedRulesAmazonIpReputationList"),
			)
		})
	},
	Props: []Prop{{TWebACL, "rules", ruleList(
		managedRuleValue("AWSManagedRulesCommonRuleSet", "none"),
		managedRuleValue("AWSManagedRulesSQLiRuleSet", "count"),
		managedRuleValue("AWSManagedRulesAmazonIpReputationList", "none"),
	)}},
}

var rateRuleBlocks = Control{
	Name: "rateRuleBlocks",
	ID:   "WAF.RATE per-client rate rule blocks (IP at CloudFront, X-Forwarded-For at the ALB)",
	Check: func(rec infratest.Recorded) error {
		return eachACL(rec, func(r infratest.Resource) error {
			scope, _ := r.Str("scope")
			for _, rule := range items(r, "rules") {
				rate, ok := sub(rule, "statement.rateBasedStatement")
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
		{TWebACL, "rules", ruleList(managedRuleValue("AWSManagedRulesCommonRuleSet", "none"))},
		{TWebACL, "rules", ruleList(map[string]any{"name": "rate", "action": map[string]any{"count": map[string]any{}},
			"statement": map[string]any{"rateBasedStatement": map[string]any{"limit": 2000, "aggregateKeyType": "CONSTANT"}}})},
	},
}

var managedGroupsFitWCU = Control{
	Name: "managedGroupsFitWCU",
	ID:   "WAF.WCU managed groups fit the 1,500 WCU base price with room for the ACL's own rules",
	Check: func(rec infratest.Recorded) error {
		return eachACL(rec, func(r infratest.Resource) error {
			total := 0
			for _, rule := range items(r, "rules") {
				name, ok := rule.Str("statement.managedRuleGroupStatement.name")
				if !ok {
					continue
				}
				wcu, known := managedWCU[name]
				if !known {
					return fmt.Errorf("managed group %s has no confirmed WCU in this control", name)
				}
				total += wcu
			}
			if total > managedBudget {
				return fmt.Errorf("managed groups need %d WCU, more than %d", total, managedBudget)
			}
			return nil
		})
	},
	Props: []Prop{{TWebACL, "rules", AbsentIsSecure(ruleList(
		managedRuleValue("AWSManagedRulesCommonRuleSet", "none"),
		managedRuleValue("AWSManagedRulesBotControlRuleSet", "none"),
	))}},
}

var aclLogsToWAFGroups = Configured[EdgeParams]{
	Name: "aclLogsToWAFGroups",
	ID:   "CKV2_AWS_31 WAF logs to aws-waf-logs-* log groups in the web ACL's region",
	Check: func(p EdgeParams, rec infratest.Recorded) error {
		return eachACL(rec, func(acl infratest.Resource) error {
			arn := outStr(acl, "arn")
			cfgs := infratest.ByOutput(rec, TWebACLLogging, "resourceArn", arn)
			if len(cfgs) != 1 {
				return fmt.Errorf("want one logging configuration for %s, found %d", arn, len(cfgs))
			}
			dests := cfgs[0].Strings("logDestinationConfigs")
			if len(dests) != 1 {
				return fmt.Errorf("want one log destination, found %v", dests)
			}
			group, ok := oneByOutput(rec, TLogGroup, "arn", dests[0])
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
}

var aclLogsRedacted = Control{
	Name: "aclLogsRedacted",
	ID:   "WAF.REDACT credentials, the origin secret and query strings redacted from WAF logs",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TWebACLLogging, 1, func(r infratest.Resource) error {
			var headers []string
			query := false
			for _, f := range items(r, "redactedFields") {
				if h, ok := f.Str("singleHeader.name"); ok {
					headers = append(headers, strings.ToLower(h))
				}
				query = query || f.Has("queryString")
			}
			if !query || !hasAll(headers, "authorization", "cookie", "x-origin-verify") {
				return fmt.Errorf("redacted headers %v (query string %v), want authorization, cookie, x-origin-verify and the query string", headers, query)
			}
			return nil
		})
	},
	Props: []Prop{{TWebACLLogging, "redactedFields", []any{map[string]any{"singleHeader": map[string]any{"name": "authorization"}}}}},
}

var albHasWebACL = Control{
	Name: "albHasWebACL",
	ID:   "CKV2_AWS_28 the ALB is associated with the REGIONAL web ACL",
	Check: func(rec infratest.Recorded) error {
		albs := map[string]bool{}
		for _, lb := range rec.ByType(TLoadBalancer) {
			if t, _ := lb.Str("loadBalancerType"); t == "" || t == "application" {
				albs[outStr(lb, "arn")] = false
			}
		}
		err := each(rec, TWebACLAssociation, 1, func(r infratest.Resource) error {
			acl, ok := oneByOutput(rec, TWebACL, "arn", strAt(r, "webAclArn"))
			if !ok {
				return errors.New("webAclArn is not a web ACL of the stack")
			}
			if scope, _ := acl.Str("scope"); scope != "REGIONAL" {
				return fmt.Errorf("associated ACL has scope %q, want REGIONAL", scope)
			}
			res := strAt(r, "resourceArn")
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
}

var cloudFrontACLInUSEast1 = Configured[EdgeParams]{
	Name: "cloudFrontACLInUSEast1",
	ID:   "WAF.SCOPE CLOUDFRONT-scope ACLs, their logs and keys are created in us-east-1",
	Check: func(p EdgeParams, rec infratest.Recorded) error {
		return eachACL(rec, func(acl infratest.Resource) error {
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
			for _, cfg := range infratest.ByOutput(rec, TWebACLLogging, "resourceArn", outStr(acl, "arn")) {
				check(cfg, "logging configuration")
				for _, d := range cfg.Strings("logDestinationConfigs") {
					if g, ok := oneByOutput(rec, TLogGroup, "arn", d); ok {
						check(g, "log group")
						if key, ok := oneByOutput(rec, TKMSKey, "arn", strAt(g, "kmsKeyId")); ok {
							check(key, "log key")
						}
					}
				}
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TAWSProvider, "region", "eu-central-1"}},
}

func eachACL(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TWebACL, 1, fn)
}

// visible requires CloudWatch metrics, sampled requests and a metric name on an ACL or rule.
func visible(r infratest.Resource, what string) error {
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

// managedRule is the rule running the AWS managed group name, if any.
func managedRule(acl infratest.Resource, name string) (infratest.Resource, bool) {
	for _, rule := range items(acl, "rules") {
		v, _ := rule.Str("statement.managedRuleGroupStatement.vendorName")
		n, _ := rule.Str("statement.managedRuleGroupStatement.name")
		if v == "AWS" && n == name {
			return rule, true
		}
	}
	return infratest.Resource{}, false
}

// enforced requires a managed group with OverrideAction none (its own block actions apply), no
// scope-down and no rule overridden to a non-blocking action.
func enforced(acl infratest.Resource, group string, protect ...string) error {
	rule, ok := managedRule(acl, group)
	if !ok {
		return fmt.Errorf("managed rule group %s is missing", group)
	}
	if !rule.Has("overrideAction.none") || rule.Has("overrideAction.count") {
		return fmt.Errorf("%s: overrideAction must be none (count only observes)", group)
	}
	if rule.Has("statement.managedRuleGroupStatement.scopeDownStatement") {
		return fmt.Errorf("%s: a scope-down statement exempts requests", group)
	}
	for _, o := range items(rule, "statement.managedRuleGroupStatement.ruleActionOverrides") {
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

// ruleList builds a rule list for break cases.
func ruleList(rules ...map[string]any) []any {
	out := make([]any, len(rules))
	for i, r := range rules {
		out[i] = r
	}
	return out
}

func managedRuleValue(name string, override string) map[string]any {
	return map[string]any{
		"name": name, "priority": 1,
		"overrideAction":   map[string]any{override: map[string]any{}},
		"statement":        map[string]any{"managedRuleGroupStatement": map[string]any{"vendorName": "AWS", "name": name}},
		"visibilityConfig": map[string]any{"cloudwatchMetricsEnabled": true, "sampledRequestsEnabled": true, "metricName": name},
	}
}
