package controls

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"chessplatform/infra/infratest"
)

// The VPC of the network component: flow logs, subnets, routes, NAT gateways and endpoints. Its
// security groups are in securitygroups.go.

// NetworkParams are the configured values the network controls compare against.
type NetworkParams struct {
	AZCount          int
	WebPort          int
	BackendPort      int
	ALBHTTPRedirect  bool
	InterfaceEndpts  []string // service suffixes, e.g. "ecr.api"
	GatewayEndpoints []string // e.g. "s3"
}

// DefaultEndpoints are the endpoint services the design asks for.
var (
	DefaultInterfaceEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"}
	DefaultGatewayEndpoints   = []string{"s3"}
)

// Network lists the network controls.
func Network(p NetworkParams) []Control {
	return named(
		flowLogsCaptureAll,
		defaultGroupEmpty,
		subnetsNoPublicIP.For(p),
		subnetTierPerAZ.For(p),
		isolatedSubnetsNoRoutes,
		privateSubnetsViaNAT,
		natPerAZ.For(p),
		onlyALBFromInternet,
		onePortPerRule,
		egressInDesign.For(p),
		groupsFormDesignGraph.For(p),
		groupsDescribed,
		interfaceEndpoints.For(p),
		noExecuteAPIPrivateDNS,
	)
}

var flowLogsCaptureAll = Control{
	Name: "flowLogsCaptureAll",
	ID:   "EC2.6 VPC flow logs capture ALL traffic to CloudWatch Logs",
	Check: func(rec infratest.Recorded) error {
		vpcs := rec.ByType(TVpc)
		if len(vpcs) == 0 {
			return errors.New("no VPC recorded")
		}
		var errs []error
		for _, v := range vpcs {
			var logs []infratest.Resource
			for _, f := range rec.ByType(TFlowLog) {
				if id, _ := f.Str("vpcId"); id == v.ID {
					logs = append(logs, f)
				}
			}
			if len(logs) != 1 {
				errs = append(errs, fmt.Errorf("%s has %d flow logs, want 1", label(v), len(logs)))
				continue
			}
			f := logs[0]
			errs = append(errs, isStr(f, "trafficType", "ALL"), isStr(f, "logDestinationType", "cloud-watch-logs"))
			dest, err := nonEmpty(f, "logDestination")
			errs = append(errs, err)
			if err == nil && len(infratest.ByOutput(rec, TLogGroup, "arn", dest)) != 1 {
				errs = append(errs, fmt.Errorf("%s: logDestination %s is not a log group of the stack", label(f), dest))
			}
			_, err = nonEmpty(f, "iamRoleArn")
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TFlowLog, "trafficType", "REJECT"}, {TFlowLog, "vpcId", nil}, {TFlowLog, "logDestination", nil}},
}

var subnetsNoPublicIP = Configured[NetworkParams]{
	Name: "subnetsNoPublicIP",
	ID:   "EC2.15 subnets do not assign public IPs",
	Check: func(p NetworkParams, rec infratest.Recorded) error {
		return each(rec, TSubnet, 3*p.AZCount, func(r infratest.Resource) error { return isBool(r, "mapPublicIpOnLaunch", false) })
	},
	Props: []Prop{{TSubnet, "mapPublicIpOnLaunch", true}},
}

var subnetTierPerAZ = Configured[NetworkParams]{
	Name: "subnetTierPerAZ",
	ID:   "NET.1 one public, private and isolated subnet per AZ",
	Check: func(p NetworkParams, rec infratest.Recorded) error {
		azs := map[string]map[string]int{}
		for _, s := range rec.ByType(TSubnet) {
			tier := s.Tags()["Tier"]
			az, _ := s.Str("availabilityZone")
			if azs[tier] == nil {
				azs[tier] = map[string]int{}
			}
			azs[tier][az]++
		}
		var errs []error
		for _, tier := range []string{"public", "private", "isolated"} {
			if len(azs[tier]) != p.AZCount {
				errs = append(errs, fmt.Errorf("%s subnets span %d AZs, want %d", tier, len(azs[tier]), p.AZCount))
			}
			for az, n := range azs[tier] {
				if n != 1 || az == "" {
					errs = append(errs, fmt.Errorf("%s tier has %d subnets in AZ %q, want 1", tier, n, az))
				}
			}
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TSubnet, "availabilityZone", nil}, {TSubnet, "tags", nil}},
}

var isolatedSubnetsNoRoutes = Control{
	Name: "isolatedSubnetsNoRoutes",
	ID:   "NET.2 isolated subnets have no route out of the VPC",
	Check: func(rec infratest.Recorded) error {
		tables, err := tablesOf(rec, "isolated")
		if err != nil {
			return err
		}
		var errs []error
		for _, rt := range tables {
			for _, r := range routesOf(rec, rt) {
				errs = append(errs, fmt.Errorf("%s: isolated route table %s has a route", label(r), rt))
			}
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TRouteAssoc, "subnetId", nil}},
}

var privateSubnetsViaNAT = Control{
	Name: "privateSubnetsViaNAT",
	ID:   "NET.3 private subnets reach the internet only through NAT",
	Check: func(rec infratest.Recorded) error {
		tables, err := tablesOf(rec, "private")
		if err != nil {
			return err
		}
		var errs []error
		for _, rt := range tables {
			routes := routesOf(rec, rt)
			if len(routes) != 1 {
				errs = append(errs, fmt.Errorf("private route table %s has %d routes, want one default route via NAT", rt, len(routes)))
				continue
			}
			r := routes[0]
			errs = append(errs, isStr(r, "destinationCidrBlock", "0.0.0.0/0"))
			if nat, ok := r.Str("natGatewayId"); !ok || !hasID(rec, TNat, nat) {
				errs = append(errs, fmt.Errorf("%s: default route does not target a NAT gateway of the stack", label(r)))
			}
			if r.Has("gatewayId") {
				errs = append(errs, fmt.Errorf("%s: private route through an internet gateway", label(r)))
			}
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TRoute, "natGatewayId", nil}},
}

var natPerAZ = Configured[NetworkParams]{
	Name: "natPerAZ",
	ID:   "NAT.1 one NAT gateway per AZ",
	Check: func(p NetworkParams, rec infratest.Recorded) error {
		nats := rec.ByType(TNat)
		azs := map[string]bool{}
		for _, n := range nats {
			sn, _ := n.Str("subnetId")
			s, ok := rec.ByID(sn)
			if !ok || s.Tags()["Tier"] != "public" {
				return fmt.Errorf("%s is not in a public subnet of the stack", label(n))
			}
			az, _ := s.Str("availabilityZone")
			azs[az] = true
		}
		if len(nats) != p.AZCount || len(azs) != p.AZCount {
			return fmt.Errorf("%d NAT gateways in %d AZs, want one in each of %d AZs", len(nats), len(azs), p.AZCount)
		}
		return nil
	},
	Props: []Prop{{TNat, "subnetId", nil}},
}

var interfaceEndpoints = Configured[NetworkParams]{
	Name: "interfaceEndpoints",
	ID:   "EC2.55 interface endpoints for ECR, Logs and Secrets Manager with private DNS; S3 gateway",
	Check: func(p NetworkParams, rec infratest.Recorded) error {
		private := subnetIDsByTier(rec)["private"]
		byService := map[string]infratest.Resource{}
		for _, e := range rec.ByType(TEndpoint) {
			svc, _ := e.Str("serviceName")
			byService[serviceSuffix(svc)] = e
		}
		var errs []error
		for _, svc := range p.InterfaceEndpts {
			e, ok := byService[svc]
			if !ok {
				errs = append(errs, fmt.Errorf("no interface endpoint for %s", svc))
				continue
			}
			errs = append(errs, isStr(e, "vpcEndpointType", "Interface"), isBool(e, "privateDnsEnabled", true))
			subnets := e.Strings("subnetIds")
			sort.Strings(subnets)
			want := append([]string(nil), private...)
			sort.Strings(want)
			if !slices.Equal(subnets, want) {
				errs = append(errs, fmt.Errorf("%s endpoint subnets %v, want the private subnets %v", svc, subnets, want))
			}
			if sgs := e.Strings("securityGroupIds"); len(sgs) != 1 || groupNames(rec)["endpoints"] != sgs[0] {
				errs = append(errs, fmt.Errorf("%s endpoint security groups %v, want only the endpoints group", svc, sgs))
			}
		}
		for _, svc := range p.GatewayEndpoints {
			e, ok := byService[svc]
			if !ok {
				errs = append(errs, fmt.Errorf("no gateway endpoint for %s", svc))
				continue
			}
			errs = append(errs, isStr(e, "vpcEndpointType", "Gateway"))
			if n := len(e.Strings("routeTableIds")); n != p.AZCount {
				errs = append(errs, fmt.Errorf("%s gateway endpoint on %d route tables, want the %d private ones", svc, n, p.AZCount))
			}
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TEndpoint, "privateDnsEnabled", false}, {TEndpoint, "serviceName", nil}, {TEndpoint, "subnetIds", nil}},
}

var noExecuteAPIPrivateDNS = Control{
	Name: "noExecuteAPIPrivateDNS",
	ID:   "APIGW.PRIVDNS no execute-api endpoint with private DNS",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TEndpoint, 0, func(e infratest.Resource) error {
			svc, err := nonEmpty(e, "serviceName")
			if err != nil {
				return err
			}
			if dns, _ := e.Bool("privateDnsEnabled"); strings.HasSuffix(svc, ".execute-api") && dns {
				return errors.New("execute-api endpoint with private DNS breaks @connections (403)")
			}
			return nil
		})
	},
	Props: []Prop{{TEndpoint, "serviceName", "com.amazonaws.eu-west-1.execute-api"}},
}

// tablesOf returns the ids of the route tables associated with subnets of a tier; every subnet
// of the tier must have exactly one association.
func tablesOf(rec infratest.Recorded, tier string) ([]string, error) {
	subnets := subnetIDsByTier(rec)[tier]
	if len(subnets) == 0 {
		return nil, fmt.Errorf("no %s subnets", tier)
	}
	var tables []string
	var errs []error
	for _, sn := range subnets {
		var found []string
		for _, a := range rec.ByType(TRouteAssoc) {
			if id, _ := a.Str("subnetId"); id == sn {
				rt, _ := a.Str("routeTableId")
				found = append(found, rt)
			}
		}
		if len(found) != 1 {
			errs = append(errs, fmt.Errorf("%s subnet %s has %d route table associations, want 1", tier, sn, len(found)))
			continue
		}
		if !slices.Contains(tables, found[0]) {
			tables = append(tables, found[0])
		}
	}
	return tables, errors.Join(errs...)
}

func routesOf(rec infratest.Recorded, table string) []infratest.Resource {
	var out []infratest.Resource
	for _, r := range rec.ByType(TRoute) {
		if id, _ := r.Str("routeTableId"); id == table {
			out = append(out, r)
		}
	}
	return out
}

// serviceSuffix is the service part of an endpoint service name "com.amazonaws.<region>.<svc>".
func serviceSuffix(service string) string {
	parts := strings.SplitN(service, ".", 4)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}
