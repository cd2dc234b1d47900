package netplan

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLayoutThreeAZs(t *testing.T) {
	p, err := Layout("10.40.0.0/16", 3)
	require.NoError(t, err)
	strs := func(ps []netip.Prefix) []string {
		out := make([]string, len(ps))
		for i, x := range ps {
			out[i] = x.String()
		}
		return out
	}
	assert.Equal(t, []string{"10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"}, strs(p.Public))
	assert.Equal(t, []string{"10.40.64.0/20", "10.40.80.0/20", "10.40.96.0/20"}, strs(p.Private))
	assert.Equal(t, []string{"10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"}, strs(p.Isolated))
}

func TestLayoutSubnetsInsideVPCAndDisjoint(t *testing.T) {
	for _, cidr := range []string{"10.0.0.0/16", "172.20.0.0/18", "192.168.16.0/20"} {
		for az := MinAZs; az <= MaxAZs; az++ {
			p, err := Layout(cidr, az)
			require.NoError(t, err, cidr)
			all := append(append(append([]netip.Prefix{}, p.Public...), p.Private...), p.Isolated...)
			require.Len(t, all, 3*az)
			for i, a := range all {
				assert.Equal(t, p.VPC.Bits()+subnetBits, a.Bits(), "%s subnet %s size", cidr, a)
				assert.True(t, p.VPC.Contains(a.Addr()), "%s outside %s", a, cidr)
				for _, b := range all[i+1:] {
					assert.False(t, a.Overlaps(b), "%s overlaps %s", a, b)
				}
			}
		}
	}
}

func TestLayoutSmallestVPC(t *testing.T) {
	p, err := Layout("192.168.16.0/20", 2)
	require.NoError(t, err)
	assert.Equal(t, "192.168.16.0/24", p.Public[0].String())
	assert.Equal(t, "192.168.25.0/24", p.Isolated[1].String())
}

func TestLayoutRejects(t *testing.T) {
	cases := []struct {
		name, cidr string
		azs        int
		want       string
	}{
		{"garbage", "10.40.0.0", 2, "not a CIDR"},
		{"ipv6", "fd00::/56", 2, "not IPv4"},
		{"host bits", "10.40.1.0/16", 2, "host bits"},
		{"too big", "10.0.0.0/8", 2, "/8 is out of range"},
		{"too small", "10.40.0.0/24", 2, "/24 is out of range"},
		{"public range", "8.8.0.0/16", 2, "not inside a private range"},
		{"straddles 172.16/12", "172.0.0.0/16", 2, "not inside a private range"},
		{"one AZ", "10.40.0.0/16", 1, "AZ count 1"},
		{"four AZs", "10.40.0.0/16", 4, "AZ count 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Layout(c.cidr, c.azs)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), c.want), "error %q lacks %q", err, c.want)
		})
	}
}
