package stack_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/infratest"
	"chessplatform/infra/stack"
)

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

// recorded is what the controls read: the mocks' resources with the ARNs of resources created
// through the us-east-1 provider moved to that region (the mock builds every ARN in its own).
func recorded(m *infratest.Mocks) infratest.Set {
	return controls.InProviderRegions(m, m.Region)
}

// TestStackSecurity runs every control of the whole stack against dev and prod: prod passes
// all of them; dev passes all but its listed waivers, each of which must be in effect and
// switched on by a config value.
func TestStackSecurity(t *testing.T) {
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

			rec := recorded(m)
			all := allControls(cfg)
			ids := controls.IDs(all)
			for _, w := range waived {
				assert.Contains(t, ids, w, "waiver %q names no control", w)
			}
			seen := map[string]bool{}
			for _, c := range all {
				require.False(t, seen[c.ID], "control %q listed twice", c.ID)
				seen[c.ID] = true
				t.Run(c.ID, func(t *testing.T) {
					err := c.Check(rec)
					if slices.Contains(waived, c.ID) {
						require.Error(t, err, "listed as a %s waiver but not in effect", name)
						t.Logf("WAIVED in %s: %v", name, err)
						return
					}
					require.NoError(t, err)
				})
			}
			t.Logf("%s: %d controls, %d waived", name, len(all), len(waived))
		})
	}
}

// TestStackControlsCanFail proves every control of the stack fails when a property it enforces
// is removed or set insecurely (Props) or a mutation it guards against is applied (Breaks).
func TestStackControlsCanFail(t *testing.T) {
	m, cfg := deploy(t, "prod")
	controls.Breakable(t, recorded(m), allControls(cfg))
}

// TestResourceCounts prints the stack's resources by type for dev and prod and pins the counts
// of the services and API components.
func TestResourceCounts(t *testing.T) {
	common := map[string]int{
		controls.TCluster: 1, controls.TTaskDef: 2, controls.TService: 2, controls.TRepo: 3, controls.TRepoLifecycle: 3,
		controls.TLoadBalancer: 2, controls.TTargetGroup: 3, controls.TListener: 2, controls.TListenerRule: 5,
		controls.TScalingTarget: 2, controls.TScalingPolicy: 4, controls.TApi: 1, controls.TAuthorizer: 1,
		controls.TIntegration: 4, controls.TApiRoute: 4, controls.TRouteResp: 1, controls.TDeployment: 1, controls.TStage: 1, controls.TVpcLink: 1,
		controls.TApiAccount: 1, controls.TFunction: 2, controls.TPermission: 4, controls.TSecretRotation: 3,
		"aws:acm/certificate:Certificate": 2, "aws:acm/certificateValidation:CertificateValidation": 2,
		// 2 ALB-certificate validation records, the origin alias, the site's A and AAAA aliases.
		"aws:route53/record:Record": 5,
	}
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, _ := deploy(t, name)
			counts := m.CountByType()
			t.Logf("%s resources by type:\n%s", name, infratest.CountTable(counts))
			for typ, n := range common {
				assert.Equal(t, n, counts[typ], typ)
			}
			var components []string
			for _, r := range m.Resources() {
				if !r.Custom {
					components = append(components, r.Type)
				}
			}
			sort.Strings(components)
			assert.Equal(t, []string{
				"chess:apigwwebsocket:WebSocketAPI", "chess:cdn:CDN", "chess:dns:DNS", "chess:ecsservices:Services", "chess:elasticache:Cache",
				"chess:network:Network", "chess:observability:Observability", "chess:rds:Database", "chess:rotation:Rotation", "chess:waf:WAF",
			}, components, "every component is created once")
		})
	}
}

// TestSecurityGroupGraph: the groups' rules, extracted from the recorded rule resources, are
// exactly the design's graph, and each load balancer and service sits in its design group.
func TestSecurityGroupGraph(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, cfg := deploy(t, name)
			in, out, err := controls.Graph(m)
			require.NoError(t, err)
			wantIn, wantOut := controls.DesignGraph(networkParams(cfg))
			assert.Equal(t, wantIn, in)
			assert.Equal(t, wantOut, out)
			var b strings.Builder
			for _, e := range in {
				fmt.Fprintf(&b, "  ingress %s\n", e)
			}
			for _, e := range out {
				fmt.Fprintf(&b, "  egress  %s\n", e)
			}
			t.Logf("%s security-group graph:\n%s", name, b.String())

			groups := map[string]string{}
			for _, sg := range m.ByType(controls.TSecurityGroup) {
				groups[sg.ID] = strings.TrimSuffix(strings.TrimPrefix(sg.Name, "network-"), "-sg")
			}
			attached := map[string][]string{}
			for _, lb := range m.ByType(controls.TLoadBalancer) {
				for _, id := range lb.Strings("securityGroups") {
					attached[lb.Name] = append(attached[lb.Name], groups[id])
				}
			}
			for _, s := range m.ByType(controls.TService) {
				for _, id := range s.Strings("networkConfiguration.securityGroups") {
					attached[s.Name] = append(attached[s.Name], groups[id])
				}
			}
			assert.Equal(t, map[string][]string{
				"ecs-services-alb": {"alb"}, "ecs-services-nlb": {"nlb"}, "ecs-services-web": {"web"}, "ecs-services-backend": {"backend"},
			}, attached)
		})
	}
}

// wiring holds awaited outputs of the whole stack.
type wiring struct {
	outputs                                                map[string]any
	secretOutputs                                          []string
	albArn, nlbArn, nlbDNS, cfAclArn, regionalAclArn       string
	tokenKeyArn, sharedArn, apiKeyArn, mgmtEndpoint, wsURL string
	authorizerID, stageExecArn, originVerify, vpcLinkID    string
	connections                                            []string
	originVerifySecret                                     bool
}

func await(t *testing.T, name string) (*infratest.Mocks, *config.Config, wiring) {
	t.Helper()
	var w wiring
	var s *stack.Stack
	var cfg *config.Config
	m := infratest.NewMocks()
	m.Run(t, func(ctx *pulumi.Context) error {
		if err := program(&s, &cfg)(ctx); err != nil {
			return err
		}
		w.outputs = map[string]any{}
		for name, in := range s.Outputs() {
			r, err := infratest.AwaitResult[any](ctx, pulumi.ToOutput(in))
			if err != nil {
				return fmt.Errorf("output %s: %w", name, err)
			}
			if r.Secret {
				w.secretOutputs = append(w.secretOutputs, name)
			}
			w.outputs[name] = r.Value
		}
		strs := []struct {
			dst *string
			out pulumi.StringOutput
		}{
			{&w.albArn, s.Services.ALBARN}, {&w.nlbArn, s.Services.NLBARN}, {&w.nlbDNS, s.Services.NLBDNSName},
			{&w.cfAclArn, s.WAF.CloudfrontACLARN}, {&w.regionalAclArn, s.WAF.RegionalACLARN},
			{&w.tokenKeyArn, s.API.TokenKeySecretARN}, {&w.sharedArn, s.API.SharedSecretARN}, {&w.apiKeyArn, s.API.SecretsKMSKeyARN},
			{&w.mgmtEndpoint, s.API.ManagementEndpoint}, {&w.wsURL, s.API.WebSocketURL},
			{&w.authorizerID, s.API.Authorizer.ID().ToStringOutput()}, {&w.stageExecArn, s.API.Stage.ExecutionArn},
			{&w.vpcLinkID, s.API.VPCLinkID},
		}
		for _, f := range strs {
			v, err := infratest.Await[string](ctx, f.out)
			if err != nil {
				return err
			}
			*f.dst = v
		}
		ov, err := infratest.AwaitResult[string](ctx, s.Services.OriginVerifyValue)
		if err != nil {
			return err
		}
		w.originVerify, w.originVerifySecret = ov.Value, ov.Secret
		w.connections, err = infratest.Await[[]string](ctx, s.API.ConnectionsARNs)
		return err
	}, infratest.WithStack(name), infratest.WithConfig(deployed(t, name)))
	return m, cfg, w
}

// TestWiring checks the cross-component wiring of the whole stack through awaited outputs.
func TestWiring(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, cfg, w := await(t, name)
			out := w.outputs
			assert.Empty(t, w.secretOutputs, "no stack output is secret")

			// The backend's task definition injects exactly the stores' and the API's secrets.
			backend := containers(t, m, cfg.Name()+"-backend")[ecsservices.ContainerBackend]
			secrets := kv(backend, "secrets", "valueFrom")
			env := kv(backend, "environment", "value")
			dbSecret := out["dbSecretArn"].(string)
			assert.Equal(t, map[string]string{
				"REDIS_PASSWORD":      out["redisAuthSecretArn"].(string),
				"TOKEN_KEY":           w.tokenKeyArn + ":current::",
				"TOKEN_KEY_NEXT":      w.tokenKeyArn + ":next::",
				"TOKEN_KEYS_PREVIOUS": w.tokenKeyArn + ":previous::",
				"APIGW_SHARED_SECRET": w.sharedArn,
			}, secrets)
			// The backend signs in as the application role with IAM tokens; the master secret
			// is injected into the backend task's migrate init container alone.
			assert.Equal(t, "chess_app", env["DB_USER"])
			assert.Equal(t, "true", env["DB_IAM_AUTH"])
			assert.Equal(t, "false", env["DB_MIGRATE"])
			assert.NotContains(t, env, "DB_SECRET_ARN")
			migrate := containers(t, m, cfg.Name()+"-backend")[ecsservices.ContainerMigrate]
			assert.Equal(t, map[string]string{"DB_USER": dbSecret + ":username::", "DB_PASSWORD": dbSecret + ":password::"},
				kv(migrate, "secrets", "valueFrom"))
			for _, s := range taskRoles(t, m, cfg.Name()+"-backend").Statement {
				for _, res := range s.Resource {
					assert.NotEqual(t, dbSecret, res, "the backend task role cannot read the master secret")
				}
			}
			resID, _ := m.One(t, controls.TRDSInstance).Output("resourceId")
			var connect []string
			for _, s := range taskRoles(t, m, cfg.Name()+"-backend").Statement {
				if slices.Contains(s.Action, "rds-db:connect") {
					connect = append(connect, s.Resource...)
				}
			}
			assert.Equal(t, []string{"arn:aws:rds-db:eu-west-1:123456789012:dbuser:" + resID.StringValue() + "/chess_app"}, connect)
			var rotated []string
			for _, r := range m.ByType(controls.TSecretRotation) {
				id, _ := r.Str("secretId")
				rotated = append(rotated, id)
			}
			// The operator secret is the one the web task gets; its rotation redeploys the web
			// service, the others' the backend.
			webTask := containers(t, m, cfg.Name()+"-web")[ecsservices.ContainerWeb]
			operatorArn := kv(webTask, "secrets", "valueFrom")[ecsservices.OperatorSecretEnv]
			require.NotEmpty(t, operatorArn)
			assert.ElementsMatch(t, []string{w.tokenKeyArn, out["redisAuthSecretArn"].(string), operatorArn}, rotated)
			rotators := infratest.ByOutput(m, controls.TFunction, "name", cfg.Name()+"-secret-rotator")
			require.Len(t, rotators, 1)
			for k, service := range map[string]string{"ECS_WEB_SERVICE": "web", "ECS_SERVICE": "backend", "OPERATOR_SECRET_ARN": ""} {
				got, _ := rotators[0].Str("environment.variables." + k)
				if service == "" {
					assert.Equal(t, operatorArn, got, k)
					continue
				}
				assert.Equal(t, service, got, k)
				assert.Len(t, infratest.ByOutput(m, controls.TService, "name", got), 1, "%s names a service of the stack", k)
			}
			assert.Equal(t, out["dbEndpoint"], env["DB_HOST"])
			assert.Equal(t, "5432", env["DB_PORT"])
			assert.Equal(t, cfg.Database.Name, env["DB_NAME"])
			assert.Equal(t, "verify-full", env["DB_SSLMODE"])
			assert.Equal(t, "/etc/ssl/certs/rds-global-bundle.pem", env["DB_SSLROOTCERT"])
			assert.Equal(t, fmt.Sprintf("%s:6379", out["redisEndpoint"]), env["REDIS_ADDR"])
			assert.Equal(t, "true", env["REDIS_TLS"])
			assert.Equal(t, w.mgmtEndpoint, env["APIGW_MANAGEMENT_ENDPOINT"])
			assert.Equal(t, "https://"+out["apiId"].(string)+".execute-api.eu-west-1.amazonaws.com/"+cfg.Gateway.StageName, w.mgmtEndpoint)
			assert.Equal(t, domainOf(name), env["ALLOWED_ORIGINS"])
			assert.Equal(t, "production", env["CHESS_ENV"])
			assert.Equal(t, "eu-west-1", env["AWS_REGION"])
			assert.Equal(t, ":8080", env["LISTEN_ADDR"])

			// The backend task role may manage exactly the stage's @connections.
			assert.Equal(t, []string{w.stageExecArn + "/POST/@connections/*", w.stageExecArn + "/GET/@connections/*", w.stageExecArn + "/DELETE/@connections/*"}, w.connections)
			roles := taskRoles(t, m, cfg.Name()+"-backend")
			var granted []string
			for _, s := range roles.Statement {
				if slices.Contains(s.Action, "execute-api:ManageConnections") {
					granted = append(granted, s.Resource...)
				}
			}
			assert.Equal(t, w.connections, granted)

			// The web app hands browsers the stage's wss:// URL.
			web := containers(t, m, cfg.Name()+"-web")[ecsservices.ContainerWeb]
			assert.Equal(t, w.wsURL, kv(web, "environment", "value")["CHESS_WS_URL"])
			assert.Equal(t, out["webSocketUrl"], w.wsURL)
			assert.Equal(t, "wss://"+out["apiId"].(string)+".execute-api.eu-west-1.amazonaws.com/"+cfg.Gateway.StageName, w.wsURL)

			// The REGIONAL web ACL is associated with the ALB; the distribution carries the
			// CLOUDFRONT ACL's ARN.
			assoc := m.One(t, "aws:wafv2/webAclAssociation:WebAclAssociation")
			assert.Equal(t, w.albArn, str(assoc, "resourceArn"))
			assert.Equal(t, w.regionalAclArn, str(assoc, "webAclArn"))
			dist := m.One(t, "aws:cloudfront/distribution:Distribution")
			assert.Equal(t, w.cfAclArn, str(dist, "webAclId"))
			assert.Contains(t, w.cfAclArn, ":global/webacl/", "the CLOUDFRONT-scope ACL")
			assert.Equal(t, out["cloudfrontWebAclArn"], w.cfAclArn)

			// CloudFront sends the origin-verify value the ALB requires, to origin.<domain>.
			require.True(t, w.originVerifySecret)
			var sent []string
			for i := 0; i < dist.Len("origins"); i++ {
				for j := 0; j < dist.Len(fmt.Sprintf("origins[%d].customHeaders", i)); j++ {
					if n, _ := dist.Str(fmt.Sprintf("origins[%d].customHeaders[%d].name", i, j)); n == ecsservices.OriginVerifyHeader {
						v, _ := dist.Str(fmt.Sprintf("origins[%d].customHeaders[%d].value", i, j))
						sent = append(sent, v)
						d, _ := dist.Str(fmt.Sprintf("origins[%d].domainName", i))
						assert.Equal(t, "origin."+domainOf(name), d)
					}
				}
			}
			require.NotEmpty(t, sent)
			for _, v := range sent {
				assert.Equal(t, w.originVerify, v)
			}
			for _, r := range m.ByType(controls.TListenerRule) {
				if v := r.Strings("conditions[1].httpHeader.values"); len(v) > 0 {
					assert.Equal(t, []string{w.originVerify}, v, r.Name)
				}
			}

			// $connect is behind the authorizer; every integration goes through the VPC link
			// to the NLB with the connection id mapped.
			for _, r := range m.ByType(controls.TApiRoute) {
				key := str(r, "routeKey")
				if key == "$connect" {
					assert.Equal(t, "CUSTOM", str(r, "authorizationType"))
					assert.Equal(t, w.authorizerID, str(r, "authorizerId"))
				} else {
					assert.Equal(t, "NONE", str(r, "authorizationType"), key)
				}
			}
			link := m.One(t, controls.TVpcLink)
			assert.Equal(t, w.nlbArn, str(link, "targetArn"))
			assert.Equal(t, w.vpcLinkID, link.ID)
			for _, r := range m.ByType(controls.TIntegration) {
				assert.Equal(t, w.vpcLinkID, str(r, "connectionId"))
				assert.Regexp(t, `^http://`+w.nlbDNS+`:8080/apigw/(connect|message|disconnect)$`, str(r, "integrationUri"))
				params, _ := r.Get("requestParameters")
				assert.Equal(t, "context.connectionId", params.ObjectValue()["integration.request.header.connectionId"].StringValue())
			}

			// Stack outputs an operator uses.
			assert.Equal(t, "https://"+domainOf(name), out["siteUrl"])
			assert.Equal(t, w.albArn != "", out["albDnsName"] != "")
			repos, _ := out["ecrRepositoryUrls"].(map[string]string)
			assert.Equal(t, map[string]string{
				"web":     "123456789012.dkr.ecr.eu-west-1.amazonaws.com/" + cfg.Name() + "/web",
				"backend": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/" + cfg.Name() + "/backend",
				"utility": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/" + cfg.Name() + "/utility",
			}, repos)
			assert.Contains(t, out["dashboardUrl"], "console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards")
			assert.Regexp(t, `^arn:aws:sns:eu-west-1:123456789012:`, out["alarmTopicArn"])
			assert.Len(t, out, 33)
		})
	}
}

// TestWebTaskSidecars (issue 6): the web task runs both utility sidecars next to Next.js, sharing
// the reports volume (written by the sidecars, read-only for the web app), every root
// filesystem read-only, and the task role grants only read actions.
func TestWebTaskSidecars(t *testing.T) {
	m, cfg := deploy(t, "prod")
	cs := containers(t, m, cfg.Name()+"-web")
	require.Equal(t, []string{"health-check", "list-services", "web"}, sortedKeys(cs))

	td := infratest.ByOutput(m, controls.TTaskDef, "family", cfg.Name()+"-web")[0]
	var volumes []string
	for i := 0; i < td.Len("volumes"); i++ {
		v, _ := td.Str(fmt.Sprintf("volumes[%d].name", i))
		volumes = append(volumes, v)
	}
	assert.ElementsMatch(t, []string{"reports", "next-cache", "tmp"}, volumes)

	mount := func(c map[string]any, volume string) (string, bool, bool) {
		for _, mp := range c["mountPoints"].([]any) {
			p := mp.(map[string]any)
			if p["sourceVolume"] == volume {
				return p["containerPath"].(string), p["readOnly"].(bool), true
			}
		}
		return "", false, false
	}
	for name, c := range cs {
		assert.Equal(t, true, c["readonlyRootFilesystem"], name)
		assert.Equal(t, false, c["privileged"], name)
		path, ro, ok := mount(c, "reports")
		require.True(t, ok, "%s mounts the reports volume", name)
		assert.Equal(t, "/var/run/chess-reports", path, name)
		assert.Equal(t, name == "web", ro, "%s: only the web app mounts the reports read-only", name)
	}
	for _, sidecar := range []string{"health-check", "list-services"} {
		c := cs[sidecar]
		assert.Equal(t, false, c["essential"], sidecar)
		assert.Equal(t, "10001:10001", c["user"], sidecar)
		assert.Equal(t, true, c["linuxParameters"].(map[string]any)["initProcessEnabled"], sidecar)
		assert.GreaterOrEqual(t, c["stopTimeout"], float64(10), sidecar)
		assert.Empty(t, c["portMappings"], sidecar)
	}
	assert.Equal(t, []any{"health-check.sh", "--interval", "30", "--timeout", "5", "--window", "120", "--threshold", "0.95",
		"--output", "/var/run/chess-reports/health.json", "http://localhost:3000/api/config",
		"https://chess.example.com/healthz", "https://chess.example.com/readyz"}, cs["health-check"]["command"])
	assert.Equal(t, []any{"list-services.sh", "--region", "eu-west-1", "--project", "chess-platform", "--stack", "prod",
		"--interval", "300", "--output", "/var/run/chess-reports/services.json"}, cs["list-services"]["command"])
	for _, p := range []string{"/app/.next/cache", "/tmp"} {
		found := false
		for _, mp := range cs["web"]["mountPoints"].([]any) {
			if mp.(map[string]any)["containerPath"] == p && mp.(map[string]any)["readOnly"] == false {
				found = true
			}
		}
		assert.True(t, found, "web has a writable %s", p)
	}

	doc := taskRoles(t, m, cfg.Name()+"-web")
	var actions []string
	for _, s := range doc.Statement {
		require.Equal(t, "Allow", s.Effect)
		actions = append(actions, s.Action...)
	}
	sort.Strings(actions)
	t.Logf("web task role actions (%d): %s", len(actions), strings.Join(actions, " "))
	for _, a := range actions {
		op := a[strings.Index(a, ":")+1:]
		assert.True(t, a == "apigateway:GET" || strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Get"),
			"%s is not a read action", a)
	}
	readOnly := controlNamed(t, "IAM.READONLY")
	require.NoError(t, readOnly.Check(m))
}

// TestPolicyWalk walks every policy document of the stack and prints what it walked.
func TestPolicyWalk(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			m, _ := deploy(t, name)
			docs, err := controls.PolicyDocuments(recorded(m))
			require.NoError(t, err)
			kinds := map[string]int{}
			var errs []error
			for _, d := range docs {
				kinds[d.Kind]++
				errs = append(errs, controls.CheckPolicy(d))
			}
			require.NoError(t, errors.Join(errs...))
			t.Logf("%s: %d policy documents walked: %v", name, len(docs), kinds)
			for _, k := range []string{controls.KindIdentity, controls.KindResource, controls.KindTrust} {
				assert.Positive(t, kinds[k], k)
			}
			roles := len(m.ByType(controls.TRole))
			assert.Equal(t, roles, kinds[controls.KindTrust], "every role's trust policy is walked")
		})
	}
	var star []string
	for a, why := range controls.StarOnlyActions {
		star = append(star, a+": "+why)
	}
	sort.Strings(star)
	t.Logf("actions allowed on \"*\":\n  %s", strings.Join(star, "\n  "))
}

// TestInvalidConfigCreatesNothing: a bad value of a services, edge or API key stops the program
// before any resource or lookup exists, with an error naming the key.
func TestInvalidConfigCreatesNothing(t *testing.T) {
	cases := []struct{ key, value string }{
		{"azCount", "1"},
		{"webMemory", "4096"},
		{"backendImage", "nginx:latest"},
		{"webImage", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-dev/web:v1"},
		{"backendMinTasks", "0"},
		{"wsTransport", "polling"},
		{"domain", "Chess Example"},
		{"hostedZoneId", "not-a-zone"},
		{"albIdleTimeoutSeconds", "20"},
		{"apiLoggingLevel", "OFF"},
		{"apiStageName", "$default"},
		{"authorizerZip", "dist/ws-authorizer"},
		{"wafRateWindowSeconds", "45"},
		{"cdnCertificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			cfg := deployed(t, "dev")
			cfg[config.Project+":"+c.key] = c.value
			m, err := infratest.RunErr(program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "chess-platform:"+c.key)
			assert.Empty(t, m.Resources())
			assert.Empty(t, m.Calls(), "not even a lookup runs")
		})
	}
}

// TestImageFromAnotherRepository: an image outside the stack's repositories is refused (the
// execution role may pull only those).
func TestImageFromAnotherRepository(t *testing.T) {
	cfg := deployed(t, "dev")
	cfg[config.Project+":backendImage"] = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/somebody-else/backend@" + digest
	_, err := infratest.RunErr(program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chess-platform-dev/backend, the repository this stack creates")
}

// TestUpWithoutDomain: the committed stack files name no domain; `pulumi up` stops before
// creating anything, with the keys to set.
func TestUpWithoutDomain(t *testing.T) {
	cfg := infratest.StackConfig(t, "dev")
	cfg[config.Project+":authorizerZip"] = authorizerZip(t)
	cfg[config.Project+":rotatorZip"] = authorizerZip(t)
	m, err := infratest.RunErr(program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg))
	require.ErrorIs(t, err, stack.ErrNoDomain)
	assert.Contains(t, err.Error(), "chess-platform:domain")
	assert.Empty(t, m.Resources())
}

// TestPreviewCommittedStacks: `pulumi preview` of the committed stack files (no domain yet)
// with the build artifacts succeeds; the HTTPS listener's certificate and CloudFront's aliases
// wait for the domain, and the images are planned as builds.
func TestPreviewCommittedStacks(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			cfg := artifacts(t, infratest.StackConfig(t, name))
			m := infratest.NewMocks()
			m.Run(t, program(nil, nil), infratest.WithStack(name), infratest.WithConfig(cfg), infratest.DryRun())
			var https infratest.Resource
			for _, l := range m.ByType(controls.TListener) {
				if p, _ := l.Str("protocol"); p == "HTTPS" {
					https = l
				}
			}
			assert.False(t, https.Has("certificateArn"), "the certificate is unknown until a domain is set")
			assert.Empty(t, m.ByType("aws:acm/certificate:Certificate"))
			assert.Len(t, m.ByType(ecsservices.ImageType), 3, "the three images are built by up")
		})
	}
}

// TestDirectTransport: with wsTransport=direct the web app hands out /ws on the site.
func TestDirectTransport(t *testing.T) {
	cfg := deployed(t, "prod")
	cfg[config.Project+":wsTransport"] = "direct"
	m := infratest.NewMocks()
	m.Run(t, program(nil, nil), infratest.WithStack("prod"), infratest.WithConfig(cfg))
	env := kv(containers(t, m, "chess-platform-prod-web")["web"], "environment", "value")
	assert.Equal(t, "wss://chess.example.com/ws", env["CHESS_WS_URL"])
	assert.Equal(t, "direct", env["CHESS_WS_TRANSPORT"])
}

// TestExistingCertificates: with albCertificateArn and cdnCertificateArn (DNS managed
// elsewhere) the stack creates no certificate and no record, and uses both.
func TestExistingCertificates(t *testing.T) {
	const albCert = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	const cdnCert = "arn:aws:acm:us-east-1:123456789012:certificate/9a1b2c3d-4e5f-6789-abcd-ef0123456789"
	cfg := deployed(t, "prod")
	delete(cfg, config.Project+":hostedZoneId")
	cfg[config.Project+":albCertificateArn"] = albCert
	cfg[config.Project+":cdnCertificateArn"] = cdnCert
	m := infratest.NewMocks()
	m.Run(t, program(nil, nil), infratest.WithStack("prod"), infratest.WithConfig(cfg))
	assert.Empty(t, m.ByType("aws:acm/certificate:Certificate"))
	assert.Empty(t, m.ByType("aws:route53/record:Record"))
	for _, l := range m.ByType(controls.TListener) {
		if p, _ := l.Str("protocol"); p == "HTTPS" {
			assert.Equal(t, albCert, str(l, "certificateArn"))
		}
	}
	dist := m.One(t, "aws:cloudfront/distribution:Distribution")
	assert.Equal(t, cdnCert, str(dist, "viewerCertificate.acmCertificateArn"))
	var origins []string
	for i := 0; i < dist.Len("origins"); i++ {
		origins = append(origins, str(dist, fmt.Sprintf("origins[%d].domainName", i)))
	}
	assert.Contains(t, origins, "origin.chess.example.com")
}

func controlNamed(t *testing.T, prefix string) controls.Control {
	t.Helper()
	for _, c := range allControls(config.Defaults(config.Project, "prod")) {
		if strings.HasPrefix(c.ID, prefix) {
			return c
		}
	}
	t.Fatalf("no control %s", prefix)
	return controls.Control{}
}

func str(r infratest.Resource, path string) string {
	v, _ := r.Str(path)
	return v
}
