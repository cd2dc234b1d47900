// Package netplan does the VPC address arithmetic: it validates the VPC CIDR and carves it into
// public, private (app) and isolated (data) subnets, one of each per availability zone.
// It is pure Go so the layout can be tested without Pulumi.
package netplan

import (
	"fmt"
	"net/netip"
)

const (
	// MinPrefixLen is the largest VPC allowed (/16 is also AWS's maximum VPC size).
	MinPrefixLen = 16
	// MaxPrefixLen is the smallest VPC allowed: a /20 still gives /24 subnets (251 usable
	// addresses), enough for Fargate tasks and interface endpoints in one AZ.
	MaxPrefixLen = 20
	// MinAZs and MaxAZs bound the number of availability zones the network spans.
	MinAZs = 2
	MaxAZs = 3

	// subnetBits splits the VPC into 16 equal blocks; each subnet takes one block.
	subnetBits = 4
	// Block offsets per tier: tier t, AZ i uses block t*4+i. Blocks 3, 7, 11 and 12-15 stay free
	// for a fourth AZ or new tiers without renumbering existing subnets.
	publicBase   = 0
	privateBase  = 4
	isolatedBase = 8
)

// privateRanges are the RFC 1918 ranges a VPC CIDR must fall in.
var privateRanges = [...]netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// ParseVPC validates a VPC CIDR: IPv4, no host bits set, inside an RFC 1918 range, and a
// prefix length between MinPrefixLen and MaxPrefixLen.
func ParseVPC(cidr string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not a CIDR block (want a.b.c.d/n): %w", err)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%s is not IPv4", cidr)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%s has host bits set (did you mean %s?)", cidr, p.Masked())
	}
	if p.Bits() < MinPrefixLen || p.Bits() > MaxPrefixLen {
		return netip.Prefix{}, fmt.Errorf("prefix /%d is out of range: allowed /%d to /%d", p.Bits(), MinPrefixLen, MaxPrefixLen)
	}
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("%s is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", cidr)
}

// Plan is the subnet layout of one VPC; index i of each tier is in the i-th AZ.
type Plan struct {
	VPC      netip.Prefix
	Public   []netip.Prefix
	Private  []netip.Prefix
	Isolated []netip.Prefix
}

// Layout carves the VPC into one public, private and isolated subnet per AZ.
func Layout(cidr string, azCount int) (Plan, error) {
	vpc, err := ParseVPC(cidr)
	if err != nil {
		return Plan{}, err
	}
	if azCount < MinAZs || azCount > MaxAZs {
		return Plan{}, fmt.Errorf("AZ count %d out of range: allowed %d to %d", azCount, MinAZs, MaxAZs)
	}
	plan := Plan{VPC: vpc}
	for i := 0; i < azCount; i++ {
		plan.Public = append(plan.Public, block(vpc, publicBase+i))
		plan.Private = append(plan.Private, block(vpc, privateBase+i))
		plan.Isolated = append(plan.Isolated, block(vpc, isolatedBase+i))
	}
	return plan, nil
}

// block returns the n-th of the 2^subnetBits equal sub-blocks of vpc.
func block(vpc netip.Prefix, n int) netip.Prefix {
	bits := vpc.Bits() + subnetBits
	size := uint32(1) << (32 - bits)
	a := vpc.Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v := base + uint32(n)*size
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
}
