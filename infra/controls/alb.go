package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/infratest"
)

// Elastic Load Balancing: the public ALB and the internal NLB of the VPC link (ecsservices).

// ALB lists the load balancer controls.
func ALB(p ServiceParams) []Control {
	return named(
		httpOnlyRedirects.For(p),
		listenersHTTPS,
		listenerTLSPolicy,
		albDropsInvalidHeaders,
		albAccessLogs,
		albDeletionProtection,
		albDesyncMitigation,
		lbsSpanTwoAZs,
		targetGroupHealthChecks,
		targetsOnlyViaHTTPS,
		albIdleTimeout,
		albRequiresOriginHeader.For(p),
		apigwPathsBlocked,
		albRoutes.For(p),
		nlbPrivateLink,
	)
}

// ServiceParams are the configured values the load balancer controls compare against.
type ServiceParams struct {
	WebPort, BackendPort int
	// HTTPRedirect: the ALB has the :80 listener that only redirects.
	HTTPRedirect bool
	// OriginVerifyHeader is the header CloudFront adds and the ALB requires.
	OriginVerifyHeader string
}

// TLSPolicy is the only HTTPS listener policy accepted (FSBP ELB.17, CKV_AWS_103, CP).
const TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

var httpOnlyRedirects = Configured[ServiceParams]{
	Name: "httpOnlyRedirects",
	ID:   "ELB.1 an HTTP listener (only with the albHttpRedirect waiver) only redirects to HTTPS",
	Check: func(p ServiceParams, rec infratest.Recorded) error {
		var errs []error
		var http int
		for _, l := range listenersOf(rec, "application") {
			if pr, _ := l.Str("protocol"); pr != "HTTP" {
				continue
			}
			http++
			if n := l.Len("defaultActions"); n != 1 {
				errs = append(errs, fmt.Errorf("%s: %d default actions, want one redirect", label(l), n))
				continue
			}
			errs = append(errs, isStr(l, "defaultActions[0].type", "redirect"), isStr(l, "defaultActions[0].redirect.protocol", "HTTPS"),
				isStr(l, "defaultActions[0].redirect.port", "443"), isStr(l, "defaultActions[0].redirect.statusCode", "HTTP_301"))
			if rs := rulesOf(rec, l); len(rs) > 0 {
				errs = append(errs, fmt.Errorf("%s: %d rules on the HTTP listener", label(l), len(rs)))
			}
		}
		if p.HTTPRedirect && http != 1 {
			errs = append(errs, fmt.Errorf("%d HTTP listeners, want the one redirect", http))
		}
		if !p.HTTPRedirect && http != 0 {
			errs = append(errs, fmt.Errorf("%d HTTP listeners without the albHttpRedirect waiver, want none (443 only)", http))
		}
		return errors.Join(errs...)
	},
	// With or without the waiver: a listener that speaks plain HTTP and forwards.
	Breaks: []Break{edit("plain HTTP listener that forwards", TListener, func(_ infratest.Resource, in resource.PropertyMap) {
		in["protocol"] = resource.NewStringProperty("HTTP")
		in["defaultActions"] = resource.NewPropertyValue([]any{map[string]any{"type": "forward", "targetGroupArn": "arn:tg"}})
	})},
}

var listenersHTTPS = Control{
	Name: "listenersHTTPS",
	ID:   "ELB.18 ALB listeners are HTTPS with an ACM certificate (except the redirect)",
	Check: func(rec infratest.Recorded) error {
		var errs []error
		var https int
		for _, l := range listenersOf(rec, "application") {
			pr, _ := l.Str("protocol")
			switch pr {
			case "HTTPS":
				https++
				if c, _ := l.Str("certificateArn"); !strings.Contains(c, ":acm:") {
					errs = append(errs, fmt.Errorf("%s: certificateArn %q is not an ACM certificate", label(l), c))
				}
			case "HTTP":
				if actionType(l, "defaultActions") != "redirect" {
					errs = append(errs, fmt.Errorf("%s: plain HTTP listener that does not redirect", label(l)))
				}
			default:
				errs = append(errs, fmt.Errorf("%s: protocol %q", label(l), pr))
			}
		}
		if https != 1 {
			errs = append(errs, fmt.Errorf("%d HTTPS listeners, want 1", https))
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TListener, "certificateArn", "arn:aws:iam::123456789012:server-certificate/self-signed"}, {TListener, "protocol", "HTTP"}},
}

var listenerTLSPolicy = Control{
	Name: "listenerTLSPolicy",
	ID:   "ELB.17 HTTPS listener policy " + TLSPolicy,
	Check: func(rec infratest.Recorded) error {
		var errs []error
		for _, l := range listenersOf(rec, "application") {
			if pr, _ := l.Str("protocol"); pr == "HTTPS" {
				errs = append(errs, isStr(l, "sslPolicy", TLSPolicy))
			}
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TListener, "sslPolicy", "ELBSecurityPolicy-2016-08"}},
}

var albDropsInvalidHeaders = Control{
	Name: "albDropsInvalidHeaders",
	ID:   "ELB.4 ALB drops invalid header fields",
	Check: func(rec infratest.Recorded) error {
		return eachLB(rec, "application", func(r infratest.Resource) error { return isBool(r, "dropInvalidHeaderFields", true) })
	},
	Props: []Prop{{TLoadBalancer, "dropInvalidHeaderFields", false}},
}

var albAccessLogs = Control{
	Name: "albAccessLogs",
	ID:   "ELB.5 ALB access logs to the stack's hardened bucket",
	Check: func(rec infratest.Recorded) error {
		return eachLB(rec, "application", func(r infratest.Resource) error {
			if err := isBool(r, "accessLogs.enabled", true); err != nil {
				return err
			}
			b, err := nonEmpty(r, "accessLogs.bucket")
			if err != nil {
				return err
			}
			return albLogBucket(rec, b)
		})
	},
	Props: []Prop{{TLoadBalancer, "accessLogs", map[string]any{"enabled": false, "bucket": "x"}}},
	Breaks: []Break{
		edit("log bucket without public access block", TBucketPAB, func(_ infratest.Resource, in resource.PropertyMap) {
			in["blockPublicPolicy"] = resource.NewBoolProperty(false)
		}),
		edit("log bucket encrypted with SSE-KMS (ALB cannot deliver)", TBucketSSE, func(_ infratest.Resource, in resource.PropertyMap) {
			in["rules"] = resource.NewPropertyValue([]any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms"}}})
		}),
		edit("log bucket policy without TLS-only deny", TBucketPolicy, func(_ infratest.Resource, in resource.PropertyMap) {
			in["policy"] = resource.NewStringProperty(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logdelivery.elasticloadbalancing.amazonaws.com"},"Action":["s3:PutObject"],"Resource":["arn:aws:s3:::x/*"]}]}`)
		}),
		edit("log bucket ownership ObjectWriter", TBucketOwnership, func(_ infratest.Resource, in resource.PropertyMap) {
			in["rule"] = resource.NewPropertyValue(map[string]any{"objectOwnership": "ObjectWriter"})
		}),
		edit("log bucket versioning suspended", TBucketVersion, func(_ infratest.Resource, in resource.PropertyMap) {
			in["versioningConfiguration"] = resource.NewPropertyValue(map[string]any{"status": "Suspended"})
		}),
		edit("log bucket lifecycle removed", TBucketLifecycle, func(_ infratest.Resource, in resource.PropertyMap) { delete(in, "rules") }),
	},
}

var albDeletionProtection = Control{
	Name: "albDeletionProtection",
	ID:   "ELB.6 ALB deletion protection",
	Check: func(rec infratest.Recorded) error {
		return eachLB(rec, "application", func(r infratest.Resource) error { return isBool(r, "enableDeletionProtection", true) })
	},
	Props: []Prop{{TLoadBalancer, "enableDeletionProtection", false}},
}

var albDesyncMitigation = Control{
	Name: "albDesyncMitigation",
	ID:   "ELB.12 desync mitigation defensive or strictest",
	Check: func(rec infratest.Recorded) error {
		return eachLB(rec, "application", func(r infratest.Resource) error {
			m, ok := r.Str("desyncMitigationMode")
			if !ok || (m != "defensive" && m != "strictest") {
				return fmt.Errorf("desyncMitigationMode %q, want defensive or strictest, set explicitly", m)
			}
			return nil
		})
	},
	Props: []Prop{{TLoadBalancer, "desyncMitigationMode", "monitor"}},
}

var lbsSpanTwoAZs = Control{
	Name: "lbsSpanTwoAZs",
	ID:   "ELB.13 load balancers span at least 2 AZs in their tier (ALB public, NLB private)",
	Check: func(rec infratest.Recorded) error {
		tiers := subnetIDsByTier(rec)
		check := func(kind, tier string) error {
			return eachLB(rec, kind, func(r infratest.Resource) error {
				sn := r.Strings("subnets")
				if len(sn) < 2 {
					return fmt.Errorf("%d subnets, want at least 2 AZs", len(sn))
				}
				for _, s := range sn {
					if !slices.Contains(tiers[tier], s) {
						return fmt.Errorf("subnet %s is not %s", s, tier)
					}
				}
				return nil
			})
		}
		return errors.Join(check("application", "public"), check("network", "private"))
	},
	Props: []Prop{{TLoadBalancer, "subnets", []any{"subnet-one"}}},
}

var targetGroupHealthChecks = Control{
	Name: "targetGroupHealthChecks",
	ID:   "CKV_AWS_261 target groups define health checks",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TTargetGroup, 1, func(r infratest.Resource) error {
			return errors.Join(isBool(r, "healthCheck.enabled", true), isStr(r, "healthCheck.protocol", "HTTP"),
				func() error { _, err := nonEmpty(r, "healthCheck.path"); return err }(), isStr(r, "healthCheck.matcher", "200"))
		})
	},
	Props: []Prop{{TTargetGroup, "healthCheck", map[string]any{"enabled": false}}},
}

var targetsOnlyViaHTTPS = Control{
	Name: "targetsOnlyViaHTTPS",
	ID:   "CKV_AWS_378 HTTP target groups are reached only through the HTTPS listener",
	Check: func(rec infratest.Recorded) error {
		var errs []error
		for _, l := range listenersOf(rec, "application") {
			pr, _ := l.Str("protocol")
			forwards := actionType(l, "defaultActions") == "forward"
			for _, r := range rulesOf(rec, l) {
				forwards = forwards || actionType(r, "actions") == "forward"
			}
			if pr != "HTTPS" && forwards {
				errs = append(errs, fmt.Errorf("%s: %s listener forwards to targets", label(l), pr))
			}
		}
		errs = append(errs, each(rec, TTargetGroup, 1, func(r infratest.Resource) error {
			pr, _ := r.Str("protocol")
			if pr != "HTTP" && pr != "TCP" {
				return fmt.Errorf("protocol %q", pr)
			}
			return nil
		}))
		return errors.Join(errs...)
	},
	Props: []Prop{{TListener, "protocol", "HTTP"}},
}

var albIdleTimeout = Control{
	Name: "albIdleTimeout",
	ID:   "ALB.WS idle timeout long enough for WebSockets (60 to 4000 s)",
	Check: func(rec infratest.Recorded) error {
		return eachLB(rec, "application", func(r infratest.Resource) error { return intBetween(r, "idleTimeout", 60, 4000) })
	},
	Props: []Prop{{TLoadBalancer, "idleTimeout", 30}},
}

var albRequiresOriginHeader = Configured[ServiceParams]{
	Name: "albRequiresOriginHeader",
	ID:   "ALB.ORIGIN only requests with CloudFront's origin-verify header are forwarded; others get 403",
	Check: func(p ServiceParams, rec infratest.Recorded) error {
		var errs []error
		values := map[string]bool{}
		for _, l := range listenersOf(rec, "application") {
			if pr, _ := l.Str("protocol"); pr != "HTTPS" {
				continue
			}
			errs = append(errs, isStr(l, "defaultActions[0].type", "fixed-response"), isStr(l, "defaultActions[0].fixedResponse.statusCode", "403"))
			for _, r := range rulesOf(rec, l) {
				if actionType(r, "actions") != "forward" {
					continue
				}
				_, headers, _ := conditions(r)
				v := headers[p.OriginVerifyHeader]
				if len(v) != 1 || len(v[0]) < 32 {
					errs = append(errs, fmt.Errorf("%s forwards without requiring %s", label(r), p.OriginVerifyHeader))
					continue
				}
				if !r.IsSecret("conditions") {
					errs = append(errs, fmt.Errorf("%s: the %s value is not secret in state", label(r), p.OriginVerifyHeader))
				}
				values[v[0]] = true
			}
		}
		if len(values) != 1 {
			errs = append(errs, fmt.Errorf("%d distinct origin-verify values across the rules, want 1", len(values)))
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TListener, "defaultActions", []any{map[string]any{"type": "forward", "targetGroupArn": "arn:tg"}}}},
	Breaks: []Break{edit("forward rules without the header condition", TListenerRule, func(r infratest.Resource, in resource.PropertyMap) {
		if actionType(r, "actions") != "forward" {
			return
		}
		var keep []any
		for i := 0; i < r.Len("conditions"); i++ {
			if paths := r.Strings(fmt.Sprintf("conditions[%d].pathPattern.values", i)); len(paths) > 0 {
				keep = append(keep, map[string]any{"pathPattern": map[string]any{"values": toAnyList(paths)}})
			}
		}
		if len(keep) == 0 {
			keep = []any{map[string]any{"pathPattern": map[string]any{"values": []any{"/*"}}}}
		}
		in["conditions"] = resource.NewPropertyValue(keep)
	})},
}

var apigwPathsBlocked = Control{
	Name: "apigwPathsBlocked",
	ID:   "ALB.APIGW /apigw and /apigw/* answer 404 before any forwarding rule",
	Check: func(rec infratest.Recorded) error {
		var errs []error
		for _, l := range listenersOf(rec, "application") {
			if pr, _ := l.Str("protocol"); pr != "HTTPS" {
				continue
			}
			blocked, firstForward := -1, 1<<30
			for _, r := range rulesOf(rec, l) {
				prio, _ := r.Int("priority")
				paths, _, _ := conditions(r)
				if actionType(r, "actions") == "forward" {
					firstForward = min(firstForward, prio)
					for _, path := range paths {
						if strings.HasPrefix(path, "/apigw") {
							errs = append(errs, fmt.Errorf("%s forwards %s", label(r), path))
						}
					}
					continue
				}
				if slices.Contains(paths, "/apigw") && slices.Contains(paths, "/apigw/*") {
					code, _ := r.Str("actions[0].fixedResponse.statusCode")
					if actionType(r, "actions") == "fixed-response" && code == "404" {
						blocked = prio
					}
				}
			}
			if blocked < 0 || blocked >= firstForward {
				errs = append(errs, fmt.Errorf("no 404 rule for /apigw ahead of the forwarding rules (blocked %d, first forward %d)", blocked, firstForward))
			}
		}
		return errors.Join(errs...)
	},
	Breaks: []Break{edit("/apigw rule after the forwarding rules", TListenerRule, func(r infratest.Resource, in resource.PropertyMap) {
		if actionType(r, "actions") == "fixed-response" {
			in["priority"] = resource.NewNumberProperty(1000)
		}
	})},
}

var albRoutes = Configured[ServiceParams]{
	Name: "albRoutes",
	ID:   "ALB.ROUTES backend paths go to the backend (sticky), the rest to the web service",
	Check: func(p ServiceParams, rec infratest.Recorded) error {
		tgPort := map[string]int{}
		sticky := map[string]bool{}
		for _, tg := range rec.ByType(TTargetGroup) {
			arn, _ := tg.Output("arn")
			port, _ := tg.Int("port")
			tgPort[arn.StringValue()] = port
			on, _ := tg.Bool("stickiness.enabled")
			typ, _ := tg.Str("stickiness.type")
			sticky[arn.StringValue()] = on && typ == "lb_cookie"
		}
		var errs []error
		var backendPaths []string
		var web int
		for _, l := range listenersOf(rec, "application") {
			for _, r := range rulesOf(rec, l) {
				if actionType(r, "actions") != "forward" {
					continue
				}
				tg, _ := r.Str("actions[0].targetGroupArn")
				paths, _, n := conditions(r)
				if n > 5 {
					errs = append(errs, fmt.Errorf("%s has %d condition values (ALB limit 5)", label(r), n))
				}
				switch {
				case tgPort[tg] == p.BackendPort && len(paths) > 0:
					if !sticky[tg] {
						errs = append(errs, fmt.Errorf("%s: backend target group without lb_cookie stickiness", label(r)))
					}
					backendPaths = append(backendPaths, paths...)
				case tgPort[tg] == p.WebPort && len(paths) == 0:
					web++
				default:
					errs = append(errs, fmt.Errorf("%s forwards %v to port %d", label(r), paths, tgPort[tg]))
				}
			}
		}
		for _, want := range []string{"/ws", "/api/accounts", "/api/sessions", "/api/players/*", "/api/games/*", "/api/challenges/*", "/api/leaderboard", "/healthz", "/readyz"} {
			if !slices.Contains(backendPaths, want) {
				errs = append(errs, fmt.Errorf("%s is not routed to the backend", want))
			}
		}
		if web != 1 {
			errs = append(errs, fmt.Errorf("%d catch-all rules to the web service, want 1", web))
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TTargetGroup, "stickiness", map[string]any{"type": "lb_cookie", "enabled": false}}},
}

var nlbPrivateLink = Control{
	Name: "nlbPrivateLink",
	ID:   "NLB.PRIVATELINK internal NLB of the VPC link in its group, PrivateLink inbound enforcement off",
	Check: func(rec infratest.Recorded) error {
		groups := groupNames(rec)
		return eachLB(rec, "network", func(r infratest.Resource) error {
			var errs []error
			errs = append(errs, isBool(r, "internal", true), isStr(r, "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic", "off"))
			if sgs := r.Strings("securityGroups"); len(sgs) != 1 || sgs[0] != groups["nlb"] {
				errs = append(errs, fmt.Errorf("security groups %v, want only the nlb group", sgs))
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TLoadBalancer, "internal", false}, {TLoadBalancer, "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic", "on"}},
}

// loadBalancers returns the recorded load balancers of a type ("application" or "network").
func loadBalancers(rec infratest.Recorded, kind string) []infratest.Resource {
	var out []infratest.Resource
	for _, r := range rec.ByType(TLoadBalancer) {
		if t, _ := r.Str("loadBalancerType"); t == kind {
			out = append(out, r)
		}
	}
	return out
}

func eachLB(rec infratest.Recorded, kind string, fn func(infratest.Resource) error) error {
	lbs := loadBalancers(rec, kind)
	if len(lbs) == 0 {
		return fmt.Errorf("no %s load balancer recorded", kind)
	}
	var errs []error
	for _, r := range lbs {
		if err := fn(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label(r), err))
		}
	}
	return errors.Join(errs...)
}

// listenersOf returns the listeners of the load balancers of a kind.
func listenersOf(rec infratest.Recorded, kind string) []infratest.Resource {
	var arns []string
	for _, r := range loadBalancers(rec, kind) {
		if v, ok := r.Output("arn"); ok {
			arns = append(arns, v.StringValue())
		}
	}
	var out []infratest.Resource
	for _, l := range rec.ByType(TListener) {
		if a, _ := l.Str("loadBalancerArn"); slices.Contains(arns, a) {
			out = append(out, l)
		}
	}
	return out
}

// rulesOf returns the rules of a listener.
func rulesOf(rec infratest.Recorded, listener infratest.Resource) []infratest.Resource {
	arn, _ := listener.Output("arn")
	var out []infratest.Resource
	for _, r := range rec.ByType(TListenerRule) {
		if a, _ := r.Str("listenerArn"); a == arn.StringValue() {
			out = append(out, r)
		}
	}
	return out
}

// conditions decodes a rule's conditions: paths, and header name -> values.
func conditions(r infratest.Resource) (paths []string, headers map[string][]string, values int) {
	headers = map[string][]string{}
	for i := 0; i < r.Len("conditions"); i++ {
		p := r.Strings(fmt.Sprintf("conditions[%d].pathPattern.values", i))
		paths = append(paths, p...)
		values += len(p)
		if n, ok := r.Str(fmt.Sprintf("conditions[%d].httpHeader.httpHeaderName", i)); ok {
			v := r.Strings(fmt.Sprintf("conditions[%d].httpHeader.values", i))
			headers[n] = append(headers[n], v...)
			values += len(v)
		}
	}
	return paths, headers, values
}

func actionType(r infratest.Resource, key string) string {
	t, _ := r.Str(key + "[0].type")
	return t
}

// albLogBucket checks the ALB's log bucket and its settings resources.
func albLogBucket(rec infratest.Recorded, name string) error {
	buckets := infratest.ByOutput(rec, TBucket, "bucket", name)
	if len(buckets) != 1 {
		return fmt.Errorf("access-log bucket %q is not a bucket of the stack", name)
	}
	of := func(token string) (infratest.Resource, error) {
		rs := infratest.ByOutput(rec, token, "bucket", buckets[0].ID)
		if len(rs) != 1 {
			return infratest.Resource{}, fmt.Errorf("bucket %s has %d %s", name, len(rs), token)
		}
		return rs[0], nil
	}
	var errs []error
	if pab, err := of(TBucketPAB); err != nil {
		errs = append(errs, err)
	} else {
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			errs = append(errs, isBool(pab, k, true))
		}
	}
	if own, err := of(TBucketOwnership); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, isStr(own, "rule.objectOwnership", "BucketOwnerEnforced"))
	}
	if sse, err := of(TBucketSSE); err != nil {
		errs = append(errs, err)
	} else {
		// ALB log delivery supports SSE-S3 only.
		errs = append(errs, isStr(sse, "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"))
	}
	if ver, err := of(TBucketVersion); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, isStr(ver, "versioningConfiguration.status", "Enabled"))
	}
	if life, err := of(TBucketLifecycle); err != nil {
		errs = append(errs, err)
	} else if _, err := nonEmpty(life, "rules[0].status"); err != nil {
		errs = append(errs, fmt.Errorf("lifecycle: %w", err))
	}
	if pol, err := of(TBucketPolicy); err != nil {
		errs = append(errs, err)
	} else if doc, err := pol.Policy("policy"); err != nil {
		errs = append(errs, err)
	} else {
		var tlsOnly bool
		for _, s := range doc.Statement {
			if s.Effect == "Deny" && slices.Contains(s.Condition["Bool"]["aws:SecureTransport"], "false") {
				tlsOnly = true
			}
		}
		if !tlsOnly {
			errs = append(errs, errors.New("bucket policy does not deny requests without TLS"))
		}
	}
	return errors.Join(errs...)
}
