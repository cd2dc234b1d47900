package controls

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"chessplatform/infra/infratest"
)

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

// Edge is one allowed flow between security groups: From may be "internet" (0.0.0.0/0).
type Edge struct {
	From, To string
	Port     int
}

func (e Edge) String() string { return fmt.Sprintf("%s -> %s :%d", e.From, e.To, e.Port) }

// Internet is the peer name of 0.0.0.0/0 in graphs.
const Internet = "internet"

// DesignGraph is the security-group graph of architecture.md, restated independently of the
// network code: internet -> ALB :443 (and :80 for the redirect); ALB -> web and backend ports;
// NLB -> backend port; web and backend -> RDS 5432 and Redis 6379; plus the tasks' HTTPS to the
// interface endpoints. Egress mirrors every ingress edge, and the tasks may also leave through
// NAT on 443 (ECR, @connections).
func DesignGraph(p NetworkParams) (ingress, egress []Edge) {
	ingress = []Edge{{Internet, "alb", 443}}
	if p.ALBHTTPRedirect {
		ingress = append(ingress, Edge{Internet, "alb", 80})
	}
	ingress = append(ingress,
		Edge{"alb", "web", p.WebPort}, Edge{"alb", "backend", p.BackendPort}, Edge{"nlb", "backend", p.BackendPort},
		Edge{"web", "rds", 5432}, Edge{"backend", "rds", 5432},
		Edge{"web", "redis", 6379}, Edge{"backend", "redis", 6379},
		Edge{"web", "endpoints", 443}, Edge{"backend", "endpoints", 443},
	)
	for _, e := range ingress {
		if e.From != Internet {
			egress = append(egress, e)
		}
	}
	egress = append(egress, Edge{"web", Internet, 443}, Edge{"backend", Internet, 443})
	return sortEdges(ingress), sortEdges(egress)
}

// Graph extracts the security-group graph from the recorded rule resources.
func Graph(rec infratest.Recorded) (ingress, egress []Edge, err error) {
	groups := map[string]string{}
	for _, sg := range rec.ByType(TSecurityGroup) {
		groups[sg.ID] = groupKey(sg)
	}
	var errs []error
	peer := func(r infratest.Resource) string {
		set := 0
		for _, k := range []string{"referencedSecurityGroupId", "cidrIpv4", "cidrIpv6", "prefixListId"} {
			if r.Has(k) {
				set++
			}
		}
		if set > 1 {
			errs = append(errs, fmt.Errorf("%s names %d peers, want 1", label(r), set))
		}
		if ref, ok := r.Str("referencedSecurityGroupId"); ok {
			if g, ok := groups[ref]; ok {
				return g
			}
			errs = append(errs, fmt.Errorf("%s references unknown group %s", label(r), ref))
			return "?"
		}
		if c, ok := r.Str("cidrIpv4"); ok {
			if c == "0.0.0.0/0" {
				return Internet
			}
			return c
		}
		for _, k := range []string{"cidrIpv6", "prefixListId"} {
			if v, ok := r.Str(k); ok {
				return v
			}
		}
		errs = append(errs, fmt.Errorf("%s has no peer", label(r)))
		return "?"
	}
	edge := func(r infratest.Resource, ingress bool) Edge {
		id, _ := r.Str("securityGroupId")
		self, ok := groups[id]
		if !ok {
			errs = append(errs, fmt.Errorf("%s belongs to unknown group %s", label(r), id))
		}
		from, to := peer(r), self
		if !ingress {
			from, to = self, peer(r)
		}
		port, _ := r.Int("fromPort")
		return Edge{from, to, port}
	}
	for _, r := range rec.ByType(TIngress) {
		ingress = append(ingress, edge(r, true))
	}
	for _, r := range rec.ByType(TEgress) {
		egress = append(egress, edge(r, false))
	}
	return sortEdges(ingress), sortEdges(egress), errors.Join(errs...)
}

func sortEdges(es []Edge) []Edge {
	sort.Slice(es, func(i, j int) bool { return es[i].String() < es[j].String() })
	return es
}

// Network lists the network controls.
func Network(p NetworkParams) []Control {
	return []Control{
		{
			ID: "EC2.6 VPC flow logs capture ALL traffic to CloudWatch Logs",
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
		},
		{
			ID: "EC2.2 default security group has no rules",
			Check: func(rec infratest.Recorded) error {
				vpcs := rec.ByType(TVpc)
				var errs []error
				for _, v := range vpcs {
					var found bool
					for _, d := range rec.ByType(TDefaultSG) {
						if id, _ := d.Str("vpcId"); id != v.ID {
							continue
						}
						found = true
						for _, k := range []string{"ingress", "egress"} {
							if !d.Has(k) {
								errs = append(errs, fmt.Errorf("%s: %s not set explicitly to []", label(d), k))
							} else if n := d.Len(k); n != 0 {
								errs = append(errs, fmt.Errorf("%s: %d %s rules, want 0", label(d), n, k))
							}
						}
					}
					if !found {
						errs = append(errs, fmt.Errorf("%s: default security group not adopted", label(v)))
					}
				}
				return errors.Join(errs...)
			},
			Props: []Prop{{TDefaultSG, "ingress", []any{map[string]any{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": true}}}, {TDefaultSG, "egress", nil}, {TDefaultSG, "vpcId", nil}},
		},
		{
			ID: "EC2.15 subnets do not assign public IPs",
			Check: func(rec infratest.Recorded) error {
				return each(rec, TSubnet, 3*p.AZCount, func(r infratest.Resource) error { return isBool(r, "mapPublicIpOnLaunch", false) })
			},
			Props: []Prop{{TSubnet, "mapPublicIpOnLaunch", true}},
		},
		{
			ID: "NET.1 one public, private and isolated subnet per AZ",
			Check: func(rec infratest.Recorded) error {
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
		},
		{
			ID: "NET.2 isolated subnets have no route out of the VPC",
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
		},
		{
			ID: "NET.3 private subnets reach the internet only through NAT",
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
		},
		{
			ID: "NAT.1 one NAT gateway per AZ",
			Check: func(rec infratest.Recorded) error {
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
		},
		{
			// Port 80 fails this control even with the albHttpRedirect waiver: the waiver is
			// then reported as one (config Waivers), never silently accepted.
			ID: "EC2.18 only the ALB accepts traffic from the internet, on 443 only",
			Check: func(rec infratest.Recorded) error {
				ingress, _, err := Graph(rec)
				if err != nil {
					return err
				}
				var errs []error
				for _, e := range ingress {
					if _, isGroup := groupNames(rec)[e.From]; isGroup {
						continue
					}
					if e.From != Internet || e.To != "alb" || e.Port != 443 {
						errs = append(errs, fmt.Errorf("ingress %s from outside the stack's groups", e))
					}
				}
				return errors.Join(errs...)
			},
			Props: []Prop{{TIngress, "fromPort", 22}},
		},
		{
			ID: "EC2.19 rules open one TCP port each",
			Check: func(rec infratest.Recorded) error {
				check := func(r infratest.Resource) error {
					from, ok1 := r.Int("fromPort")
					to, ok2 := r.Int("toPort")
					return errors.Join(isStr(r, "ipProtocol", "tcp"), func() error {
						if !ok1 || !ok2 || from != to || from <= 0 {
							return fmt.Errorf("port range %d-%d, want one explicit port", from, to)
						}
						return nil
					}())
				}
				return errors.Join(each(rec, TIngress, 1, check), each(rec, TEgress, 1, check))
			},
			Props: []Prop{{TIngress, "ipProtocol", "-1"}, {TEgress, "ipProtocol", "-1"}, {TIngress, "toPort", 65535}, {TEgress, "fromPort", nil}},
		},
		{
			ID: "CKV_AWS_382 egress only on the ports the design needs",
			Check: func(rec infratest.Recorded) error {
				_, egress, err := Graph(rec)
				if err != nil {
					return err
				}
				_, want := DesignGraph(p)
				var errs []error
				for _, e := range egress {
					if !slices.Contains(want, e) {
						errs = append(errs, fmt.Errorf("egress %s is not in the design", e))
					}
				}
				return errors.Join(errs...)
			},
			Props: []Prop{{TEgress, "referencedSecurityGroupId", nil}, {TEgress, "fromPort", 0}},
		},
		{
			ID: "DESIGN.SG security groups form exactly the design's graph",
			Check: func(rec infratest.Recorded) error {
				ingress, egress, err := Graph(rec)
				if err != nil {
					return err
				}
				wantIn, wantOut := DesignGraph(p)
				var errs []error
				if d := diff(wantIn, ingress); d != "" {
					errs = append(errs, fmt.Errorf("ingress graph differs from the design:\n%s", d))
				}
				if d := diff(wantOut, egress); d != "" {
					errs = append(errs, fmt.Errorf("egress graph differs from the design:\n%s", d))
				}
				return errors.Join(errs...)
			},
			Props: []Prop{{TIngress, "securityGroupId", nil}, {TIngress, "fromPort", 22}, {TEgress, "securityGroupId", nil}},
		},
		{
			ID: "CKV_AWS_23 every security group and rule has a description",
			Check: func(rec infratest.Recorded) error {
				desc := func(r infratest.Resource) error {
					d, err := nonEmpty(r, "description")
					if err == nil && d == "Managed by Pulumi" {
						return errors.New("description is the SDK default")
					}
					return err
				}
				return errors.Join(each(rec, TSecurityGroup, 1, desc), each(rec, TIngress, 1, desc), each(rec, TEgress, 1, desc))
			},
			Props: []Prop{{TSecurityGroup, "description", "Managed by Pulumi"}, {TIngress, "description", nil}, {TEgress, "description", ""}},
		},
		{
			ID: "EC2.55 interface endpoints for ECR, Logs and Secrets Manager with private DNS; S3 gateway",
			Check: func(rec infratest.Recorded) error {
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
		},
		{
			ID: "APIGW.PRIVDNS no execute-api endpoint with private DNS",
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
		},
	}
}

// groupNames maps group keys (alb, web, ...) to their ids.
func groupNames(rec infratest.Recorded) map[string]string {
	out := map[string]string{}
	for _, sg := range rec.ByType(TSecurityGroup) {
		out[groupKey(sg)] = sg.ID
	}
	return out
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

func hasID(rec infratest.Recorded, token, id string) bool {
	r, ok := rec.ByID(id)
	return ok && r.Type == token
}

// serviceSuffix is the service part of an endpoint service name "com.amazonaws.<region>.<svc>".
func serviceSuffix(service string) string {
	parts := strings.SplitN(service, ".", 4)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

func diff(want, got []Edge) string {
	var b strings.Builder
	for _, e := range want {
		if !slices.Contains(got, e) {
			fmt.Fprintf(&b, "  missing %s\n", e)
		}
	}
	for _, e := range got {
		if !slices.Contains(want, e) {
			fmt.Fprintf(&b, "  extra   %s\n", e)
		}
	}
	return b.String()
}
