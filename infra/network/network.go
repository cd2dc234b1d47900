// Package network is the network component: a VPC over 2-3 AZs with public, private (app) and
// isolated (data) subnets, internet and NAT gateways, routes, VPC flow logs to a KMS-encrypted
// log group, the default security group locked down, VPC endpoints, and every security group of
// the stack wired exactly as the design's graph (securitygroups.go).
package network

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/kmskey"
	"chessplatform/infra/netplan"
)

// Type is the component's type token.
const Type = "chess:network:Network"

// Args configures the network.
type Args struct {
	// Common are the Account, NamePrefix, LogRetentionDays, KMSDeletionWindowDays and Tags
	// every component takes.
	component.Common
	// VPCCIDR is the VPC block (see netplan.ParseVPC). Required.
	VPCCIDR string
	// AZCount is the number of AZs, 2 or 3. Required.
	AZCount int
	// SingleNATGateway puts one NAT gateway in the first AZ for all private subnets (dev cost
	// waiver). Default false: one NAT gateway per AZ.
	SingleNATGateway bool
	// ALBHTTPRedirect opens :80 on the ALB group for the HTTP-to-HTTPS redirect listener.
	ALBHTTPRedirect bool
	// WebPort and BackendPort are the container ports of the two services. Required.
	WebPort, BackendPort int
}

// SecurityGroups holds the ids of the stack's security groups.
type SecurityGroups struct {
	ALB       pulumi.StringOutput // public ALB: 443 (and 80) from the internet
	Web       pulumi.StringOutput // web (Next.js) tasks
	Backend   pulumi.StringOutput // backend (Go) tasks
	NLB       pulumi.StringOutput // internal NLB behind the API Gateway VPC link
	RDS       pulumi.StringOutput // PostgreSQL
	Redis     pulumi.StringOutput // ElastiCache
	Endpoints pulumi.StringOutput // interface VPC endpoints
}

// Network is the component.
type Network struct {
	pulumi.ResourceState

	VPCID             pulumi.StringOutput      `pulumi:"vpcId"`
	PublicSubnetIDs   pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs  pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	IsolatedSubnetIDs pulumi.StringArrayOutput `pulumi:"isolatedSubnetIds"`
	NatPublicIPs      pulumi.StringArrayOutput `pulumi:"natPublicIps"`
	FlowLogGroupName  pulumi.StringOutput      `pulumi:"flowLogGroupName"`
	SecurityGroups    SecurityGroups

	// Plain values known at preview.
	VPCCIDR           string
	AvailabilityZones []string
	Plan              netplan.Plan

	VPC *ec2.Vpc
}

// Well-known ports of the data stores and the public listener.
const (
	PostgresPort = 5432
	RedisPort    = 6379
	HTTPSPort    = 443
	HTTPPort     = 80
)

// New creates the network.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	plan, err := netplan.Layout(args.VPCCIDR, args.AZCount)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State:   pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	})
	if err != nil {
		return nil, fmt.Errorf("network %s: availability zones: %w", name, err)
	}
	azs := append([]string(nil), zones.Names...)
	sort.Strings(azs)
	if len(azs) < args.AZCount {
		return nil, fmt.Errorf("network %s: region %s has %d usable AZs, %d requested", name, args.Account.Region, len(azs), args.AZCount)
	}
	azs = azs[:args.AZCount]

	n := &Network{VPCCIDR: args.VPCCIDR, AvailabilityZones: azs, Plan: plan}
	if err := ctx.RegisterComponentResource(Type, name, n, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(n)}

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(plan.VPC.String()),
		EnableDnsSupport:   pulumi.Bool(true), // interface endpoints with private DNS need both
		EnableDnsHostnames: pulumi.Bool(true),
		InstanceTenancy:    pulumi.String("default"),
		Tags:               b.tags("vpc"),
	}, b.parent)
	if err != nil {
		return nil, b.wrap("vpc", err)
	}
	n.VPC = vpc
	n.VPCID = vpc.ID().ToStringOutput()

	// The default security group is adopted with no rules at all (FSBP EC2.2).
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId:   n.VPCID,
		Ingress: ec2.DefaultSecurityGroupIngressArray{},
		Egress:  ec2.DefaultSecurityGroupEgressArray{},
		Tags:    b.tags("default-deny-all"),
	}, b.parent); err != nil {
		return nil, b.wrap("default security group", err)
	}

	subnets, err := b.subnets(vpc, plan, azs)
	if err != nil {
		return nil, err
	}
	n.PublicSubnetIDs = ids(subnets.public)
	n.PrivateSubnetIDs = ids(subnets.private)
	n.IsolatedSubnetIDs = ids(subnets.isolated)

	natIPs, privateTables, err := b.routing(vpc, subnets, azs)
	if err != nil {
		return nil, err
	}
	n.NatPublicIPs = natIPs

	sgs, err := b.securityGroups(n.VPCID)
	if err != nil {
		return nil, err
	}
	n.SecurityGroups = sgs

	if err := b.endpoints(vpc, subnets.private, privateTables, sgs.Endpoints); err != nil {
		return nil, err
	}

	n.FlowLogGroupName, err = b.flowLogs(vpc)
	if err != nil {
		return nil, err
	}

	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":                  n.VPCID,
		"publicSubnetIds":        n.PublicSubnetIDs,
		"privateSubnetIds":       n.PrivateSubnetIDs,
		"isolatedSubnetIds":      n.IsolatedSubnetIDs,
		"natPublicIps":           n.NatPublicIPs,
		"flowLogGroupName":       n.FlowLogGroupName,
		"albSecurityGroupId":     sgs.ALB,
		"webSecurityGroupId":     sgs.Web,
		"backendSecurityGroupId": sgs.Backend,
		"nlbSecurityGroupId":     sgs.NLB,
		"rdsSecurityGroupId":     sgs.RDS,
		"redisSecurityGroupId":   sgs.Redis,
	}); err != nil {
		return nil, fmt.Errorf("network %s: register outputs: %w", name, err)
	}
	return n, nil
}

// builder carries what every child needs.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	parent pulumi.ResourceOption
}

func (b *builder) tags(suffix string) pulumi.StringMap {
	return awsenv.Tags(b.args.Tags, b.args.NamePrefix+"-"+suffix)
}

func (b *builder) wrap(what string, err error) error {
	return fmt.Errorf("network %s: %s: %w", b.name, what, err)
}

type subnetSet struct{ public, private, isolated []*ec2.Subnet }

// azLetter names children by AZ suffix ("a", "b", "c") so names stay stable per AZ.
func azLetter(az string) string { return az[len(az)-1:] }

func (b *builder) subnets(vpc *ec2.Vpc, plan netplan.Plan, azs []string) (subnetSet, error) {
	var s subnetSet
	tiers := []struct {
		tier  string
		cidrs []string
		dst   *[]*ec2.Subnet
	}{
		{"public", prefixes(plan.Public), &s.public},
		{"private", prefixes(plan.Private), &s.private},
		{"isolated", prefixes(plan.Isolated), &s.isolated},
	}
	for _, t := range tiers {
		for i, az := range azs {
			label := t.tier + "-" + azLetter(az)
			tags := b.tags(label)
			tags["Tier"] = pulumi.String(t.tier)
			sn, err := ec2.NewSubnet(b.ctx, b.name+"-"+label, &ec2.SubnetArgs{
				VpcId:            vpc.ID(),
				CidrBlock:        pulumi.String(t.cidrs[i]),
				AvailabilityZone: pulumi.String(az),
				// No subnet hands out public IPs (FSBP EC2.15): the ALB and NAT gateways get
				// their own addresses, tasks and data stores never need one.
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                tags,
			}, b.parent)
			if err != nil {
				return s, b.wrap("subnet "+label, err)
			}
			*t.dst = append(*t.dst, sn)
		}
	}
	return s, nil
}

// routing creates the IGW, NAT gateways and route tables; it returns the NAT public IPs and the
// private route tables (for the S3 gateway endpoint).
func (b *builder) routing(vpc *ec2.Vpc, s subnetSet, azs []string) (pulumi.StringArrayOutput, []*ec2.RouteTable, error) {
	igw, err := ec2.NewInternetGateway(b.ctx, b.name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  b.tags("igw"),
	}, b.parent)
	if err != nil {
		return pulumi.StringArrayOutput{}, nil, b.wrap("internet gateway", err)
	}

	publicRT, err := b.routeTable("public", vpc)
	if err != nil {
		return pulumi.StringArrayOutput{}, nil, err
	}
	if _, err := ec2.NewRoute(b.ctx, b.name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         publicRT.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            igw.ID(),
	}, b.parent); err != nil {
		return pulumi.StringArrayOutput{}, nil, b.wrap("public default route", err)
	}
	for i, sn := range s.public {
		if err := b.associate("public-"+azLetter(azs[i]), publicRT, sn); err != nil {
			return pulumi.StringArrayOutput{}, nil, err
		}
	}

	natCount := len(azs)
	if b.args.SingleNATGateway {
		natCount = 1
	}
	var nats []*ec2.NatGateway
	var natIPs pulumi.StringArray
	for i := 0; i < natCount; i++ {
		label := "nat-" + azLetter(azs[i])
		eip, err := ec2.NewEip(b.ctx, b.name+"-"+label+"-eip", &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   b.tags(label),
		}, b.parent)
		if err != nil {
			return pulumi.StringArrayOutput{}, nil, b.wrap("eip "+label, err)
		}
		nat, err := ec2.NewNatGateway(b.ctx, b.name+"-"+label, &ec2.NatGatewayArgs{
			AllocationId:     eip.ID(),
			SubnetId:         s.public[i].ID(),
			ConnectivityType: pulumi.String("public"),
			Tags:             b.tags(label),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return pulumi.StringArrayOutput{}, nil, b.wrap(label, err)
		}
		nats = append(nats, nat)
		natIPs = append(natIPs, eip.PublicIp)
	}

	// One private route table per AZ, each to the NAT gateway of its AZ (or the single one).
	var privateTables []*ec2.RouteTable
	for i, sn := range s.private {
		label := "private-" + azLetter(azs[i])
		rt, err := b.routeTable(label, vpc)
		if err != nil {
			return pulumi.StringArrayOutput{}, nil, err
		}
		nat := nats[min(i, len(nats)-1)]
		if _, err := ec2.NewRoute(b.ctx, b.name+"-"+label+"-default", &ec2.RouteArgs{
			RouteTableId:         rt.ID(),
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NatGatewayId:         nat.ID(),
		}, b.parent); err != nil {
			return pulumi.StringArrayOutput{}, nil, b.wrap(label+" default route", err)
		}
		if err := b.associate(label, rt, sn); err != nil {
			return pulumi.StringArrayOutput{}, nil, err
		}
		privateTables = append(privateTables, rt)
	}

	// Isolated subnets share a table with only the local route: no path to the internet.
	isolatedRT, err := b.routeTable("isolated", vpc)
	if err != nil {
		return pulumi.StringArrayOutput{}, nil, err
	}
	for i, sn := range s.isolated {
		if err := b.associate("isolated-"+azLetter(azs[i]), isolatedRT, sn); err != nil {
			return pulumi.StringArrayOutput{}, nil, err
		}
	}
	return natIPs.ToStringArrayOutput(), privateTables, nil
}

func (b *builder) routeTable(label string, vpc *ec2.Vpc) (*ec2.RouteTable, error) {
	rt, err := ec2.NewRouteTable(b.ctx, b.name+"-"+label+"-rt", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  b.tags(label),
	}, b.parent)
	if err != nil {
		return nil, b.wrap("route table "+label, err)
	}
	return rt, nil
}

func (b *builder) associate(label string, rt *ec2.RouteTable, sn *ec2.Subnet) error {
	_, err := ec2.NewRouteTableAssociation(b.ctx, b.name+"-"+label+"-rta", &ec2.RouteTableAssociationArgs{
		RouteTableId: rt.ID(),
		SubnetId:     sn.ID(),
	}, b.parent)
	if err != nil {
		return b.wrap("route table association "+label, err)
	}
	return nil
}

// interfaceEndpoints are reached over private DNS from the private subnets. execute-api is
// deliberately absent: with private DNS it would capture the public @connections endpoint and
// break PostToConnection (403).
var interfaceEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"}

func (b *builder) endpoints(vpc *ec2.Vpc, private []*ec2.Subnet, tables []*ec2.RouteTable, sg pulumi.StringOutput) error {
	var rtIDs pulumi.StringArray
	for _, rt := range tables {
		rtIDs = append(rtIDs, rt.ID())
	}
	if _, err := ec2.NewVpcEndpoint(b.ctx, b.name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String(b.args.Account.EndpointService("s3")),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   rtIDs,
		Tags:            b.tags("s3"),
	}, b.parent); err != nil {
		return b.wrap("s3 endpoint", err)
	}
	subnetIDs := pulumi.StringArray{}
	for _, sn := range private {
		subnetIDs = append(subnetIDs, sn.ID())
	}
	for _, svc := range interfaceEndpoints {
		if _, err := ec2.NewVpcEndpoint(b.ctx, b.name+"-"+svc, &ec2.VpcEndpointArgs{
			VpcId:             vpc.ID(),
			ServiceName:       pulumi.String(b.args.Account.EndpointService(svc)),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         subnetIDs,
			SecurityGroupIds:  pulumi.StringArray{sg},
			Tags:              b.tags(svc),
		}, b.parent); err != nil {
			return b.wrap(svc+" endpoint", err)
		}
	}
	return nil
}

// flowLogs sends ALL traffic records of the VPC to a KMS-encrypted log group with retention.
func (b *builder) flowLogs(vpc *ec2.Vpc) (pulumi.StringOutput, error) {
	a := b.args.Account
	groupPrefix := "/" + b.args.NamePrefix + "/vpc/"
	key, err := kmskey.New(b.ctx, b.name+"-logs-key", &kmskey.Args{
		Account:            a,
		Description:        "VPC flow logs of " + b.args.NamePrefix,
		Alias:              b.args.NamePrefix + "/vpc-flow-logs",
		DeletionWindowDays: b.args.KMSDeletionWindowDays,
		Grants:             []kmskey.ServiceGrant{kmskey.LogsGrant(a, groupPrefix)},
		Tags:               b.args.Tags,
	}, b.parent)
	if err != nil {
		return pulumi.StringOutput{}, b.wrap("flow log key", err)
	}
	group, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(groupPrefix + "flow-logs"),
		RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
		KmsKeyId:        key.ARN,
		Tags:            b.tags("flow-logs"),
	}, b.parent)
	if err != nil {
		return pulumi.StringOutput{}, b.wrap("flow log group", err)
	}

	trust := iampolicy.ServiceTrust("vpc-flow-logs.amazonaws.com", a.ID)
	trust.Statement[0].Condition["ArnLike"] = map[string]iampolicy.List{"aws:SourceArn": {a.ARN("ec2", "vpc-flow-log/*")}}
	trustJSON, err := trust.JSON()
	if err != nil {
		return pulumi.StringOutput{}, b.wrap("flow log trust policy", err)
	}
	role, err := iam.NewRole(b.ctx, b.name+"-flow-logs-role", &iam.RoleArgs{
		// Named under the stack prefix: the deploy role may manage only role/<prefix>-*.
		Name:             pulumi.String(b.args.NamePrefix + "-vpc-flow-logs"),
		Description:      pulumi.String("Lets VPC Flow Logs write to " + groupPrefix + "flow-logs"),
		AssumeRolePolicy: pulumi.String(trustJSON),
		Tags:             b.tags("flow-logs"),
	}, b.parent)
	if err != nil {
		return pulumi.StringOutput{}, b.wrap("flow log role", err)
	}
	policy := iampolicy.Render(group.Arn, func(arn string) iampolicy.Document {
		return iampolicy.New(iampolicy.Statement{
			Sid:      "WriteFlowLogs",
			Effect:   "Allow",
			Action:   iampolicy.List{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
			Resource: iampolicy.List{arn, arn + ":*"},
		})
	})
	rolePolicy, err := iam.NewRolePolicy(b.ctx, b.name+"-flow-logs-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, b.parent)
	if err != nil {
		return pulumi.StringOutput{}, b.wrap("flow log role policy", err)
	}
	if _, err := ec2.NewFlowLog(b.ctx, b.name+"-flow-log", &ec2.FlowLogArgs{
		VpcId:                  vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
		Tags:                   b.tags("flow-log"),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy})); err != nil {
		return pulumi.StringOutput{}, b.wrap("flow log", err)
	}
	return group.Name, nil
}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	errs := a.Common.Check()
	if a.WebPort <= 0 || a.BackendPort <= 0 || a.WebPort == a.BackendPort {
		errs = append(errs, fmt.Errorf("WebPort %d and BackendPort %d must be set and differ", a.WebPort, a.BackendPort))
	}
	return errs.Err()
}

func prefixes[T fmt.Stringer](ps []T) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func ids(subnets []*ec2.Subnet) pulumi.StringArrayOutput {
	arr := make(pulumi.StringArray, len(subnets))
	for i, s := range subnets {
		arr[i] = s.ID().ToStringOutput()
	}
	return arr.ToStringArrayOutput()
}
