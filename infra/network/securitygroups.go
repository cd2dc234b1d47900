package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Group keys; also the suffix of each group's logical name ("<name>-<key>-sg").
const (
	GroupALB       = "alb"
	GroupWeb       = "web"
	GroupBackend   = "backend"
	GroupNLB       = "nlb"
	GroupRDS       = "rds"
	GroupRedis     = "redis"
	GroupEndpoints = "endpoints"
)

// groupOrder fixes creation order; descriptions say what each group is for (CKV_AWS_23).
var groupOrder = []struct{ key, desc string }{
	{GroupALB, "Public ALB: HTTPS from the internet, to the web and backend tasks"},
	{GroupWeb, "Web (Next.js) tasks: from the ALB; to RDS, Redis and HTTPS egress"},
	{GroupBackend, "Backend (Go) tasks: from the ALB and the VPC-link NLB; to RDS, Redis and HTTPS egress"},
	{GroupNLB, "Internal NLB of the API Gateway VPC link: to the backend tasks"},
	{GroupRDS, "RDS PostgreSQL: from the web and backend tasks only"},
	{GroupRedis, "ElastiCache Redis: from the web and backend tasks only"},
	{GroupEndpoints, "Interface VPC endpoints: HTTPS from the web and backend tasks only"},
}

// rule is one security-group rule: traffic on port between the group and a peer group or CIDR.
type rule struct {
	group   string
	ingress bool
	port    int
	peer    string // peer group key; empty when cidr is set
	cidr    string
	desc    string
}

// rules is the design's graph (architecture.md): internet -> ALB :443 (and :80 for the redirect
// only); ALB -> web and backend ports; NLB -> backend port; web and backend -> RDS 5432 and
// Redis 6379. The endpoint group lets the tasks reach ECR, Logs and Secrets Manager privately.
// Each edge is written on both sides: egress on the source, ingress on the target.
func (b *builder) rules() []rule {
	a := b.args
	rs := []rule{
		{group: GroupALB, ingress: true, port: HTTPSPort, cidr: "0.0.0.0/0", desc: "HTTPS from the internet (CloudFront and browsers)"},
	}
	if a.ALBHTTPRedirect {
		rs = append(rs, rule{group: GroupALB, ingress: true, port: HTTPPort, cidr: "0.0.0.0/0", desc: "HTTP from the internet, answered only by the redirect to HTTPS"})
	}
	edge := func(from, to string, port int, what string) {
		rs = append(rs,
			rule{group: from, port: port, peer: to, desc: what + " to the " + to + " group"},
			rule{group: to, ingress: true, port: port, peer: from, desc: what + " from the " + from + " group"},
		)
	}
	edge(GroupALB, GroupWeb, a.WebPort, "Web traffic")
	edge(GroupALB, GroupBackend, a.BackendPort, "Backend traffic")
	edge(GroupNLB, GroupBackend, a.BackendPort, "VPC-link traffic")
	for _, task := range []string{GroupWeb, GroupBackend} {
		edge(task, GroupRDS, PostgresPort, "PostgreSQL")
		edge(task, GroupRedis, RedisPort, "Redis TLS")
		edge(task, GroupEndpoints, HTTPSPort, "HTTPS to VPC endpoints")
		// NAT egress for ECR, @connections, and AWS APIs without an endpoint.
		rs = append(rs, rule{group: task, port: HTTPSPort, cidr: "0.0.0.0/0", desc: "HTTPS to AWS APIs and @connections through the NAT gateway"})
	}
	return rs
}

// securityGroups creates the groups without inline rules, then one rule resource per edge.
func (b *builder) securityGroups(vpcID pulumi.StringOutput) (SecurityGroups, error) {
	ids := map[string]pulumi.StringOutput{}
	for _, g := range groupOrder {
		sg, err := ec2.NewSecurityGroup(b.ctx, b.name+"-"+g.key+"-sg", &ec2.SecurityGroupArgs{
			VpcId:       vpcID,
			Description: pulumi.String(g.desc),
			// Rules are separate resources; with no inline egress the provider also revokes
			// AWS's default allow-all egress rule.
			RevokeRulesOnDelete: pulumi.Bool(true),
			Tags:                b.tags(g.key),
		}, b.parent)
		if err != nil {
			return SecurityGroups{}, b.wrap("security group "+g.key, err)
		}
		ids[g.key] = sg.ID().ToStringOutput()
	}
	for _, r := range b.rules() {
		if err := b.rule(r, ids); err != nil {
			return SecurityGroups{}, err
		}
	}
	return SecurityGroups{
		ALB: ids[GroupALB], Web: ids[GroupWeb], Backend: ids[GroupBackend], NLB: ids[GroupNLB],
		RDS: ids[GroupRDS], Redis: ids[GroupRedis], Endpoints: ids[GroupEndpoints],
	}, nil
}

func (b *builder) rule(r rule, ids map[string]pulumi.StringOutput) error {
	dir, peer := "out", r.peer
	if r.ingress {
		dir = "in"
	}
	if peer == "" {
		peer = "internet"
	}
	name := fmt.Sprintf("%s-%s-%s-%s-%d", b.name, r.group, dir, peer, r.port)
	var cidr, ref pulumi.StringPtrInput
	if r.cidr != "" {
		cidr = pulumi.StringPtr(r.cidr)
	} else {
		ref = ids[r.peer].ToStringPtrOutput()
	}
	tags := b.tags(fmt.Sprintf("%s-%s-%s-%d", r.group, dir, peer, r.port))
	var err error
	if r.ingress {
		_, err = vpc.NewSecurityGroupIngressRule(b.ctx, name, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           ids[r.group],
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(r.port),
			ToPort:                    pulumi.Int(r.port),
			CidrIpv4:                  cidr,
			ReferencedSecurityGroupId: ref,
			Description:               pulumi.String(r.desc),
			Tags:                      tags,
		}, b.parent)
	} else {
		_, err = vpc.NewSecurityGroupEgressRule(b.ctx, name, &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId:           ids[r.group],
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(r.port),
			ToPort:                    pulumi.Int(r.port),
			CidrIpv4:                  cidr,
			ReferencedSecurityGroupId: ref,
			Description:               pulumi.String(r.desc),
			Tags:                      tags,
		}, b.parent)
	}
	if err != nil {
		return b.wrap("rule "+name, err)
	}
	return nil
}
