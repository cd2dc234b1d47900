package ecsservices_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/controls"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

var acct = awsenv.Account{ID: "123456789012", Region: "eu-west-1", Partition: "aws", DNSSuffix: "amazonaws.com", ServicePrefix: "com.amazonaws"}

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// args are valid Args with plain inputs standing in for the other components' outputs.
func args() *ecsservices.Args {
	secret := func(n string) pulumi.String {
		return pulumi.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + n + "-AbCdEf")
	}
	key := func(n string) pulumi.String { return pulumi.String("arn:aws:kms:eu-west-1:123456789012:key/" + n) }
	registry := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-test/"
	return &ecsservices.Args{Common: component.Common{Account: acct, NamePrefix: "chess-platform-test", LogRetentionDays: 365, KMSDeletionWindowDays: 30, Tags: map[string]string{"Project": "chess-platform", "Stack": "test", "Component": "ecs-services", "ManagedBy": "pulumi"}}, Project: "chess-platform", Stack: "test",
		VPCID:            pulumi.String("vpc-1"),
		PublicSubnetIDs:  pulumi.ToStringArray([]string{"subnet-pub-a", "subnet-pub-b"}),
		PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-priv-a", "subnet-priv-b"}),
		SecurityGroups:   ecsservices.SecurityGroups{ALB: pulumi.String("sg-alb"), Web: pulumi.String("sg-web"), Backend: pulumi.String("sg-backend"), NLB: pulumi.String("sg-nlb")},
		WebPort:          3000, BackendPort: 8080, WebCPU: 256, WebMemory: 512, BackendCPU: 256, BackendMemory: 512,
		Images: ecsservices.Images{
			Web: registry + "web@" + digest, Backend: registry + "backend@" + digest, Utility: registry + "utility@" + digest,
		},
		WebTasks: ecsservices.TaskCount{Min: 1, Max: 2}, BackendTasks: ecsservices.TaskCount{Min: 2, Max: 4},
		ScalingCPUPercent: 60, ScalingRequestsPerTarget: 1000, ECRMaxImages: 30,
		Domain: "chess.example.com", CertificateARN: pulumi.String("arn:aws:acm:eu-west-1:123456789012:certificate/alb"),
		HTTPRedirect: true, DeletionProtection: true, IdleTimeoutSeconds: 300,
		Database: ecsservices.Database{Host: pulumi.String("db.example"), Port: pulumi.Int(5432), Name: "chess", SecretARN: secret("rds!db"), KMSKeyARN: key("rds"), ResourceID: pulumi.String("db-ABCDEFGHIJKLMNOPQRSTUVWXY")},
		Cache:    ecsservices.Cache{Endpoint: pulumi.String("master.cache.example"), Port: pulumi.Int(6379), AuthSecretARN: secret("auth"), KMSKeyARN: key("cache")},
		Gateway: ecsservices.Gateway{
			ManagementEndpoint: pulumi.String("https://abc.execute-api.eu-west-1.amazonaws.com/live"),
			WebSocketURL:       pulumi.String("wss://abc.execute-api.eu-west-1.amazonaws.com/live"),
			ConnectionsARNs:    pulumi.ToStringArray([]string{"arn:aws:execute-api:eu-west-1:123456789012:abc/live/POST/@connections/*"}),
			TokenKeySecretARN:  secret("token"), SharedSecretARN: secret("shared"), SecretsKMSKeyARN: key("apigw"),
		},
		WSTransport:   "apigw",
		LogsKMSKeyARN: key("logs"),
	}
}

func run(t *testing.T, a *ecsservices.Args, opts ...pulumi.RunOption) (*infratest.Mocks, *ecsservices.Services, error) {
	t.Helper()
	var s *ecsservices.Services
	m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		var err error
		s, err = ecsservices.New(ctx, "services", a)
		return err
	}, opts...)
	return m, s, err
}

// TestArgsValidation: bad args are refused before anything is created.
func TestArgsValidation(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*ecsservices.Args)
		want   string
	}{
		{"nil database secret", func(a *ecsservices.Args) { a.Database.SecretARN = nil }, "Database (Host, Port, Name, SecretArn, KmsKeyArn, ResourceID)"},
		{"nil database resource id", func(a *ecsservices.Args) { a.Database.ResourceID = nil }, "ResourceID"},
		{"missing logs key", func(a *ecsservices.Args) { a.LogsKMSKeyARN = nil }, "LogsKMSKeyARN"},
		{"no web task", func(a *ecsservices.Args) { a.WebTasks.Min = 0 }, "WebTasks"},
		{"max below min", func(a *ecsservices.Args) { a.BackendTasks = ecsservices.TaskCount{Min: 3, Max: 2} }, "BackendTasks"},
		{"unknown transport", func(a *ecsservices.Args) { a.WSTransport = "sse" }, "WSTransport"},
		{"web without utility image", func(a *ecsservices.Args) { a.Images.Utility = "" }, "set together"},
		{"image of another account", func(a *ecsservices.Args) {
			a.Images.Backend = "999999999999.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-test/backend@" + digest
		}, "the repository this stack creates"},
		{"image of another repository", func(a *ecsservices.Args) {
			a.Images.Web = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-test/backend@" + digest
		}, "the repository this stack creates"},
		{"image by tag", func(a *ecsservices.Args) {
			a.Images.Backend = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-test/backend:latest"
		}, "not an ECR image pinned by digest"},
		{"no certificate", func(a *ecsservices.Args) { a.CertificateARN = nil }, "CertificateARN"},
		{"domain with a scheme", func(a *ecsservices.Args) { a.Domain = "https://chess.example.com" }, "bare DNS name"},
		{"bucket name too long", func(a *ecsservices.Args) { a.NamePrefix = strings.Repeat("x", 45) }, "more than 63"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := args()
			c.mutate(a)
			m, _, err := run(t, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.Resources(), "nothing is created")
		})
	}
	_, _, err := run(t, nil)
	assert.ErrorContains(t, err, "args are required")
}

// TestEnvironmentContract: the backend container sets exactly the variables chess-server,
// pgstore and redisstore read (read from their sources), and nothing secret in plain text.
func TestEnvironmentContract(t *testing.T) {
	cs := ecsservices.BackendContainers(ecsservices.BackendTaskInputs{
		Region: "eu-west-1", Image: "img", Port: 8080, DBHost: "db", DBName: "chess", DBUser: "chess_app", DBPort: 5432,
		RedisAddr: "r:6379", RedisSecretARN: "arn:redis", TokenKeySecretARN: "arn:token", SharedSecretARN: "arn:shared",
		ManagementEndpoint: "https://x", AllowedOrigins: "chess.example.com", LogGroup: "/lg",
		MasterSecretARN: "arn:db", MigrateLogGroup: "/lg-migrate",
	})
	require.Len(t, cs, 2)
	require.Equal(t, ecsservices.ContainerBackend, cs[0].Name)
	var names []string
	for _, e := range cs[0].Environment {
		names = append(names, e.Name)
	}
	for _, s := range cs[0].Secrets {
		names = append(names, s.Name)
	}
	read := envReadBy(t, "app/cmd/chess-server/main.go", "app/internal/store/pgstore/config.go", "app/internal/store/redisstore/config.go")
	read["AWS_REGION"] = true // read by the AWS SDK too
	for _, n := range names {
		assert.True(t, read[n], "%s is set but no backend code reads it", n)
	}
	for _, must := range []string{"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_IAM_AUTH", "DB_MIGRATE", "DB_SSLMODE", "DB_SSLROOTCERT",
		"REDIS_ADDR", "REDIS_TLS", "REDIS_PASSWORD", "TOKEN_KEY", "TOKEN_KEY_NEXT", "TOKEN_KEYS_PREVIOUS", "APIGW_MANAGEMENT_ENDPOINT", "APIGW_SHARED_SECRET", "ALLOWED_ORIGINS", "CHESS_ENV", "LISTEN_ADDR",
		"TRUST_FORWARDED_FOR", "FORWARDED_FOR_HOPS"} {
		assert.Contains(t, names, must)
	}
	// The backend never sees the master credentials: no password, no master secret.
	for _, never := range []string{"DB_PASSWORD", "DB_SECRET_ARN", "DATABASE_URL"} {
		assert.NotContains(t, names, never)
	}
	env := map[string]string{}
	for _, e := range cs[0].Environment {
		env[e.Name] = e.Value
	}
	assert.Equal(t, "chess_app", env["DB_USER"])
	assert.Equal(t, "true", env["DB_IAM_AUTH"])
	assert.Equal(t, "false", env["DB_MIGRATE"])
	secrets := map[string]string{}
	for _, s := range cs[0].Secrets {
		secrets[s.Name] = s.ValueFrom
	}
	assert.Equal(t, map[string]string{
		"APIGW_SHARED_SECRET": "arn:shared", "REDIS_PASSWORD": "arn:redis",
		"TOKEN_KEY": "arn:token:current::", "TOKEN_KEY_NEXT": "arn:token:next::", "TOKEN_KEYS_PREVIOUS": "arn:token:previous::",
	}, secrets)
}

// TestMigrateInitContainer: every backend task runs `chess-server -migrate` from the backend
// image first, as a non-essential init container the backend container waits for (SUCCESS).
// Only it gets the RDS master credentials, injected from the secret's JSON keys by the
// execution role; it sets only variables chess-server and pgstore read, and its bound
// (STARTUP_TIMEOUT) fits in the backend service's health-check grace period.
func TestMigrateInitContainer(t *testing.T) {
	cs := ecsservices.BackendContainers(ecsservices.BackendTaskInputs{
		Region: "eu-west-1", Image: "img", Port: 8080, DBHost: "db", DBName: "chess", DBUser: "chess_app", DBPort: 5432,
		RedisAddr: "r:6379", RedisSecretARN: "arn:redis", TokenKeySecretARN: "arn:token", SharedSecretARN: "arn:shared",
		ManagementEndpoint: "https://x", LogGroup: "/lg", MasterSecretARN: "arn:db", MigrateLogGroup: "/lg-migrate",
	})
	byName := map[string]ecsservices.ContainerDef{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	require.Len(t, byName, 2)
	backend, m := byName[ecsservices.ContainerBackend], byName[ecsservices.ContainerMigrate]
	assert.Equal(t, []string{"-migrate"}, m.Command)
	assert.Equal(t, "img", m.Image, "the backend's image")
	assert.False(t, m.Essential, "an init container exits")
	assert.Equal(t, []ecsservices.Dependency{{ContainerName: ecsservices.ContainerMigrate, Condition: "SUCCESS"}}, backend.DependsOn)
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "app/cmd/chess-server/main.go"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `os.Args[1] == "-migrate"`, "chess-server has the mode the container runs")

	assert.Equal(t, []ecsservices.SecretRef{{Name: "DB_PASSWORD", ValueFrom: "arn:db:password::"}, {Name: "DB_USER", ValueFrom: "arn:db:username::"}}, m.Secrets)
	for _, s := range backend.Secrets {
		assert.NotContains(t, s.ValueFrom, "arn:db", "the backend container gets no master credentials")
		assert.NotEqual(t, "DB_PASSWORD", s.Name)
	}
	read := envReadBy(t, "app/cmd/chess-server/main.go", "app/internal/store/pgstore/config.go")
	env := map[string]string{}
	for _, e := range m.Environment {
		assert.True(t, read[e.Name], "%s is set but no code reads it", e.Name)
		env[e.Name] = e.Value
	}
	for _, e := range backend.Environment {
		assert.NotContains(t, []string{"DB_PASSWORD", "DB_SECRET_ARN", "DATABASE_URL"}, e.Name)
		assert.NotEqual(t, "arn:db", e.Value)
	}
	assert.NotContains(t, env, "DB_SECRET_ARN", "credentials come from ECS, not a run-time read by the task role")
	assert.Equal(t, "verify-full", env["DB_SSLMODE"])
	assert.Equal(t, strconv.Itoa(ecsservices.MigrateTimeoutSeconds)+"s", env["STARTUP_TIMEOUT"])
	assert.GreaterOrEqual(t, ecsservices.HealthCheckGraceSeconds, ecsservices.MigrateTimeoutSeconds+ecsservices.BackendStartupSeconds+2*15,
		"the grace period covers the migrate container, chess-server's start and two ALB checks")
	assert.True(t, m.ReadonlyRootFilesystem)
	assert.False(t, m.Privileged)
	assert.Equal(t, ecsservices.BackendUser, m.User)
	assert.Equal(t, "/lg-migrate", m.LogConfiguration.Options["awslogs-group"])
	assert.Equal(t, ecsservices.ContainerMigrate, m.LogConfiguration.Options["awslogs-stream-prefix"])
}

// TestDatabaseAccessByRole: the backend task role may rds-db:connect only as chess_app on this
// instance and reads no database secret; only the backend execution role reads the master
// secret (to inject it into the migrate init container), and no separate migrate task exists.
func TestDatabaseAccessByRole(t *testing.T) {
	m, _, err := run(t, args())
	require.NoError(t, err)
	policies := map[string]iampolicy.Document{}
	for _, r := range m.ByType("aws:iam/rolePolicy:RolePolicy") {
		n, _ := r.Str("name")
		doc, err := r.Policy("policy")
		require.NoError(t, err)
		policies[n] = doc
	}
	require.Contains(t, policies, "backend-task")
	require.Contains(t, policies, "backend-exec")
	master := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db"
	connect := "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY/chess_app"
	var connects, masterReaders []string
	for name, doc := range policies {
		for _, st := range doc.Statement {
			for _, act := range st.Action {
				if strings.HasPrefix(act, "rds-db:") {
					assert.Equal(t, "backend-task", name, "only the backend task connects as the app user")
					assert.Equal(t, "rds-db:connect", act)
					connects = append(connects, st.Resource...)
				}
				if strings.HasPrefix(act, "secretsmanager:") {
					for _, res := range st.Resource {
						if strings.HasPrefix(res, master) {
							masterReaders = append(masterReaders, name)
						}
					}
				}
			}
		}
	}
	assert.Equal(t, []string{connect}, connects)
	assert.Equal(t, []string{"backend-exec"}, masterReaders, "only the backend execution role reads the master secret")
	var families []string
	for _, td := range m.ByType("aws:ecs/taskDefinition:TaskDefinition") {
		f, _ := td.Str("family")
		families = append(families, f)
		if f == "chess-platform-test-backend" {
			defs, _ := td.Str("containerDefinitions")
			assert.Contains(t, defs, `"command":["-migrate"]`)
			assert.Contains(t, defs, `"valueFrom":"`+master)
		}
	}
	assert.ElementsMatch(t, []string{"chess-platform-test-web", "chess-platform-test-backend"}, families, "no separate migrate task definition")
}

// envReadBy collects the environment variable names the given Go sources mention: every
// string literal shaped like one (the sources read them through getenv, env helpers, Env*
// constants and lists of names).
func envReadBy(t *testing.T, files ...string) map[string]bool {
	t.Helper()
	root := repoRoot(t)
	lit := regexp.MustCompile(`"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"`)
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		require.NoError(t, err)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
	}
	require.NotEmpty(t, out)
	return out
}

func repoRoot(t *testing.T) string { return infratest.RepoRoot(t) }

// TestListServicesPolicyMatchesScript: the web task role grants exactly the IAM actions of the
// calls list-services.sh makes (its iam_action table), sts:GetCallerIdentity aside (always
// allowed), and each of them only once.
func TestListServicesPolicyMatchesScript(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "list-services.sh"))
	require.NoError(t, err)
	want := map[string]bool{}
	for _, m := range regexp.MustCompile(`echo "([a-z0-9-]+:[A-Za-z]+)" ;;`).FindAllStringSubmatch(string(b), -1) {
		if m[1] != "sts:GetCallerIdentity" {
			want[m[1]] = true
		}
	}
	require.Greater(t, len(want), 15, "the script's action table was found")
	doc := ecsservices.ListServicesPolicy(acct)
	got := map[string]int{}
	for _, s := range doc.Statement {
		require.Equal(t, "Allow", s.Effect)
		for _, a := range s.Action {
			got[a]++
		}
		if slices.Contains(s.Resource, "*") {
			for _, a := range s.Action {
				_, ok := controls.StarOnlyActions[a]
				assert.True(t, ok, "%s on * is not in the allow-list", a)
			}
		}
	}
	for a := range want {
		assert.Equal(t, 1, got[a], "%s granted once", a)
	}
	for a := range got {
		assert.True(t, want[a], "%s is granted but the script never calls it", a)
	}
}

// TestLifecyclePolicy: untagged images go after a day, at most ECRMaxImages stay.
func TestLifecyclePolicy(t *testing.T) {
	p, err := ecsservices.LifecyclePolicy(30)
	require.NoError(t, err)
	var doc struct {
		Rules []struct {
			RulePriority int `json:"rulePriority"`
			Selection    struct {
				TagStatus, CountType string
				CountNumber          int
			} `json:"selection"`
			Action struct{ Type string } `json:"action"`
		} `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(p), &doc))
	require.Len(t, doc.Rules, 2)
	assert.Equal(t, "untagged", doc.Rules[0].Selection.TagStatus)
	assert.Equal(t, "imageCountMoreThan", doc.Rules[1].Selection.CountType)
	assert.Equal(t, 30, doc.Rules[1].Selection.CountNumber)
	for _, r := range doc.Rules {
		assert.Equal(t, "expire", r.Action.Type)
	}
}

// TestRulesRespectALBLimits: the backend paths are split so no rule has more than 5 condition
// values (4 paths plus the origin-verify header).
func TestRulesRespectALBLimits(t *testing.T) {
	m, _, err := run(t, args())
	require.NoError(t, err)
	var paths []string
	for _, r := range m.ByType(controls.TListenerRule) {
		n := 0
		for i := 0; i < r.Len("conditions"); i++ {
			p := r.Strings("conditions[" + itoa(i) + "].pathPattern.values")
			h := r.Strings("conditions[" + itoa(i) + "].httpHeader.values")
			n += len(p) + len(h)
			if len(h) > 0 {
				paths = append(paths, "header")
			}
		}
		assert.LessOrEqual(t, n, 5, r.Name)
	}
	assert.Len(t, paths, 4, "three backend rules and the web rule require the header")
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestContainerLogGroups: the component creates each container's log group (retention, the
// stack's logs key) and the task definitions log to exactly those groups.
func TestContainerLogGroups(t *testing.T) {
	m, _, err := run(t, args())
	require.NoError(t, err)
	groups := map[string]bool{}
	for _, lg := range m.ByType("aws:cloudwatch/logGroup:LogGroup") {
		name, _ := lg.Str("name")
		groups[name] = true
		assert.Equal(t, 365.0, lg.Inputs["retentionInDays"].NumberValue(), name)
		key, _ := lg.Str("kmsKeyId")
		assert.Equal(t, "arn:aws:kms:eu-west-1:123456789012:key/logs", key, name)
	}
	want := ecsservices.LogGroupNames("chess-platform-test")
	assert.Len(t, groups, len(want))
	for c, name := range want {
		assert.True(t, groups[name], "log group of %s", c)
	}
	used := 0
	for _, td := range m.ByType("aws:ecs/taskDefinition:TaskDefinition") {
		defs, _ := td.Str("containerDefinitions")
		for c, name := range want {
			if strings.Contains(defs, `"name":"`+c+`"`) {
				assert.Contains(t, defs, `"awslogs-group":"`+name+`"`, c)
				used++
			}
		}
	}
	assert.Equal(t, len(want), used, "every container logs to its group")
}
