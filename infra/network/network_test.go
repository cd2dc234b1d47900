package network_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
	"chessplatform/infra/network"
)

func args(a awsenv.Account, cfg *config.Config) *network.Args {
	return &network.Args{
		Common:           component.Common{Account: a, NamePrefix: cfg.Name(), LogRetentionDays: cfg.Logs.RetentionDays, KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays, Tags: cfg.Tags("network")},
		VPCCIDR:          cfg.Network.VPCCIDR,
		AZCount:          cfg.Network.AZCount,
		SingleNATGateway: cfg.Network.SingleNATGateway,
		ALBHTTPRedirect:  cfg.Network.ALBHTTPRedirect,
		WebPort:          cfg.Services.WebPort,
		BackendPort:      cfg.Services.BackendPort,
	}
}

func params(cfg *config.Config) controls.NetworkParams {
	return controls.NetworkParams{
		AZCount:          cfg.Network.AZCount,
		WebPort:          cfg.Services.WebPort,
		BackendPort:      cfg.Services.BackendPort,
		ALBHTTPRedirect:  cfg.Network.ALBHTTPRedirect,
		InterfaceEndpts:  controls.DefaultInterfaceEndpoints,
		GatewayEndpoints: controls.DefaultGatewayEndpoints,
	}
}

// build runs the network alone and returns the mocks and the component.
func build(t *testing.T, cfg *config.Config) (*infratest.Mocks, *network.Network) {
	t.Helper()
	var n *network.Network
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		n, err = network.New(ctx, "network", args(a, cfg))
		return err
	}, infratest.WithStack(cfg.Stack))
	return m, n
}

func networkControls(cfg *config.Config) []controls.Control {
	var cs []controls.Control
	cs = append(cs, controls.Network(params(cfg))...)
	cs = append(cs, controls.KMS()...)
	cs = append(cs, controls.Logs()...)
	cs = append(cs, controls.IAM()...)
	return append(cs, controls.Tags()...)
}

// TestNetworkSecurity enforces every network control on the default (production) settings.
func TestNetworkSecurity(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	m, _ := build(t, cfg)
	controls.Require(t, m, networkControls(cfg))
}

// TestNetworkControlsCanFail removes or corrupts each enforced property in a copy of the
// recorded resources and requires the matching control to fail.
func TestNetworkControlsCanFail(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	m, _ := build(t, cfg)
	controls.Breakable(t, m.Snapshot(), networkControls(cfg))
}

func TestSecurityGroupGraphMatchesDesign(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	m, _ := build(t, cfg)
	in, out, err := controls.Graph(m)
	require.NoError(t, err)
	wantIn, wantOut := controls.DesignGraph(params(cfg))
	assert.Equal(t, wantIn, in)
	assert.Equal(t, wantOut, out)
	for _, e := range in {
		t.Logf("ingress %s", e)
	}
	for _, e := range out {
		t.Logf("egress  %s", e)
	}
}

func TestNoHTTPRedirectClosesPort80(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	cfg.Network.ALBHTTPRedirect = false
	m, _ := build(t, cfg)
	in, _, err := controls.Graph(m)
	require.NoError(t, err)
	assert.NotContains(t, in, controls.Edge{From: controls.Internet, To: "alb", Port: 80})
	assert.Contains(t, in, controls.Edge{From: controls.Internet, To: "alb", Port: 443})
	controls.Require(t, m, controls.Network(params(cfg)))
}

func TestPortsComeFromConfig(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	cfg.Services.WebPort, cfg.Services.BackendPort = 3100, 9000
	m, _ := build(t, cfg)
	in, _, err := controls.Graph(m)
	require.NoError(t, err)
	assert.Contains(t, in, controls.Edge{From: "alb", To: "web", Port: 3100})
	assert.Contains(t, in, controls.Edge{From: "nlb", To: "backend", Port: 9000})
}

// TestSingleNATGateway: the dev waiver puts one NAT gateway in the first AZ and routes every
// private subnet through it; NAT.1 then fails, which is why dev lists it as a waiver.
func TestSingleNATGateway(t *testing.T) {
	cfg := config.Defaults(config.Project, "dev")
	cfg.Network.AZCount, cfg.Network.SingleNATGateway = 2, true
	m, _ := build(t, cfg)
	nats := m.ByType(controls.TNat)
	require.Len(t, nats, 1)
	for _, r := range m.ByType(controls.TRoute) {
		if r.Has("natGatewayId") {
			id, _ := r.Str("natGatewayId")
			assert.Equal(t, nats[0].ID, id)
		}
	}
	assert.Len(t, m.ByType(controls.TRoute), 3, "1 public default route + 2 private default routes")
	var natCtl controls.Control
	for _, c := range controls.Network(params(cfg)) {
		if c.ID == "NAT.1 one NAT gateway per AZ" {
			natCtl = c
		}
	}
	require.Error(t, natCtl.Check(m))
}

func TestSubnetLayoutAndOutputs(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	var vpcID string
	var public, private, isolated []string
	var sgs map[string]string
	var n *network.Network
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		n, err = network.New(ctx, "network", args(a, cfg))
		if err != nil {
			return err
		}
		if vpcID, err = infratest.Await[string](ctx, n.VPCID); err != nil {
			return err
		}
		if public, err = infratest.Await[[]string](ctx, n.PublicSubnetIDs); err != nil {
			return err
		}
		if private, err = infratest.Await[[]string](ctx, n.PrivateSubnetIDs); err != nil {
			return err
		}
		if isolated, err = infratest.Await[[]string](ctx, n.IsolatedSubnetIDs); err != nil {
			return err
		}
		sgs = map[string]string{}
		for k, o := range map[string]pulumi.StringOutput{"alb": n.SecurityGroups.ALB, "web": n.SecurityGroups.Web, "backend": n.SecurityGroups.Backend, "nlb": n.SecurityGroups.NLB, "rds": n.SecurityGroups.RDS, "redis": n.SecurityGroups.Redis, "endpoints": n.SecurityGroups.Endpoints} {
			if sgs[k], err = infratest.Await[string](ctx, o); err != nil {
				return err
			}
		}
		return nil
	}, infratest.WithStack("prod"))

	assert.Equal(t, m.One(t, controls.TVpc).ID, vpcID)
	assert.Equal(t, []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, n.AvailabilityZones)
	want := map[string][]string{"public": {"10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"}, "private": {"10.40.64.0/20", "10.40.80.0/20", "10.40.96.0/20"}, "isolated": {"10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"}}
	for tier, ids := range map[string][]string{"public": public, "private": private, "isolated": isolated} {
		require.Len(t, ids, 3, tier)
		for i, id := range ids {
			s, ok := m.ByID(id)
			require.True(t, ok, id)
			assert.Equal(t, tier, s.Tags()["Tier"])
			cidr, _ := s.Str("cidrBlock")
			assert.Equal(t, want[tier][i], cidr)
			az, _ := s.Str("availabilityZone")
			assert.Equal(t, n.AvailabilityZones[i], az)
		}
	}
	for key, id := range sgs {
		sg, ok := m.ByID(id)
		require.True(t, ok, key)
		assert.Equal(t, "network-"+key+"-sg", sg.Name)
		vpc, _ := sg.Str("vpcId")
		assert.Equal(t, vpcID, vpc, "%s group in the VPC", key)
	}
	for _, r := range m.Resources() {
		if r.Custom {
			assert.Equal(t, network.Type, r.ParentType(), "%s %s is a child of the component", r.Type, r.Name)
		}
	}
}

func TestRegionWithTooFewAZs(t *testing.T) {
	m := infratest.NewMocks()
	m.AZs = []string{"eu-west-1a", "eu-west-1b"}
	cfg := config.Defaults(config.Project, "prod") // 3 AZs
	err := m.RunErr(func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		_, err = network.New(ctx, "network", args(a, cfg))
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has 2 usable AZs, 3 requested")
	assert.Empty(t, m.Resources(), "nothing is created")
}

func TestArgsValidation(t *testing.T) {
	cases := map[string]func(*network.Args){
		"no account":       func(a *network.Args) { a.Account = awsenv.Account{} },
		"no name prefix":   func(a *network.Args) { a.NamePrefix = "" },
		"bad CIDR":         func(a *network.Args) { a.VPCCIDR = "10.0.0.0/28" },
		"one AZ":           func(a *network.Args) { a.AZCount = 1 },
		"same ports":       func(a *network.Args) { a.BackendPort = a.WebPort },
		"no log retention": func(a *network.Args) { a.LogRetentionDays = 0 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				a, err := awsenv.Lookup(ctx)
				if err != nil {
					return err
				}
				args := args(a, config.Defaults(config.Project, "test"))
				mutate(args)
				_, err = network.New(ctx, "network", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "network network:")
			assert.Empty(t, m.Resources())
		})
	}
}
