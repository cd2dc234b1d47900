package stack_test

import (
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
	"chessplatform/infra/stack"
)

// program is main.go's body: load config, build, export.
func program(s **stack.Stack, c **config.Config) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		st, err := stack.Build(ctx, cfg)
		if err != nil {
			return err
		}
		st.Export(ctx)
		if s != nil {
			*s = st
		}
		if c != nil {
			*c = cfg
		}
		return nil
	}
}

// deploy runs the program with the committed Pulumi.<name>.yaml settings.
func deploy(t *testing.T, name string, opts ...pulumi.RunOption) (*infratest.Mocks, *config.Config) {
	t.Helper()
	var cfg *config.Config
	m := infratest.NewMocks()
	m.Run(t, program(nil, &cfg), append([]pulumi.RunOption{infratest.WithStack(name), infratest.WithConfig(infratest.StackConfig(t, name))}, opts...)...)
	return m, cfg
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

// devWaivers are the controls Pulumi.dev.yaml relaxes for cost, and nothing else. Each one is a
// named config value (config tag `waives`); prod waives none.
var devWaivers = []string{
	"NAT.1 one NAT gateway per AZ",
	"RDS.5 Multi-AZ",
	"RDS.8 deletion protection",
	"CKV_AWS_293 final snapshot",
	"ElastiCache.3 Multi-AZ with automatic failover",
	"ElastiCache.3 at least 2 nodes",
	"CKV_AWS_338 log retention at least 365 days",
	"ELB.6 ALB deletion protection",
}

// TestFoundationSecurity runs every foundation control against the dev and prod stacks. prod
// must pass all of them. dev must pass all but its listed waivers, and each listed waiver must
// really be in effect (the control fails on dev) and be switched on by a config value.
func TestFoundationSecurity(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, cfg := deploy(t, name)
			var waived []string
			if name == "dev" {
				waived = devWaivers
			}
			var fromConfig []string
			for _, w := range cfg.Waivers() {
				fromConfig = append(fromConfig, w.Control)
			}
			assert.ElementsMatch(t, waived, fromConfig, "the waivers switched on by Pulumi.%s.yaml", name)

			for _, c := range controls.Foundation(params(cfg)) {
				t.Run(c.ID, func(t *testing.T) {
					err := c.Check(m)
					for _, w := range waived {
						if w == c.ID {
							require.Error(t, err, "listed as a %s waiver but not in effect", name)
							t.Logf("WAIVED in %s: %v", name, err)
							return
						}
					}
					require.NoError(t, err)
				})
			}
		})
	}
}

// TestFoundationControlsCanFail proves every foundation control fails when one of the
// properties it enforces is removed or set insecurely in the prod stack.
func TestFoundationControlsCanFail(t *testing.T) {
	m, cfg := deploy(t, "prod")
	controls.Breakable(t, m.Snapshot(), controls.Foundation(params(cfg)))
}

// TestFoundationResourceCounts lists the foundation's resources by type for dev and prod.
func TestFoundationResourceCounts(t *testing.T) {
	want := map[string]map[string]int{
		"dev": {
			controls.TVpc: 1, controls.TSubnet: 6, controls.TNat: 1, "aws:ec2/eip:Eip": 1, controls.TRouteTable: 4, controls.TRoute: 3,
			controls.TRouteAssoc: 6, controls.TSecurityGroup: 7, controls.TIngress: 11, controls.TEgress: 11, controls.TEndpoint: 5,
			controls.TKMSKey: 3, "aws:kms/alias:Alias": 3, controls.TLogGroup: 5, controls.TRole: 2, controls.TRDSInstance: 1,
			controls.TCacheGroup: 1, controls.TSecret: 1, controls.TSecretVersion: 1,
		},
		"prod": {
			controls.TVpc: 1, controls.TSubnet: 9, controls.TNat: 3, "aws:ec2/eip:Eip": 3, controls.TRouteTable: 5, controls.TRoute: 4,
			controls.TRouteAssoc: 9, controls.TSecurityGroup: 7, controls.TIngress: 11, controls.TEgress: 11, controls.TEndpoint: 5,
			controls.TKMSKey: 3, "aws:kms/alias:Alias": 3, controls.TLogGroup: 5, controls.TRole: 2, controls.TRDSInstance: 1,
			controls.TCacheGroup: 1, controls.TSecret: 1, controls.TSecretVersion: 1,
		},
	}
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, _ := deploy(t, name)
			counts := m.CountByType()
			t.Logf("%s foundation resources by type:\n%s", name, infratest.CountTable(counts))
			for typ, n := range want[name] {
				assert.Equal(t, n, counts[typ], typ)
			}
			var components []string
			for _, r := range m.Resources() {
				if !r.Custom {
					components = append(components, r.Type)
				}
			}
			sort.Strings(components)
			assert.Equal(t, []string{"chess:elasticache:Cache", "chess:network:Network", "chess:rds:Database"}, components)
		})
	}
}

func TestSecurityGroupGraph(t *testing.T) {
	m, cfg := deploy(t, "prod")
	in, out, err := controls.Graph(m)
	require.NoError(t, err)
	wantIn, wantOut := controls.DesignGraph(params(cfg))
	assert.Equal(t, wantIn, in)
	assert.Equal(t, wantOut, out)
	for _, e := range in {
		t.Logf("ingress %s", e)
	}
}

// TestWiring checks cross-component wiring through awaited outputs.
func TestWiring(t *testing.T) {
	var s *stack.Stack
	m := infratest.NewMocks()
	got := map[string]any{}
	m.Run(t, func(ctx *pulumi.Context) error {
		if err := program(&s, nil)(ctx); err != nil {
			return err
		}
		for name, in := range s.Outputs() {
			r, err := infratest.AwaitResult[any](ctx, pulumi.ToOutput(in))
			if err != nil {
				return err
			}
			if r.Secret {
				got[name] = "SECRET"
				continue
			}
			got[name] = r.Value
		}
		return nil
	}, infratest.WithStack("prod"), infratest.WithConfig(infratest.StackConfig(t, "prod")))

	db := m.One(t, controls.TRDSInstance)
	group := m.One(t, controls.TRDSSubnetGroup)
	assert.ElementsMatch(t, got["isolatedSubnetIds"], toAny(group.Strings("subnetIds")), "the database lives in the isolated subnets")
	cache := m.One(t, controls.TCacheGroup)
	cacheGroup := m.One(t, controls.TCacheSubnetGroup)
	assert.ElementsMatch(t, got["isolatedSubnetIds"], toAny(cacheGroup.Strings("subnetIds")))

	sgs := map[string]string{}
	for _, sg := range m.ByType(controls.TSecurityGroup) {
		sgs[sg.Name] = sg.ID
		vpc, _ := sg.Str("vpcId")
		assert.Equal(t, got["vpcId"], vpc)
	}
	assert.Equal(t, []string{sgs["network-rds-sg"]}, db.Strings("vpcSecurityGroupIds"))
	assert.Equal(t, []string{sgs["network-redis-sg"]}, cache.Strings("securityGroupIds"))
	assert.Equal(t, sgs["network-alb-sg"], got["albSecurityGroupId"])
	assert.Equal(t, sgs["network-nlb-sg"], got["nlbSecurityGroupId"])

	addr, _ := db.Output("address")
	assert.Equal(t, addr.StringValue(), got["dbEndpoint"])
	assert.Equal(t, 5432, got["dbPort"])
	assert.Equal(t, 6379, got["redisPort"])
	secret := m.One(t, controls.TSecret)
	assert.Equal(t, secret.ID, got["redisAuthSecretArn"])
	assert.Regexp(t, `^arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-`, got["dbSecretArn"])
	for name, v := range got {
		assert.NotEqual(t, "SECRET", v, "output %s is secret: no secret value is exported", name)
	}
	assert.Len(t, got, 18)
}

// TestInvalidConfigCreatesNothing: a bad value stops the program before any resource exists.
func TestInvalidConfigCreatesNothing(t *testing.T) {
	cfg := infratest.StackConfig(t, "dev")
	cfg[config.Project+":azCount"] = "1"
	cfg[config.Project+":webMemory"] = "4096"
	m, err := infratest.RunErr(program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chess-platform:azCount")
	assert.Contains(t, err.Error(), "chess-platform:webMemory")
	assert.Empty(t, m.Resources())
	assert.Empty(t, m.Calls(), "not even a lookup runs")
}

// TestPreview: the program also runs under a simulated preview.
func TestPreview(t *testing.T) {
	m, _ := deploy(t, "prod", infratest.DryRun())
	assert.NotEmpty(t, m.ByType(controls.TRDSInstance))
}

func TestBuildRejectsInvalidConfig(t *testing.T) {
	_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		c := config.Defaults(config.Project, "test")
		c.Network.AZCount = 4
		_, err := stack.Build(ctx, c)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chess-platform:azCount")
	_, err = infratest.RunErr(func(ctx *pulumi.Context) error {
		_, err := stack.Build(ctx, nil)
		return err
	})
	require.Error(t, err)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
