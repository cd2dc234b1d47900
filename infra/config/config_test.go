package config_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/config"
	"chessplatform/infra/infratest"
)

var update = flag.Bool("update", false, "rewrite docs/config.md from the Go key declarations")

// Well-formed values of the image and certificate keys.
const (
	digest     = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	registry   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-test/"
	webImg     = registry + "web@" + digest
	backendImg = registry + "backend@" + digest
	utilityImg = registry + "utility@" + digest
	certARN    = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	cdnCertARN = "arn:aws:acm:us-east-1:123456789012:certificate/9a1b2c3d-4e5f-6789-abcd-ef0123456789"
)

// load runs config.Load under mocks with the given keys (without project prefix).
func load(t *testing.T, kv map[string]string) (*config.Config, error) {
	t.Helper()
	var cfg *config.Config
	_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		var err error
		cfg, err = config.Load(ctx)
		return err
	}, infratest.WithConfig(kv))
	return cfg, err
}

func TestDefaultsAreValid(t *testing.T) {
	d := config.Defaults(config.Project, "test")
	require.NoError(t, d.Validate())
	assert.Empty(t, d.Waivers(), "defaults are the secure posture: no waiver")
}

func TestLoadAppliesDefaultsForUnsetKeys(t *testing.T) {
	cfg, err := load(t, nil)
	require.NoError(t, err)
	assert.Equal(t, config.Defaults(config.Project, "test"), cfg)
}

func TestLoadReadsEveryKey(t *testing.T) {
	kv := map[string]string{
		"vpcCidr": "172.20.0.0/18", "azCount": "2", "singleNatGateway": "true", "albHttpRedirect": "true",
		"webPort": "3001", "backendPort": "9090", "webCpu": "1024", "webMemory": "3072", "backendCpu": "2048", "backendMemory": "16384",
		"dbInstanceClass": "db.r7g.large", "dbEngineVersion": "17", "dbAllocatedStorageGb": "50", "dbMaxAllocatedStorageGb": "0",
		"dbMultiAz": "false", "dbDeletionProtection": "false", "dbSkipFinalSnapshot": "true", "dbBackupRetentionDays": "35",
		"dbMonitoringIntervalSeconds": "15", "dbPerformanceInsightsRetentionDays": "93", "dbMasterUsername": "gm", "dbName": "games",
		"cacheEngine": "valkey", "cacheEngineVersion": "8.0", "cacheNodeType": "cache.r7g.large", "cacheNodeCount": "3", "cacheMultiAz": "true",
		"cacheSnapshotRetentionDays": "35", "logRetentionDays": "731", "kmsDeletionWindowDays": "7",
		"webImage": webImg, "backendImage": backendImg, "utilityImage": utilityImg,
		"webMinTasks": "3", "webMaxTasks": "9", "backendMinTasks": "4", "backendMaxTasks": "40",
		"scalingCpuPercent": "70", "scalingRequestsPerTarget": "500", "wsTransport": "direct", "ecrMaxImages": "50",
		"domain": "chess.example.org", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "albCertificateArn": certARN,
		"albDeletionProtection": "false", "albIdleTimeoutSeconds": "900",
		"apiStageName": "v1", "apiGatewayAccountOwner": "none", "apiThrottlingRateLimit": "200", "apiThrottlingBurstLimit": "100",
		"apiLoggingLevel": "INFO", "authorizerZip": "build/auth.zip", "rotatorZip": "build/rot.zip", "secretRotationDays": "7",
		"cdnCertificateArn": cdnCertARN, "cdnPriceClass": "PriceClass_All", "webBuildDir": "/srv/web-build", "wafRateLimit": "500", "wafRateWindowSeconds": "60",
		"alarmEmail": "oncall@example.org", "trailRetentionDays": "730", "protectStatefulResources": "false",
	}
	require.Len(t, kv, len(config.Keys()), "the case must set every key")
	cfg, err := load(t, kv)
	require.NoError(t, err)
	want := &config.Config{
		Project: config.Project,
		Stack:   "test",
		Network: config.Network{VPCCIDR: "172.20.0.0/18", AZCount: 2, SingleNATGateway: true, ALBHTTPRedirect: true},
		Services: config.Services{WebPort: 3001, BackendPort: 9090, WebCPU: 1024, WebMemory: 3072, BackendCPU: 2048, BackendMemory: 16384,
			WebImage: webImg, BackendImage: backendImg, UtilityImage: utilityImg,
			WebMinTasks: 3, WebMaxTasks: 9, BackendMinTasks: 4, BackendMaxTasks: 40, ScalingCPUPercent: 70, ScalingRequestsPerTarget: 500,
			WSTransport: "direct", ECRMaxImages: 50},
		Edge: config.Edge{Domain: "chess.example.org", HostedZoneID: "Z0123456789ABCDEFGHIJ", ALBCertificateARN: certARN, CDNCertificateARN: cdnCertARN,
			ALBDeletionProtection: false, ALBIdleTimeoutSeconds: 900, CDNPriceClass: "PriceClass_All", WebBuildDir: "/srv/web-build", WAFRateLimit: 500, WAFRateWindow: 60},
		Observe: config.Observability{AlarmEmail: "oncall@example.org", TrailRetentionDays: 730},
		Gateway: config.Gateway{StageName: "v1", AccountOwner: "none", ThrottlingRateLimit: 200, ThrottlingBurstLimit: 100,
			LoggingLevel: "INFO", AuthorizerZip: "build/auth.zip", RotatorZip: "build/rot.zip", RotationDays: 7},
		Database: config.Database{InstanceClass: "db.r7g.large", EngineVersion: "17", AllocatedStorageGB: 50, MaxAllocatedStorageGB: 0,
			MultiAZ: false, DeletionProtection: false, SkipFinalSnapshot: true, BackupRetentionDays: 35, MonitoringIntervalSeconds: 15,
			PerformanceInsightsRetentionDays: 93, MasterUsername: "gm", Name: "games"},
		Cache:     config.Cache{Engine: "valkey", EngineVersion: "8.0", NodeType: "cache.r7g.large", NodeCount: 3, MultiAZ: true, SnapshotRetentionDays: 35},
		Logs:      config.Logs{RetentionDays: 731, KMSDeletionWindowDays: 7},
		Lifecycle: config.Lifecycle{ProtectStatefulResources: false},
	}
	assert.Equal(t, want, cfg)
	assert.Equal(t, "postgres17", cfg.Database.DBParameterFamily())
	assert.Equal(t, "valkey8", cfg.Cache.ParameterFamily())
}

// TestLoadRejectsInvalid: every bad value fails with an error naming the key, the value and
// what is allowed, before any resource exists.
func TestLoadRejectsInvalid(t *testing.T) {
	cases := []struct {
		name    string
		kv      map[string]string
		key     string // key the error must name
		allowed string // fragment of the "allowed" explanation
	}{
		{"bad CIDR", map[string]string{"vpcCidr": "10.40.0.0"}, "vpcCidr", "a.b.c.d/n"},
		{"CIDR with host bits", map[string]string{"vpcCidr": "10.40.3.0/16"}, "vpcCidr", "host bits"},
		{"too-small CIDR", map[string]string{"vpcCidr": "10.40.0.0/24"}, "vpcCidr", "allowed /16 to /20"},
		{"too-large CIDR", map[string]string{"vpcCidr": "10.0.0.0/12"}, "vpcCidr", "allowed /16 to /20"},
		{"public CIDR", map[string]string{"vpcCidr": "52.0.0.0/16"}, "vpcCidr", "private range"},
		{"IPv6 CIDR", map[string]string{"vpcCidr": "fd00::/48"}, "vpcCidr", "not IPv4"},
		{"AZ count 1", map[string]string{"azCount": "1"}, "azCount", "2 to 3"},
		{"AZ count 4", map[string]string{"azCount": "4"}, "azCount", "2 to 3"},
		{"AZ count not a number", map[string]string{"azCount": "two"}, "azCount", "not an integer"},
		{"impossible web Fargate pair", map[string]string{"webCpu": "256", "webMemory": "4096"}, "webMemory", "512, 1024, 2048"},
		{"impossible backend Fargate pair", map[string]string{"backendCpu": "1024", "backendMemory": "1024"}, "backendMemory", "2048, 3072"},
		{"unknown Fargate CPU", map[string]string{"webCpu": "300"}, "webCpu", "256, 512, 1024, 2048, 4096, 8192, 16384"},
		{"8 vCPU memory off the 4 GiB step", map[string]string{"backendCpu": "8192", "backendMemory": "17408"}, "backendMemory", "16384, 20480"},
		{"unknown DB instance class", map[string]string{"dbInstanceClass": "db.x9.huge"}, "dbInstanceClass", "db.t4g.micro"},
		{"previous-generation DB class", map[string]string{"dbInstanceClass": "db.t2.micro"}, "dbInstanceClass", "db.m7g.large"},
		{"unknown cache node type", map[string]string{"cacheNodeType": "cache.t2.micro"}, "cacheNodeType", "cache.t4g.micro"},
		{"bad retention days", map[string]string{"logRetentionDays": "45"}, "logRetentionDays", "30, 60, 90"},
		{"retention never-expire", map[string]string{"logRetentionDays": "0"}, "logRetentionDays", "1, 3, 5"},
		{"bad DB engine version", map[string]string{"dbEngineVersion": "12"}, "dbEngineVersion", "16, 17, 18"},
		{"minor DB engine version", map[string]string{"dbEngineVersion": "17.2"}, "dbEngineVersion", "16, 17, 18"},
		{"bad cache engine version", map[string]string{"cacheEngineVersion": "6.2"}, "cacheEngineVersion", "7.0, 7.1"},
		{"valkey version for redis", map[string]string{"cacheEngineVersion": "8.0"}, "cacheEngineVersion", "7.0, 7.1"},
		{"unknown cache engine", map[string]string{"cacheEngine": "memcached"}, "cacheEngine", "redis, valkey"},
		{"backup retention too short", map[string]string{"dbBackupRetentionDays": "3"}, "dbBackupRetentionDays", "7 to 35"},
		{"enhanced monitoring off", map[string]string{"dbMonitoringIntervalSeconds": "0"}, "dbMonitoringIntervalSeconds", "1, 5, 10, 15, 30, 60"},
		{"Performance Insights retention", map[string]string{"dbPerformanceInsightsRetentionDays": "30"}, "dbPerformanceInsightsRetentionDays", "multiple of 31"},
		{"default master user name", map[string]string{"dbMasterUsername": "postgres"}, "dbMasterUsername", "not one of"},
		{"master user name with a dash", map[string]string{"dbMasterUsername": "chess-admin"}, "dbMasterUsername", "letters, digits or _"},
		{"reserved database name", map[string]string{"dbName": "template1"}, "dbName", "not one of"},
		{"storage autoscaling below allocation", map[string]string{"dbAllocatedStorageGb": "100", "dbMaxAllocatedStorageGb": "50"}, "dbMaxAllocatedStorageGb", "0 (no autoscaling)"},
		{"storage too small", map[string]string{"dbAllocatedStorageGb": "5"}, "dbAllocatedStorageGb", "20 to 65536"},
		{"cache Multi-AZ with one node", map[string]string{"cacheMultiAz": "true", "cacheNodeCount": "1"}, "cacheMultiAz", "cacheNodeCount >= 2"},
		{"too many cache nodes", map[string]string{"cacheNodeCount": "7"}, "cacheNodeCount", "1 to 6"},
		{"cache snapshots off", map[string]string{"cacheSnapshotRetentionDays": "0"}, "cacheSnapshotRetentionDays", "1 to 35"},
		{"KMS deletion window", map[string]string{"kmsDeletionWindowDays": "5"}, "kmsDeletionWindowDays", "7 to 30"},
		{"same port twice", map[string]string{"webPort": "8080", "backendPort": "8080"}, "backendPort", "must differ"},
		{"privileged web port", map[string]string{"webPort": "80"}, "webPort", "1024 to 65535"},
		{"data-store port for backend", map[string]string{"backendPort": "6379"}, "backendPort", "not 80, 443, 5432, 6379"},
		{"boolean typo", map[string]string{"dbMultiAz": "yes"}, "dbMultiAz", "true or false"},
		// Services, edge and API Gateway keys.
		{"image by tag", map[string]string{"backendImage": registry + "backend:v1"}, "backendImage", "pinned by digest"},
		{"image outside ECR", map[string]string{"backendImage": "docker.io/library/nginx@" + digest}, "backendImage", "<account>.dkr.ecr.<region>.amazonaws.com"},
		{"short digest", map[string]string{"webImage": registry + "web@sha256:abc", "utilityImage": utilityImg}, "webImage", "64 hex digits"},
		{"web image without utility image", map[string]string{"webImage": webImg}, "utilityImage", "set together with webImage"},
		{"utility image without web image", map[string]string{"utilityImage": utilityImg}, "utilityImage", "set together with webImage"},
		{"no web task", map[string]string{"webMinTasks": "0"}, "webMinTasks", "1 to 100"},
		{"max below min", map[string]string{"backendMinTasks": "4", "backendMaxTasks": "3"}, "backendMaxTasks", "backendMinTasks (4) to 100"},
		{"too many tasks", map[string]string{"webMaxTasks": "101"}, "webMaxTasks", "to 100 tasks"},
		{"CPU target too high", map[string]string{"scalingCpuPercent": "95"}, "scalingCpuPercent", "20 to 90"},
		{"request target zero", map[string]string{"scalingRequestsPerTarget": "0"}, "scalingRequestsPerTarget", "10 to 100000"},
		{"unknown transport", map[string]string{"wsTransport": "sse"}, "wsTransport", "apigw, direct"},
		{"ECR keeps too few images", map[string]string{"ecrMaxImages": "1"}, "ecrMaxImages", "5 to 1000"},
		{"domain with a scheme", map[string]string{"domain": "https://chess.example.com", "hostedZoneId": "Z123"}, "domain", "lowercase DNS name"},
		{"single-label domain", map[string]string{"domain": "localhost", "hostedZoneId": "Z123"}, "domain", "at least two labels"},
		{"domain without zone or certificates", map[string]string{"domain": "chess.example.com"}, "hostedZoneId", "or both albCertificateArn and cdnCertificateArn"},
		{"domain with only the ALB certificate", map[string]string{"domain": "chess.example.com", "albCertificateArn": certARN}, "hostedZoneId", "both albCertificateArn and cdnCertificateArn"},
		{"zone without domain", map[string]string{"hostedZoneId": "Z123"}, "domain", "required when hostedZoneId"},
		{"certificate without domain", map[string]string{"albCertificateArn": certARN}, "domain", "required when hostedZoneId, albCertificateArn or cdnCertificateArn"},
		{"bad hosted zone id", map[string]string{"domain": "chess.example.com", "hostedZoneId": "zone-1"}, "hostedZoneId", "Route 53 hosted zone id"},
		{"bad certificate ARN", map[string]string{"domain": "chess.example.com", "hostedZoneId": "Z123", "albCertificateArn": "arn:aws:iam::123456789012:server-certificate/x"}, "albCertificateArn", "arn:aws:acm:"},
		{"CloudFront certificate outside us-east-1", map[string]string{"domain": "chess.example.com", "hostedZoneId": "Z123", "cdnCertificateArn": certARN}, "cdnCertificateArn", "us-east-1 only"},
		{"unknown price class", map[string]string{"cdnPriceClass": "PriceClass_50"}, "cdnPriceClass", "PriceClass_100, PriceClass_200, PriceClass_All"},
		{"WAF rate limit below 10", map[string]string{"wafRateLimit": "5"}, "wafRateLimit", "10 to 2000000000"},
		{"WAF window not offered", map[string]string{"wafRateWindowSeconds": "30"}, "wafRateWindowSeconds", "60, 120, 300, 600"},
		{"two alarm addresses", map[string]string{"alarmEmail": "a@example.org,b@example.org"}, "alarmEmail", "one e-mail address"},
		{"trail kept too briefly", map[string]string{"trailRetentionDays": "30"}, "trailRetentionDays", "90 to 3653"},
		{"idle timeout below a minute", map[string]string{"albIdleTimeoutSeconds": "30"}, "albIdleTimeoutSeconds", "60 to 4000"},
		{"stage name with a slash", map[string]string{"apiStageName": "v1/live"}, "apiStageName", "letters, digits, _ or -"},
		{"throttling off", map[string]string{"apiThrottlingRateLimit": "0"}, "apiThrottlingRateLimit", "1 to 10000"},
		{"burst too large", map[string]string{"apiThrottlingBurstLimit": "6000"}, "apiThrottlingBurstLimit", "1 to 5000"},
		{"execution logging off", map[string]string{"apiLoggingLevel": "OFF"}, "apiLoggingLevel", "ERROR, INFO"},
		{"authorizer not a zip", map[string]string{"authorizerZip": "dist/bootstrap"}, "authorizerZip", ".zip"},
		{"rotator not a zip", map[string]string{"rotatorZip": "dist/bootstrap"}, "rotatorZip", ".zip"},
		{"rotation never", map[string]string{"secretRotationDays": "0"}, "secretRotationDays", "1 to 365"},
		{"rotation too rare", map[string]string{"secretRotationDays": "366"}, "secretRotationDays", "1 to 365"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := load(t, c.kv)
			require.Error(t, err)
			assert.Nil(t, cfg)
			msg := err.Error()
			assert.Contains(t, msg, "config "+config.Project+":"+c.key+" = ", "error must name the key")
			assert.Contains(t, msg, fmt.Sprintf("%q", c.kv[c.key]), "error must quote the bad value")
			assert.Contains(t, msg, c.allowed, "error must say what is allowed")
			var ce *config.Error
			require.True(t, errors.As(err, &ce), "errors are *config.Error")
		})
	}
}

func TestLoadReportsEveryBadKey(t *testing.T) {
	_, err := load(t, map[string]string{"azCount": "1", "webCpu": "256", "webMemory": "8192", "logRetentionDays": "2"})
	require.Error(t, err)
	for _, k := range []string{"azCount", "webMemory", "logRetentionDays"} {
		assert.Contains(t, err.Error(), config.Project+":"+k)
	}
}

func TestLoadRejectsOtherProject(t *testing.T) {
	m := infratest.NewMocks()
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := config.Load(ctx)
		return err
	}, pulumi.WithMocks("other-project", "test", m))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `project is "other-project"`)
}

func TestName(t *testing.T) {
	for stack, want := range map[string]string{
		"dev":          "chess-platform-dev",
		"Prod_EU":      "chess-platform-prod-eu",
		"feature..x--": "chess-platform-feature-x",
	} {
		c := config.Defaults(config.Project, stack)
		assert.Equal(t, want, c.Name(), stack)
	}
	long := config.Defaults(config.Project, strings.Repeat("s", 40))
	require.Error(t, long.Validate())
	assert.Contains(t, long.Validate().Error(), "stack name")
}

func TestWaivers(t *testing.T) {
	c := config.Defaults(config.Project, "dev")
	c.Database.MultiAZ = false
	c.Cache.NodeCount, c.Cache.MultiAZ = 1, false
	c.Logs.RetentionDays = 30
	got := map[string]string{}
	for _, w := range c.Waivers() {
		got[w.Key] = w.Value
	}
	assert.Equal(t, map[string]string{"dbMultiAz": "false", "cacheNodeCount": "1", "cacheMultiAz": "false", "logRetentionDays": "30"}, got)

	// Values above a secure floor are not waivers.
	c = config.Defaults(config.Project, "prod")
	c.Cache.NodeCount, c.Logs.RetentionDays = 3, 731
	assert.Empty(t, c.Waivers())
}

// TestPulumiYAMLMatchesGo keeps Pulumi.yaml and the Go declarations identical: same keys,
// types, defaults and descriptions, parsed by the Pulumi SDK's own project loader.
func TestPulumiYAMLMatchesGo(t *testing.T) {
	p := infratest.LoadProject(t)
	require.Equal(t, config.Project, string(p.Name))
	require.Equal(t, "go", p.Runtime.Name())

	goKeys := map[string]bool{}
	for _, k := range config.Keys() {
		goKeys[k.Name] = true
		decl, ok := p.Config[k.Name]
		if !assert.True(t, ok, "Pulumi.yaml does not declare %s", k.Name) {
			continue
		}
		require.NotNil(t, decl.Type, k.Name)
		assert.Equal(t, k.Type, *decl.Type, "%s type", k.Name)
		assert.Equal(t, k.Default, fmt.Sprint(decl.Default), "%s default", k.Name)
		assert.Equal(t, k.Description, decl.Description, "%s description", k.Name)
		assert.False(t, decl.Secret, "%s: no secrets in config; secrets are generated", k.Name)
	}
	for name := range p.Config {
		if !strings.Contains(name, ":") {
			assert.True(t, goKeys[name], "Pulumi.yaml declares %s but infra/config does not load it", name)
		}
	}
}

// TestStackFiles loads the committed stack settings through the loader: every key is known,
// every value valid, and the waivers are exactly the dev cost waivers.
func TestStackFiles(t *testing.T) {
	known := map[string]bool{}
	for _, k := range config.Keys() {
		known[config.Project+":"+k.Name] = true
	}
	wantWaivers := map[string][]string{
		"dev":  {"albDeletionProtection", "cacheMultiAz", "cacheNodeCount", "dbDeletionProtection", "dbMultiAz", "dbSkipFinalSnapshot", "logRetentionDays", "singleNatGateway"},
		"prod": nil,
	}
	for stack, want := range wantWaivers {
		t.Run(stack, func(t *testing.T) {
			kv := infratest.StackConfig(t, stack)
			assert.Equal(t, "eu-west-1", kv["aws:region"], "stack file sets the region")
			for k := range kv {
				if strings.HasPrefix(k, config.Project+":") {
					assert.True(t, known[k], "%s sets unknown key %s", stack, k)
				}
			}
			var cfg *config.Config
			m := infratest.NewMocks()
			m.Run(t, func(ctx *pulumi.Context) error {
				var err error
				cfg, err = config.Load(ctx)
				return err
			}, infratest.WithStack(stack), infratest.WithConfig(kv))
			var got []string
			for _, w := range cfg.Waivers() {
				got = append(got, w.Key)
			}
			sort.Strings(got)
			assert.Equal(t, want, got)
		})
	}
}

// TestConfigDoc checks docs/config.md against the declarations; -update rewrites it.
func TestConfigDoc(t *testing.T) {
	path := filepath.Join(infratest.RepoRoot(t), "docs", "config.md")
	want := renderDoc()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "run: go test ./infra/config -run TestConfigDoc -update")
	assert.Equal(t, want, string(got), "docs/config.md is stale; run: go test ./infra/config -run TestConfigDoc -update")
}

func renderDoc() string {
	var b strings.Builder
	b.WriteString("# Stack configuration reference\n\n")
	b.WriteString("<!-- Generated from infra/config by `go test ./infra/config -run TestConfigDoc -update`; do not edit. -->\n\n")
	b.WriteString("Keys are set per stack with `pulumi config set " + config.Project + ":<key> <value> --stack <stack>`\n")
	b.WriteString("(or in `Pulumi.<stack>.yaml`). Every key has a default (declared identically in `Pulumi.yaml` and in\n")
	b.WriteString("`infra/config`), the defaults are the production security posture, and `config.Load` rejects a bad value\n")
	b.WriteString("with an error naming the key, the value and what is allowed, before any resource is created.\n")
	b.WriteString("The provider region is set per stack with `aws:region`.\n\n")
	b.WriteString("| key | type | default | description | waiver (control relaxed by a non-default value) |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, k := range config.Keys() {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", k.Name, k.Type, k.Default, strings.ReplaceAll(k.Description, "|", "\\|"), k.Waives)
	}
	b.WriteString("\nWaivers are cost-driven relaxations allowed only in dev; the whole-foundation security test lists\n")
	b.WriteString("exactly which controls `Pulumi.dev.yaml` waives and requires every control in prod.\n")
	return b.String()
}
