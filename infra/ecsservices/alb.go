package ecsservices

import (
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/s3bucket"
)

// AccessLogPrefix is the key prefix of the ALB access logs in their bucket.
const AccessLogPrefix = "alb"

// Rule priorities on the HTTPS listener: the /apigw block first, then the backend paths, then
// everything else to the web service. Requests without the origin-verify header match none of
// the forwarding rules and get the listener's default 403.
const (
	PriorityBlocked     = 1
	PriorityBackendBase = 10
	PriorityWeb         = 100
)

// maxPathsPerRule: an ALB rule takes at most five condition values, one of which is the
// origin-verify header value.
const maxPathsPerRule = 4

// logBucket creates the ALB access-log bucket with the shared hardened-bucket helper. ALB
// access logs support only SSE-S3 (AES256), not SSE-KMS, so it is a log sink (SSE-S3, no access
// logging of its own); its objects expire after the log retention.
func (b *builder) logBucket() error {
	a := b.args
	bucket, err := s3bucket.New(b.ctx, b.name+"-alb-logs", &s3bucket.Args{
		Name:           a.NamePrefix + "-alb-logs-" + a.Account.ID,
		LogSink:        true,
		ExpireDays:     a.LogRetentionDays,
		NoncurrentDays: 7,
		// Deletion protection off (dev) also lets destroy remove the logs with the bucket.
		ForceDestroy: !a.DeletionProtection,
		Tags:         a.Tags,
		// The settings were created here under the bucket's name before the helper was used.
		SettingsAlias: b.name + "-alb-logs",
	}, b.parent)
	if err != nil {
		return b.wrap("log bucket", err)
	}
	// Regions opened before August 2022 deliver logs as the regional ELB account; newer ones
	// as the log-delivery service principal. Both are admitted, each only to this account's
	// prefix.
	elbAccount, err := elb.GetServiceAccount(b.ctx, &elb.GetServiceAccountArgs{})
	if err != nil {
		return b.wrap("ELB service account", err)
	}
	pol, err := bucket.Policy(b.ctx, b.name+"-alb-logs", nil, func(arn string, _ []string) []iampolicy.Statement {
		return logDelivery(arn, a.Account.ID, elbAccount.Arn)
	}, b.parent)
	if err != nil {
		return b.wrap("log bucket policy", err)
	}
	b.logBucketReady = append(append([]pulumi.Resource{}, bucket.Settings...), pol)
	b.s.AccessLogBucket = bucket.ID
	return nil
}

// logDelivery admits ELB log delivery to <bucket>/alb/AWSLogs/<account>/ only, as the ELB
// account and as the log-delivery service (the helper adds the TLS-only deny, FSBP S3.5).
func logDelivery(bucketArn, accountID, elbAccountArn string) []iampolicy.Statement {
	objects := bucketArn + "/" + AccessLogPrefix + "/AWSLogs/" + accountID + "/*"
	return []iampolicy.Statement{
		{
			Sid:       "ELBAccountLogDelivery",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{AWS: iampolicy.List{elbAccountArn}},
			Action:    iampolicy.List{"s3:PutObject"},
			Resource:  iampolicy.List{objects},
		},
		{
			Sid:       "ELBServiceLogDelivery",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{Service: iampolicy.List{"logdelivery.elasticloadbalancing.amazonaws.com"}},
			Action:    iampolicy.List{"s3:PutObject"},
			Resource:  iampolicy.List{objects},
		},
	}
}

// loadBalancers creates the public ALB (listeners, rules, target groups) and the internal NLB
// of the VPC link.
func (b *builder) loadBalancers() error {
	a := b.args
	alb, err := lb.NewLoadBalancer(b.ctx, b.name+"-alb", &lb.LoadBalancerArgs{
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		IpAddressType:            pulumi.String("ipv4"),
		SecurityGroups:           pulumi.StringArray{a.SecurityGroups.ALB},
		Subnets:                  a.PublicSubnetIDs,
		DropInvalidHeaderFields:  pulumi.Bool(true),
		DesyncMitigationMode:     pulumi.String("defensive"),
		EnableDeletionProtection: pulumi.Bool(a.DeletionProtection),
		IdleTimeout:              pulumi.Int(a.IdleTimeoutSeconds),
		EnableHttp2:              pulumi.Bool(true),
		EnableWafFailOpen:        pulumi.Bool(false),
		XffHeaderProcessingMode:  pulumi.String("append"),
		AccessLogs: &lb.LoadBalancerAccessLogsArgs{
			Bucket:  b.s.AccessLogBucket,
			Prefix:  pulumi.String(AccessLogPrefix),
			Enabled: pulumi.Bool(true),
		},
		Tags: b.tags("alb"),
	}, b.parent, pulumi.DependsOn(b.logBucketReady))
	if err != nil {
		return b.wrap("ALB", err)
	}
	b.s.ALB = alb
	b.s.ALBARN, b.s.ALBARNSuffix, b.s.ALBDNSName, b.s.ALBZoneID = alb.Arn, alb.ArnSuffix, alb.DnsName, alb.ZoneId

	web, err := b.targetGroup("web", a.WebPort, "/api/config", false)
	if err != nil {
		return err
	}
	backend, err := b.targetGroup("backend", a.BackendPort, "/healthz", true)
	if err != nil {
		return err
	}
	b.s.WebTGroup, b.s.BackendTGroup = web, backend
	b.s.WebTargetGroupARNSuffix, b.s.BackendTargetGroupARNSuffix = web.ArnSuffix, backend.ArnSuffix

	https, err := lb.NewListener(b.ctx, b.name+"-https", &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(443),
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(SSLPolicy),
		CertificateArn:  b.args.CertificateARN,
		DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
			Type: pulumi.String("fixed-response"),
			FixedResponse: &lb.ListenerDefaultActionFixedResponseArgs{
				ContentType: pulumi.String("text/plain"),
				MessageBody: pulumi.String("Forbidden"),
				StatusCode:  pulumi.String("403"),
			},
		}},
		Tags: b.tags("https"),
	}, b.parent)
	if err != nil {
		return b.wrap("HTTPS listener", err)
	}
	b.s.HTTPSListener = https
	b.listeners = []pulumi.Resource{https}
	if a.HTTPRedirect {
		http, err := lb.NewListener(b.ctx, b.name+"-http", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(80),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
				Type: pulumi.String("redirect"),
				Redirect: &lb.ListenerDefaultActionRedirectArgs{
					Protocol:   pulumi.String("HTTPS"),
					Port:       pulumi.String("443"),
					StatusCode: pulumi.String("HTTP_301"),
				},
			}},
			Tags: b.tags("http-redirect"),
		}, b.parent)
		if err != nil {
			return b.wrap("HTTP redirect listener", err)
		}
		b.listeners = append(b.listeners, http)
	}

	if err := b.rules(https, web, backend); err != nil {
		return err
	}
	return b.networkLoadBalancer()
}

// targetGroup is an HTTP target group of Fargate tasks (ip targets).
func (b *builder) targetGroup(role string, port int, healthPath string, sticky bool) (*lb.TargetGroup, error) {
	a := b.args
	stickiness := &lb.TargetGroupStickinessArgs{Type: pulumi.String("lb_cookie"), Enabled: pulumi.Bool(false)}
	if sticky {
		// /ws holds a socket on one task; lb_cookie keeps a reconnecting browser on it too.
		stickiness = &lb.TargetGroupStickinessArgs{Type: pulumi.String("lb_cookie"), Enabled: pulumi.Bool(true), CookieDuration: pulumi.Int(86400)}
	}
	tg, err := lb.NewTargetGroup(b.ctx, b.name+"-"+role+"-tg", &lb.TargetGroupArgs{
		VpcId:               a.VPCID,
		TargetType:          pulumi.String("ip"),
		Port:                pulumi.Int(port),
		Protocol:            pulumi.String("HTTP"),
		ProtocolVersion:     pulumi.String("HTTP1"),
		IpAddressType:       pulumi.String("ipv4"),
		DeregistrationDelay: pulumi.Int(30),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Path:               pulumi.String(healthPath),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(15),
			Timeout:            pulumi.Int(5),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(3),
		},
		Stickiness: stickiness,
		Tags:       b.tags(role + "-tg"),
	}, b.parent)
	if err != nil {
		return nil, b.wrap("target group "+role, err)
	}
	return tg, nil
}

// rules: /apigw and /apigw/* answer 404 first; the backend paths (with the origin-verify
// header) go to the backend; any other path with the header goes to the web service.
func (b *builder) rules(https *lb.Listener, web, backend *lb.TargetGroup) error {
	verify := &lb.ListenerRuleConditionArgs{HttpHeader: &lb.ListenerRuleConditionHttpHeaderArgs{
		HttpHeaderName: pulumi.String(OriginVerifyHeader),
		Values:         pulumi.StringArray{b.s.OriginVerifyValue},
	}}
	forward := func(tg *lb.TargetGroup) lb.ListenerRuleActionArray {
		return lb.ListenerRuleActionArray{&lb.ListenerRuleActionArgs{Type: pulumi.String("forward"), TargetGroupArn: tg.Arn}}
	}
	if _, err := lb.NewListenerRule(b.ctx, b.name+"-apigw-blocked", &lb.ListenerRuleArgs{
		ListenerArn: https.Arn,
		Priority:    pulumi.Int(PriorityBlocked),
		Conditions: lb.ListenerRuleConditionArray{&lb.ListenerRuleConditionArgs{
			PathPattern: &lb.ListenerRuleConditionPathPatternArgs{Values: pulumi.ToStringArray(BlockedPaths)},
		}},
		Actions: lb.ListenerRuleActionArray{&lb.ListenerRuleActionArgs{
			Type: pulumi.String("fixed-response"),
			FixedResponse: &lb.ListenerRuleActionFixedResponseArgs{
				ContentType: pulumi.String("text/plain"),
				MessageBody: pulumi.String(""),
				StatusCode:  pulumi.String("404"),
			},
		}},
		Tags: b.tags("apigw-blocked"),
	}, b.parent); err != nil {
		return b.wrap("/apigw rule", err)
	}
	for i := 0; i*maxPathsPerRule < len(BackendPaths); i++ {
		paths := BackendPaths[i*maxPathsPerRule : min((i+1)*maxPathsPerRule, len(BackendPaths))]
		n := strconv.Itoa(i + 1)
		rule, err := lb.NewListenerRule(b.ctx, b.name+"-backend-"+n, &lb.ListenerRuleArgs{
			ListenerArn: https.Arn,
			Priority:    pulumi.Int(PriorityBackendBase + i),
			Conditions: lb.ListenerRuleConditionArray{
				&lb.ListenerRuleConditionArgs{PathPattern: &lb.ListenerRuleConditionPathPatternArgs{Values: pulumi.ToStringArray(paths)}},
				verify,
			},
			Actions: forward(backend),
			Tags:    b.tags("backend-" + n),
		}, b.parent)
		if err != nil {
			return b.wrap("backend rule "+n, err)
		}
		b.attach(backend, rule)
	}
	rule, err := lb.NewListenerRule(b.ctx, b.name+"-web", &lb.ListenerRuleArgs{
		ListenerArn: https.Arn,
		Priority:    pulumi.Int(PriorityWeb),
		Conditions:  lb.ListenerRuleConditionArray{verify},
		Actions:     forward(web),
		Tags:        b.tags("web"),
	}, b.parent)
	if err != nil {
		return b.wrap("web rule", err)
	}
	b.attach(web, rule)
	return nil
}

// attach records a listener or rule that forwards to tg. ECS refuses CreateService with a
// target group no listener or rule forwards to ("target group ... does not have an associated
// load balancer"), and the Pulumi engine orders creations only by declared dependencies, so
// each service depends on the attachments of every target group it registers with.
func (b *builder) attach(tg *lb.TargetGroup, by pulumi.Resource) {
	if b.attachments == nil {
		b.attachments = map[*lb.TargetGroup][]pulumi.Resource{}
	}
	b.attachments[tg] = append(b.attachments[tg], by)
}

// networkLoadBalancer is the internal NLB the API Gateway VPC link (v1) targets: TCP on the
// backend port to the backend tasks. API Gateway reaches it through PrivateLink, which its
// security group would drop unless inbound enforcement for PrivateLink traffic is off (the
// NLB group has no inbound rule).
func (b *builder) networkLoadBalancer() error {
	a := b.args
	nlb, err := lb.NewLoadBalancer(b.ctx, b.name+"-nlb", &lb.LoadBalancerArgs{
		LoadBalancerType:             pulumi.String("network"),
		Internal:                     pulumi.Bool(true),
		IpAddressType:                pulumi.String("ipv4"),
		Subnets:                      a.PrivateSubnetIDs,
		SecurityGroups:               pulumi.StringArray{a.SecurityGroups.NLB},
		EnableCrossZoneLoadBalancing: pulumi.Bool(true),
		EnableDeletionProtection:     pulumi.Bool(a.DeletionProtection),
		EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: pulumi.String("off"),
		Tags: b.tags("nlb"),
	}, b.parent)
	if err != nil {
		return b.wrap("NLB", err)
	}
	tg, err := lb.NewTargetGroup(b.ctx, b.name+"-nlb-backend-tg", &lb.TargetGroupArgs{
		VpcId:               a.VPCID,
		TargetType:          pulumi.String("ip"),
		Port:                pulumi.Int(a.BackendPort),
		Protocol:            pulumi.String("TCP"),
		IpAddressType:       pulumi.String("ipv4"),
		DeregistrationDelay: pulumi.Int(30),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Path:               pulumi.String("/healthz"),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(10),
			Timeout:            pulumi.Int(5),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(2),
		},
		Tags: b.tags("nlb-backend-tg"),
	}, b.parent)
	if err != nil {
		return b.wrap("NLB target group", err)
	}
	listener, err := lb.NewListener(b.ctx, b.name+"-nlb-tcp", &lb.ListenerArgs{
		LoadBalancerArn: nlb.Arn,
		Port:            pulumi.Int(a.BackendPort),
		Protocol:        pulumi.String("TCP"),
		DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
			Type: pulumi.String("forward"), TargetGroupArn: tg.Arn,
		}},
		Tags: b.tags("nlb-tcp"),
	}, b.parent)
	if err != nil {
		return b.wrap("NLB listener", err)
	}
	b.listeners = append(b.listeners, listener)
	b.attach(tg, listener)
	b.s.NLB, b.s.NLBTargetGroup = nlb, tg
	b.s.NLBARN, b.s.NLBARNSuffix, b.s.NLBDNSName, b.s.NLBTargetGroupARNSuffix = nlb.Arn, nlb.ArnSuffix, nlb.DnsName, tg.ArnSuffix
	return nil
}
