package stack_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
	"chessplatform/infra/stack"
)

// deployWith is deploy with extra config values over the deployed configuration.
func deployWith(t *testing.T, name string, extra map[string]string) (*infratest.Mocks, error) {
	t.Helper()
	cfg := deployed(t, name)
	for k, v := range extra {
		cfg[config.Project+":"+k] = v
	}
	m := infratest.NewMocks()
	return m, m.RunErr(program(nil, nil), infratest.WithStack(name), infratest.WithConfig(cfg))
}

// TestIAMRolesNamedUnderStackPrefix: every IAM role has an explicit name under the stack's
// prefix, so the deploy role's IAM scope (role/chess-platform-*, docs/ci.md) covers all of them,
// within IAM's 64-character limit.
func TestIAMRolesNamedUnderStackPrefix(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, cfg := deploy(t, name)
			roles := m.ByType(controls.TRole)
			require.NotEmpty(t, roles)
			names := map[string]bool{}
			for _, r := range roles {
				n, ok := r.Str("name")
				if !assert.True(t, ok, "role %s has no explicit name (IAM would generate one outside the deploy role's scope)", r.Name) {
					continue
				}
				assert.True(t, strings.HasPrefix(n, cfg.Name()+"-"), "role %s name %q is not under %s-", r.Name, n, cfg.Name())
				assert.True(t, strings.HasPrefix(n, config.Project+"-"), "role %q is outside role/%s-*", n, config.Project)
				assert.LessOrEqual(t, len(n), 64, n)
				assert.False(t, names[n], "role name %q used twice", n)
				names[n] = true
			}
			for _, want := range []string{"-vpc-flow-logs", "-rds-monitoring", "-apigw-cloudwatch"} {
				assert.True(t, names[cfg.Name()+want], "%s%s (formerly a generated name)", cfg.Name(), want)
			}
		})
	}
}

// TestAPIGatewayAccountOwnership: exactly the stack named by apiGatewayAccountOwner sets the
// account's API Gateway CloudWatch role; another stack in the same account leaves it alone;
// none leaves it to the account; a bad value is refused with the key and the allowed values
// before anything is created.
func TestAPIGatewayAccountOwnership(t *testing.T) {
	owned := func(t *testing.T, m *infratest.Mocks, prefix string) {
		t.Helper()
		acct := m.One(t, controls.TApiAccount)
		reset, ok := acct.Bool("resetOnDelete")
		assert.True(t, ok && reset, "destroying the owner resets the account setting")
		roleArn, _ := acct.Str("cloudwatchRoleArn")
		roles := infratest.ByOutput(m, controls.TRole, "arn", roleArn)
		require.Len(t, roles, 1)
		n, _ := roles[0].Str("name")
		assert.Equal(t, prefix+"-apigw-cloudwatch", n)
	}
	notOwned := func(t *testing.T, m *infratest.Mocks) {
		t.Helper()
		assert.Empty(t, m.ByType(controls.TApiAccount))
		for _, r := range m.ByType(controls.TRole) {
			n, _ := r.Str("name")
			assert.NotContains(t, n, "apigw-cloudwatch")
		}
		assert.NotEmpty(t, m.ByType(controls.TStage), "the stage is still created")
	}

	// Committed files: separate accounts, each stack owns its own.
	for _, name := range []string{"dev", "prod"} {
		t.Run(name+" committed", func(t *testing.T) {
			assert.Equal(t, name, infratest.StackConfig(t, name)[config.Project+":apiGatewayAccountOwner"])
			m, _ := deploy(t, name)
			owned(t, m, config.Project+"-"+name)
		})
	}
	t.Run("shared account: prod owns it", func(t *testing.T) {
		m, err := deployWith(t, "dev", map[string]string{"apiGatewayAccountOwner": "prod"})
		require.NoError(t, err)
		notOwned(t, m)
		m, err = deployWith(t, "prod", map[string]string{"apiGatewayAccountOwner": "prod"})
		require.NoError(t, err)
		owned(t, m, config.Project+"-prod")
	})
	t.Run("none", func(t *testing.T) {
		m, err := deployWith(t, "prod", map[string]string{"apiGatewayAccountOwner": "none"})
		require.NoError(t, err)
		notOwned(t, m)
	})
	t.Run("default is prod", func(t *testing.T) {
		assert.Equal(t, "prod", config.Defaults(config.Project, "dev").Gateway.AccountOwner)
	})
	for _, bad := range []string{"", "dev prod", "prod/eu"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			m, err := deployWith(t, "dev", map[string]string{"apiGatewayAccountOwner": bad})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "chess-platform:apiGatewayAccountOwner")
			assert.Contains(t, err.Error(), "allowed: the name of the one stack")
			assert.Contains(t, err.Error(), "or none")
			assert.Empty(t, m.Resources(), "nothing is created")
		})
	}
}

// TestProdProtectsStatefulResources: in prod (protectStatefulResources) the database, the cache,
// every KMS key and every bucket survive `pulumi destroy` (protect or retainOnDelete); in dev
// nothing is protected or retained, so the stack stays destroyable. In both, resources with a
// fixed physical name that a change replaces are deleted before their replacement. In up and
// preview mode.
func TestProdProtectsStatefulResources(t *testing.T) {
	protected := []string{stack.TypeDBInstance, stack.TypeReplicationGroup, stack.TypeKMSKey}
	retained := []string{stack.TypeBucket}
	for _, name := range []string{"dev", "prod"} {
		for _, preview := range []bool{false, true} {
			mode := map[bool]string{false: "up", true: "preview"}[preview]
			t.Run(name+" "+mode, func(t *testing.T) {
				var m *infratest.Mocks
				if preview {
					m, _ = deploy(t, name, infratest.DryRun())
				} else {
					m, _ = deploy(t, name)
				}
				prod := name == "prod"
				counts := map[string]int{}
				for _, r := range m.Resources() {
					counts[r.Type]++
					isProtected, isRetained := contains(protected, r.Type), contains(retained, r.Type)
					assert.Equal(t, prod && isProtected, r.Protect, "%s %s protect", r.Type, r.Name)
					assert.Equal(t, prod && isRetained, r.RetainOnDelete, "%s %s retainOnDelete", r.Type, r.Name)
					if contains(stack.StackLifecycle(prod).DeleteBeforeReplace, r.Type) {
						assert.Equal(t, hasPhysicalName(r), r.DeleteBeforeReplace, "%s %s deleteBeforeReplace exactly when it has a fixed name", r.Type, r.Name)
						if r.Type != controls.TFunction {
							assert.True(t, r.DeleteBeforeReplace, "%s %s: the stack names every one", r.Type, r.Name)
						}
					} else if r.Custom {
						assert.False(t, r.DeleteBeforeReplace, "%s %s", r.Type, r.Name)
					}
				}
				assert.Equal(t, 1, counts[stack.TypeDBInstance])
				assert.Equal(t, 1, counts[stack.TypeReplicationGroup])
				assert.GreaterOrEqual(t, counts[stack.TypeKMSKey], 5, "the keys of every component")
				assert.GreaterOrEqual(t, counts[stack.TypeBucket], 3, "ALB logs, trail, CDN buckets")
				assert.Equal(t, 2, counts[stack.TypeECSService])
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// hasPhysicalName: the resource sets its AWS name itself.
func hasPhysicalName(r infratest.Resource) bool {
	for _, k := range []string{"name", "identifier", "replicationGroupId", "bucket"} {
		if v, ok := r.Str(k); ok && v != "" {
			return true
		}
	}
	return false
}

// albGroupIngress returns the ingress rules of the security group the ALB is attached to.
func albGroupIngress(t *testing.T, m *infratest.Mocks) []infratest.Resource {
	t.Helper()
	alb := m.Named(t, controls.TLoadBalancer, "ecs-services-alb")
	groups := alb.Strings("securityGroups")
	require.Len(t, groups, 1)
	var out []infratest.Resource
	for _, r := range m.ByType(controls.TIngress) {
		if g, _ := r.Str("securityGroupId"); g == groups[0] {
			out = append(out, r)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// TestALBAcceptsOnly443FromInternet: in the mock up of dev and prod, the ALB's security group
// admits exactly one rule from the internet, TCP 443 from 0.0.0.0/0, and the ALB has no HTTP
// listener. albHttpRedirect is an opt-in waiver: turned on, it opens 80 (redirect only), is
// reported as a waiver and fails EC2.18.
func TestALBAcceptsOnly443FromInternet(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, cfg := deploy(t, name)
			assert.False(t, cfg.Network.ALBHTTPRedirect)
			var public []string
			for _, r := range albGroupIngress(t, m) {
				if c, _ := r.Str("cidrIpv4"); c == "0.0.0.0/0" {
					from, _ := r.Int("fromPort")
					to, _ := r.Int("toPort")
					proto, _ := r.Str("ipProtocol")
					public = append(public, proto+":"+itoa(from)+"-"+itoa(to))
				}
				assert.False(t, r.Has("cidrIpv6"), "no IPv6 ingress")
			}
			assert.Equal(t, []string{"tcp:443-443"}, public)
			for _, l := range m.ByType(controls.TListener) {
				if p, _ := l.Str("protocol"); p == "HTTP" {
					t.Errorf("HTTP listener %s without the waiver", l.Name)
				}
			}
		})
	}
	t.Run("waiver", func(t *testing.T) {
		m, err := deployWith(t, "prod", map[string]string{"albHttpRedirect": "true"})
		require.NoError(t, err)
		var ports []int
		for _, r := range albGroupIngress(t, m) {
			if c, _ := r.Str("cidrIpv4"); c == "0.0.0.0/0" {
				p, _ := r.Int("fromPort")
				ports = append(ports, p)
			}
		}
		assert.ElementsMatch(t, []int{80, 443}, ports)
		c := config.Defaults(config.Project, "prod")
		c.Network.ALBHTTPRedirect = true
		require.Len(t, c.Waivers(), 1)
		assert.Equal(t, "albHttpRedirect", c.Waivers()[0].Key)
		var ec218 *controls.Control
		all := allControls(c)
		for i := range all {
			if strings.HasPrefix(all[i].ID, "EC2.18 ") {
				ec218 = &all[i]
			}
		}
		require.NotNil(t, ec218)
		assert.Equal(t, c.Waivers()[0].Control, ec218.ID, "the waiver names the control it relaxes")
		assert.Error(t, ec218.Check(recorded(m)), "port 80 fails EC2.18 even with the waiver")
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestLifecycleOnlyReplacesFixedNamesFirst: the policy gives deleteBeforeReplace to a resource of
// a listed type only when it sets its name (a generated name cannot collide), and leaves other
// types and options alone.
func TestLifecycleOnlyReplacesFixedNamesFirst(t *testing.T) {
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		if err := ctx.RegisterStackTransformation(stack.StackLifecycle(true).Transformation()); err != nil {
			return err
		}
		trust := pulumi.String(`{"Version":"2012-10-17","Statement":[]}`)
		if _, err := iam.NewRole(ctx, "named", &iam.RoleArgs{Name: pulumi.String("chess-platform-x-named"), AssumeRolePolicy: trust}); err != nil {
			return err
		}
		if _, err := iam.NewRole(ctx, "generated", &iam.RoleArgs{AssumeRolePolicy: trust}, pulumi.IgnoreChanges([]string{"tags"})); err != nil {
			return err
		}
		_, err := kms.NewKey(ctx, "key", &kms.KeyArgs{Description: pulumi.String("k")})
		return err
	})
	named, generated, key := m.Named(t, controls.TRole, "named"), m.Named(t, controls.TRole, "generated"), m.Named(t, controls.TKMSKey, "key")
	assert.True(t, named.DeleteBeforeReplace)
	assert.False(t, generated.DeleteBeforeReplace)
	assert.True(t, generated.IgnoresChanges("tags"), "the component's own options stay")
	assert.True(t, key.Protect)
	assert.False(t, key.DeleteBeforeReplace)
	assert.False(t, named.Protect || generated.Protect)
}
