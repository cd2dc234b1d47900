package controls

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"chessplatform/infra/infratest"
)

// Security groups of the network component, read as a graph of allowed flows and compared with
// the design's.

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

var defaultGroupEmpty = Control{
	Name: "defaultGroupEmpty",
	ID:   "EC2.2 default security group has no rules",
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
}

// onlyALBFromInternet: port 80 fails it even with the albHttpRedirect waiver; the waiver is then
// reported as one (config Waivers), never silently accepted.
var onlyALBFromInternet = Control{
	Name: "onlyALBFromInternet",
	ID:   "EC2.18 only the ALB accepts traffic from the internet, on 443 only",
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
}

var onePortPerRule = Control{
	Name: "onePortPerRule",
	ID:   "EC2.19 rules open one TCP port each",
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
}

var egressInDesign = Configured[NetworkParams]{
	Name: "egressInDesign",
	ID:   "CKV_AWS_382 egress only on the ports the design needs",
	Check: func(p NetworkParams, rec infratest.Recorded) error {
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
}

var groupsFormDesignGraph = Configured[NetworkParams]{
	Name: "groupsFormDesignGraph",
	ID:   "DESIGN.SG security groups form exactly the design's graph",
	Check: func(p NetworkParams, rec infratest.Recorded) error {
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
}

var groupsDescribed = Control{
	Name: "groupsDescribed",
	ID:   "CKV_AWS_23 every security group and rule has a description",
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
}

func sortEdges(es []Edge) []Edge {
	sort.Slice(es, func(i, j int) bool { return es[i].String() < es[j].String() })
	return es
}

// groupKey is the role of a security group, from its logical name "<component>-<key>-sg".
func groupKey(r infratest.Resource) string {
	n := strings.TrimSuffix(r.Name, "-sg")
	return n[strings.LastIndex(n, "-")+1:]
}

// groupNames maps group keys (alb, web, ...) to their ids.
func groupNames(rec infratest.Recorded) map[string]string {
	out := map[string]string{}
	for _, sg := range rec.ByType(TSecurityGroup) {
		out[groupKey(sg)] = sg.ID
	}
	return out
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
