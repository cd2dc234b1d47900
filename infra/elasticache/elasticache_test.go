package elasticache_test

import (
	"regexp"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/elasticache"
	"chessplatform/infra/infratest"
	"chessplatform/infra/network"
)

func cacheArgs(a awsenv.Account, cfg *config.Config, n *network.Network) *elasticache.Args {
	c := cfg.Cache
	return &elasticache.Args{
		Common:                component.Common{Account: a, NamePrefix: cfg.Name(), LogRetentionDays: cfg.Logs.RetentionDays, KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays, Tags: cfg.Tags("elasticache")},
		SubnetIDs:             n.IsolatedSubnetIDs,
		SecurityGroupID:       n.SecurityGroups.Redis,
		Engine:                c.Engine,
		EngineVersion:         c.EngineVersion,
		ParameterFamily:       c.ParameterFamily(),
		NodeType:              c.NodeType,
		NodeCount:             c.NodeCount,
		MultiAZ:               c.MultiAZ,
		SnapshotRetentionDays: c.SnapshotRetentionDays,
	}
}

type outputs struct {
	primary, secretArn, kmsKeyArn, sgID, redisSG string
	port                                         int
	tokenSecret                                  bool
}

func build(t *testing.T, cfg *config.Config, opts ...pulumi.RunOption) (*infratest.Mocks, outputs) {
	t.Helper()
	var o outputs
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		n, err := network.New(ctx, "network", &network.Args{Common: component.Common{Account: a, NamePrefix: cfg.Name(), LogRetentionDays: cfg.Logs.RetentionDays, KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays, Tags: cfg.Tags("network")}, VPCCIDR: cfg.Network.VPCCIDR, AZCount: cfg.Network.AZCount,
			WebPort: cfg.Services.WebPort, BackendPort: cfg.Services.BackendPort,
		})
		if err != nil {
			return err
		}
		c, err := elasticache.New(ctx, "cache", cacheArgs(a, cfg, n))
		if err != nil {
			return err
		}
		for _, f := range []struct {
			dst *string
			out pulumi.StringOutput
		}{{&o.primary, c.PrimaryEndpoint}, {&o.secretArn, c.AuthSecretARN}, {&o.kmsKeyArn, c.KMSKeyARN}, {&o.sgID, c.SecurityGroupID}, {&o.redisSG, n.SecurityGroups.Redis}} {
			if *f.dst, err = infratest.Await[string](ctx, f.out); err != nil {
				return err
			}
		}
		if o.port, err = infratest.Await[int](ctx, c.Port); err != nil {
			return err
		}
		tok, err := infratest.AwaitResult[string](ctx, c.ReplicationGroup.AuthToken)
		o.tokenSecret = tok.Secret
		return err
	}, append([]pulumi.RunOption{infratest.WithStack(cfg.Stack)}, opts...)...)
	return m, o
}

func cacheControls() []controls.Control {
	var cs []controls.Control
	cs = append(cs, controls.ElastiCache()...)
	cs = append(cs, controls.KMS()...)
	cs = append(cs, controls.Logs()...)
	cs = append(cs, controls.Secrets()...)
	return append(cs, controls.Tags()...)
}

// TestCacheSecurity enforces every ElastiCache control on the default (production) settings.
func TestCacheSecurity(t *testing.T) {
	m, _ := build(t, config.Defaults(config.Project, "prod"))
	controls.Require(t, m, cacheControls())
}

func TestCacheControlsCanFail(t *testing.T) {
	m, _ := build(t, config.Defaults(config.Project, "prod"))
	controls.Breakable(t, m.Snapshot(), cacheControls())
}

func TestCacheDevWaivers(t *testing.T) {
	cfg := config.Defaults(config.Project, "dev")
	cfg.Cache.NodeCount, cfg.Cache.MultiAZ = 1, false
	m, _ := build(t, cfg)
	var failing []string
	for _, c := range cacheControls() {
		if c.Check(m) != nil {
			failing = append(failing, c.ID)
		}
	}
	assert.Equal(t, []string{"ElastiCache.3 Multi-AZ with automatic failover", "ElastiCache.3 at least 2 nodes"}, failing)
	rg := m.One(t, controls.TCacheGroup)
	v, _ := rg.Bool("automaticFailoverEnabled")
	assert.False(t, v, "one node cannot fail over")
}

// TestAuthToken: the token comes from the Secrets Manager generator, is alphanumeric, lives
// only in secret inputs, and the replication group reads it back from the secret version.
func TestAuthToken(t *testing.T) {
	m, o := build(t, config.Defaults(config.Project, "prod"))

	var calls []infratest.Call
	for _, c := range m.Calls() {
		if c.Token == "aws:secretsmanager/getRandomPassword:getRandomPassword" {
			calls = append(calls, c)
		}
	}
	require.Len(t, calls, 1)
	assert.Equal(t, float64(elasticache.TokenLength), calls[0].Args["passwordLength"].NumberValue())
	assert.True(t, calls[0].Args["excludePunctuation"].BoolValue())

	version := m.One(t, controls.TSecretVersion)
	token, _ := version.Str("secretString")
	assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9]{64}$`), token)
	assert.True(t, version.IsSecret("secretString"))
	assert.True(t, version.IgnoresChanges("secretString"))

	rg := m.One(t, controls.TCacheGroup)
	rgToken, _ := rg.Str("authToken")
	assert.Equal(t, token, rgToken)
	assert.True(t, rg.IsSecret("authToken"))
	assert.Contains(t, rg.AdditionalSecretOutputs, "authToken")
	assert.True(t, o.tokenSecret, "the awaited authToken output is secret")

	secret := m.One(t, controls.TSecret)
	assert.Equal(t, secret.ID, o.secretArn)
	kms, _ := secret.Str("kmsKeyId")
	assert.Equal(t, o.kmsKeyArn, kms)
	for _, r := range m.Resources() {
		for k := range r.Inputs {
			if r.Inputs[k].ContainsSecrets() {
				assert.Contains(t, []string{"secretString", "authToken"}, string(k), "%s %s", r.Type, r.Name)
			}
		}
	}
}

func TestCacheWiringAndOutputs(t *testing.T) {
	m, o := build(t, config.Defaults(config.Project, "prod"))
	rg := m.One(t, controls.TCacheGroup)
	assert.Equal(t, 6379, o.port)
	assert.Regexp(t, `^master\..+\.cache\.amazonaws\.com$`, o.primary)
	assert.Equal(t, o.redisSG, o.sgID)
	assert.Equal(t, []string{o.sgID}, rg.Strings("securityGroupIds"))
	engine, _ := rg.Str("engine")
	assert.Equal(t, "redis", engine)
	fam, _ := m.One(t, controls.TCacheParams).Str("family")
	assert.Equal(t, "redis7", fam)
	n, _ := rg.Int("numCacheClusters")
	assert.Equal(t, 2, n)
}

func TestValkeyEngine(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	cfg.Cache.Engine, cfg.Cache.EngineVersion = "valkey", "8.0"
	m, _ := build(t, cfg)
	fam, _ := m.One(t, controls.TCacheParams).Str("family")
	assert.Equal(t, "valkey8", fam)
	controls.Require(t, m, controls.ElastiCache())
}

// TestPreview: under a simulated preview the program still registers every resource.
func TestPreview(t *testing.T) {
	m, _ := build(t, config.Defaults(config.Project, "prod"), infratest.DryRun())
	assert.Len(t, m.ByType(controls.TCacheGroup), 1)
}

func TestCacheArgsValidation(t *testing.T) {
	cases := map[string]func(*elasticache.Args){
		"multi-AZ with one node": func(a *elasticache.Args) { a.NodeCount, a.MultiAZ = 1, true },
		"no snapshots":           func(a *elasticache.Args) { a.SnapshotRetentionDays = 0 },
		"no engine":              func(a *elasticache.Args) { a.Engine = "" },
		"no subnets":             func(a *elasticache.Args) { a.SubnetIDs = nil },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				a, err := awsenv.Lookup(ctx)
				if err != nil {
					return err
				}
				args := cacheArgs(a, config.Defaults(config.Project, "test"), &network.Network{
					IsolatedSubnetIDs: pulumi.ToStringArray([]string{"subnet-1", "subnet-2"}).ToStringArrayOutput(),
					SecurityGroups:    network.SecurityGroups{Redis: pulumi.String("sg-1").ToStringOutput()},
				})
				mutate(args)
				_, err = elasticache.New(ctx, "cache", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "elasticache cache:")
			assert.Empty(t, m.Resources())
		})
	}
}
