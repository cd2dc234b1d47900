package apigwwebsocket_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/apigwwebsocket"
	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
	"chessplatform/infra/kmskey"
)

func zipFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ws-authorizer.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	e, err := w.Create("bootstrap")
	require.NoError(t, err)
	_, err = e.Write([]byte("stand-in"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	return path
}

var tags = map[string]string{"Project": "chess-platform", "Stack": "test", "Component": "apigw-websocket", "ManagedBy": "pulumi"}

// fixture creates what observability and ecs-services give the API: the logs key (which
// admits the API's log groups) and the internal NLB.
type fixture struct {
	logsKey, nlbArn, nlbDNS pulumi.StringOutput
}

func newFixture(ctx *pulumi.Context, a awsenv.Account) (*fixture, error) {
	key, err := kmskey.New(ctx, "logs-key", &kmskey.Args{
		Account: a, Description: "test logs", Alias: "chess-platform-test/logs", DeletionWindowDays: 30,
		Grants: []kmskey.ServiceGrant{kmskey.LogsGrant(a, "/chess-platform-test/")}, Tags: tags,
	})
	if err != nil {
		return nil, err
	}
	nlb, err := lb.NewLoadBalancer(ctx, "nlb", &lb.LoadBalancerArgs{
		LoadBalancerType: pulumi.String("network"), Internal: pulumi.Bool(true), Tags: awsenv.Tags(tags, "nlb"),
	})
	if err != nil {
		return nil, err
	}
	return &fixture{logsKey: key.ARN, nlbArn: nlb.Arn, nlbDNS: nlb.DnsName}, nil
}

func apiArgs(a awsenv.Account, f *fixture, zipPath string) *apigwwebsocket.Args {
	return &apigwwebsocket.Args{Common: component.Common{Account: a, NamePrefix: "chess-platform-test", LogRetentionDays: 365, KMSDeletionWindowDays: 30, Tags: tags}, StageName: "live", AuthorizerZip: zipPath,
		LogsKMSKeyARN: f.logsKey, ManageAccountRole: true,
		ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500, LoggingLevel: "ERROR",
	}
}

type built struct {
	api                                        *apigwwebsocket.API
	apiID, wsURL, mgmt, tokenArn, execLogGroup string
	connections                                []string
}

func build(t *testing.T, mutate func(*apigwwebsocket.Args)) (*infratest.Mocks, built) {
	t.Helper()
	zipPath := zipFile(t)
	var b built
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		f, err := newFixture(ctx, a)
		if err != nil {
			return err
		}
		args := apiArgs(a, f, zipPath)
		if mutate != nil {
			mutate(args)
		}
		api, err := apigwwebsocket.New(ctx, "websocket", args)
		if err != nil {
			return err
		}
		if err := api.Connect(ctx, &apigwwebsocket.ConnectArgs{NLBARN: f.nlbArn, NLBDNSName: f.nlbDNS, BackendPort: 8080}); err != nil {
			return err
		}
		b.api = api
		for _, o := range []struct {
			dst *string
			out pulumi.StringOutput
		}{{&b.apiID, api.APIID}, {&b.wsURL, api.WebSocketURL}, {&b.mgmt, api.ManagementEndpoint}, {&b.tokenArn, api.TokenKeySecretARN}, {&b.execLogGroup, api.ExecutionLogGroup}} {
			if *o.dst, err = infratest.Await[string](ctx, o.out); err != nil {
				return err
			}
		}
		b.connections, err = infratest.Await[[]string](ctx, api.ConnectionsARNs)
		return err
	})
	return m, b
}

func apiControls() []controls.Control {
	var cs []controls.Control
	for _, l := range [][]controls.Control{controls.APIGateway(), controls.KMS(), controls.Logs(), controls.Secrets(), controls.IAM(), controls.Tags()} {
		cs = append(cs, l...)
	}
	return cs
}

// TestAPISecurity enforces the API Gateway, key, log, secret, IAM and tag controls on the
// component, and proves each can fail.
func TestAPISecurity(t *testing.T) {
	m, _ := build(t, nil)
	controls.Require(t, m, append(apiControls(), controls.PolicyWalk()...))
	// The policy walk's break cases include a bucket policy, which this component has none of;
	// the whole-stack test breaks it.
	controls.Breakable(t, m.Snapshot(), apiControls())
}

// TestRoutesAndIntegrations: exactly the README's settings.
func TestRoutesAndIntegrations(t *testing.T) {
	m, b := build(t, nil)
	api := m.One(t, controls.TApi)
	assert.Equal(t, "WEBSOCKET", str(api, "protocolType"))
	assert.Equal(t, "$request.body.t", str(api, "routeSelectionExpression"))

	integ := map[string]infratest.Resource{}
	for _, r := range m.ByType(controls.TIntegration) {
		integ[r.ID] = r
	}
	link := m.One(t, controls.TVpcLink)
	want := map[string]struct {
		path    string
		timeout int
	}{"$connect": {"/apigw/connect", 10000}, "$default": {"/apigw/message", 29000}, "ping": {"/apigw/message", 29000}, "$disconnect": {"/apigw/disconnect", 10000}}
	responses := m.ByType(controls.TRouteResp)
	require.Len(t, responses, 1, "one route response: ping's")
	for _, r := range m.ByType(controls.TApiRoute) {
		key := str(r, "routeKey")
		w, ok := want[key]
		require.True(t, ok, key)
		target := strings.TrimPrefix(str(r, "target"), "integrations/")
		i, ok := integ[target]
		require.True(t, ok, "%s targets integration %s", key, target)
		assert.Equal(t, "HTTP_PROXY", str(i, "integrationType"))
		assert.Equal(t, "POST", str(i, "integrationMethod"))
		assert.Equal(t, "VPC_LINK", str(i, "connectionType"))
		assert.Equal(t, link.ID, str(i, "connectionId"))
		assert.Regexp(t, `^http://internal-nlb-.*\.elb\.eu-west-1\.amazonaws\.com:8080`+regexp.QuoteMeta(w.path)+`$`, str(i, "integrationUri"))
		n, _ := i.Int("timeoutMilliseconds")
		assert.Equal(t, w.timeout, n, key)
		params := map[string]string{}
		v, _ := i.Get("requestParameters")
		for k, pv := range v.ObjectValue() {
			for pv.IsSecret() {
				pv = pv.SecretValue().Element
			}
			params[string(k)] = pv.StringValue()
		}
		secret := params["integration.request.header.X-Chess-Gateway-Secret"]
		require.Regexp(t, `^'[A-Za-z0-9]{80}'$`, secret, "static quoted secret")
		assert.Equal(t, apigwwebsocket.RequestParameters(key, strings.Trim(secret, "'")), params)
		assert.True(t, i.IsSecret("requestParameters"), "the shared secret is secret in state")
		if key == "ping" {
			// Two-way: the route response passes the backend's answer (the pong) to the
			// client, and the integration tells the backend so.
			assert.Equal(t, "$default", str(r, "routeResponseSelectionExpression"))
			assert.Equal(t, r.ID, str(responses[0], "routeId"))
			assert.Equal(t, "$default", str(responses[0], "routeResponseKey"))
			assert.Equal(t, api.ID, str(responses[0], "apiId"))
			assert.Equal(t, "'body'", params["integration.request.header.X-Chess-Route-Response"])
			assert.Len(t, params, 3, key)
		} else {
			assert.Empty(t, str(r, "routeResponseSelectionExpression"), "%s is one-way: its answer never reaches the client", key)
		}
		if key == "$connect" {
			assert.Equal(t, "context.authorizer.token", params["integration.request.header.X-Chess-Token"])
			assert.Equal(t, "context.authorizer.principalId", params["integration.request.header.X-Chess-Player"])
			assert.Equal(t, "context.identity.sourceIp", params["integration.request.header.X-Chess-Client-Ip"])
		} else if key != "ping" {
			assert.Len(t, params, 2, key)
		}
		delete(want, key)
	}
	assert.Empty(t, want, "every route exists")

	// The README's table, restated.
	assert.Equal(t, map[string]string{
		"integration.request.header.connectionId":           "context.connectionId",
		"integration.request.header.X-Chess-Gateway-Secret": "'s3cr3t'",
		"integration.request.header.X-Chess-Token":          "context.authorizer.token",
		"integration.request.header.X-Chess-Player":         "context.authorizer.principalId",
		"integration.request.header.X-Chess-Client-Ip":      "context.identity.sourceIp",
	}, apigwwebsocket.RequestParameters("$connect", "s3cr3t"))

	assert.Equal(t, "wss://"+b.apiID+".execute-api.eu-west-1.amazonaws.com/live", b.wsURL)
	assert.Equal(t, "https://"+b.apiID+".execute-api.eu-west-1.amazonaws.com/live", b.mgmt)
	base := "arn:aws:execute-api:eu-west-1:123456789012:" + b.apiID + "/live/"
	assert.Equal(t, []string{base + "POST/@connections/*", base + "GET/@connections/*", base + "DELETE/@connections/*"}, b.connections)
	assert.Equal(t, "API-Gateway-Execution-Logs_"+b.apiID+"/live", b.execLogGroup)

	// The stage serves the deployment, which follows the routes.
	stage := m.One(t, controls.TStage)
	dep := m.One(t, controls.TDeployment)
	assert.Equal(t, dep.ID, str(stage, "deploymentId"))
	assert.True(t, dep.IsSecret("triggers"), "the fingerprint covers the shared secret")
	var routes, routeResponses int
	for _, d := range dep.Dependencies {
		if strings.Contains(d, "aws:apigatewayv2/route:Route::") {
			routes++
		}
		if strings.Contains(d, "aws:apigatewayv2/routeResponse:RouteResponse::") {
			routeResponses++
		}
	}
	assert.Equal(t, 4, routes, "the deployment waits for the routes")
	assert.Equal(t, 1, routeResponses, "and for the route response")
}

// TestAuthorizer: the Lambda is the README's (runtime, architecture, handler, memory, timeout,
// the secret's ARN and never the key in its environment) with a role limited to its log group
// and the key.
func TestAuthorizer(t *testing.T) {
	m, b := build(t, nil)
	fn := m.One(t, controls.TFunction)
	assert.Equal(t, "provided.al2023", str(fn, "runtime"))
	assert.Equal(t, []string{"arm64"}, fn.Strings("architectures"))
	assert.Equal(t, "bootstrap", str(fn, "handler"))
	mem, _ := fn.Int("memorySize")
	timeout, _ := fn.Int("timeout")
	assert.Equal(t, [2]int{128, 5}, [2]int{mem, timeout})
	assert.Equal(t, b.tokenArn, str(fn, "environment.variables.TOKEN_KEY_SECRET_ARN"))
	assert.False(t, fn.Has("environment.variables.TOKEN_KEY"), "the key itself never goes into the function's configuration")
	assert.Equal(t, "/chess-platform-test/lambda/ws-authorizer", str(fn, "loggingConfig.logGroup"))
	code, ok := fn.Get("code")
	require.True(t, ok)
	assert.True(t, code.IsArchive(), "code is the authorizer zip")

	auth := m.One(t, controls.TAuthorizer)
	assert.Equal(t, "REQUEST", str(auth, "authorizerType"))
	assert.Equal(t, []string{"route.request.querystring.token"}, auth.Strings("identitySources"))
	out, _ := fn.Output("invokeArn")
	assert.Equal(t, out.StringValue(), str(auth, "authorizerUri"))

	perm := m.One(t, controls.TPermission)
	assert.Equal(t, "arn:aws:execute-api:eu-west-1:123456789012:"+b.apiID+"/authorizers/"+auth.ID, str(perm, "sourceArn"))
	assert.Equal(t, "123456789012", str(perm, "sourceAccount"))

	var role infratest.Resource
	for _, p := range m.ByType(controls.TRolePolicy) {
		if str(p, "name") == "ws-authorizer" {
			role = p
		}
	}
	doc, err := role.Policy("policy")
	require.NoError(t, err)
	var actions []string
	for _, s := range doc.Statement {
		actions = append(actions, s.Action...)
	}
	assert.ElementsMatch(t, []string{"logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "kms:Decrypt"}, actions)
	assert.Equal(t, []string{b.tokenArn}, []string(doc.Statement[1].Resource))
}

// TestAccountRoleSwitch: an account that manages its API Gateway CloudWatch role elsewhere gets
// no apigateway.Account and no role from this stack.
func TestAccountRoleSwitch(t *testing.T) {
	m, _ := build(t, nil)
	assert.Len(t, m.ByType(controls.TApiAccount), 1)
	att := m.One(t, controls.TRoleAttachment)
	assert.Equal(t, "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs", str(att, "policyArn"))

	m, _ = build(t, func(a *apigwwebsocket.Args) { a.ManageAccountRole = false })
	assert.Empty(t, m.ByType(controls.TApiAccount))
	assert.Empty(t, m.ByType(controls.TRoleAttachment))
	assert.Len(t, m.ByType(controls.TRole), 1, "only the authorizer's role")
}

// TestArgsValidation: bad args create nothing.
func TestArgsValidation(t *testing.T) {
	notZip := filepath.Join(t.TempDir(), "bootstrap")
	require.NoError(t, os.WriteFile(notZip, []byte("#!/bin/sh"), 0o600))
	cases := []struct {
		name   string
		mutate func(*apigwwebsocket.Args)
		want   string
	}{
		{"missing package", func(a *apigwwebsocket.Args) { a.AuthorizerZip = filepath.Join(t.TempDir(), "none.zip") }, "run make build-authorizer"},
		{"not a zip", func(a *apigwwebsocket.Args) { a.AuthorizerZip = notZip }, "is not a zip file"},
		{"bad stage", func(a *apigwwebsocket.Args) { a.StageName = "$default" }, "StageName"},
		{"logging off", func(a *apigwwebsocket.Args) { a.LoggingLevel = "OFF" }, "LoggingLevel"},
		{"no throttling", func(a *apigwwebsocket.Args) { a.ThrottlingRateLimit = 0 }, "throttling"},
		{"no logs key", func(a *apigwwebsocket.Args) { a.LogsKMSKeyARN = nil }, "LogsKMSKeyARN"},
	}
	zipPath := zipFile(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				args := apiArgs(awsenv.Account{ID: "123456789012", Region: "eu-west-1", Partition: "aws", DNSSuffix: "amazonaws.com"},
					&fixture{logsKey: pulumi.String("arn:aws:kms:eu-west-1:123456789012:key/logs").ToStringOutput()}, zipPath)
				c.mutate(args)
				_, err := apigwwebsocket.New(ctx, "websocket", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.Resources(), "nothing is created")
		})
	}
}

// TestConnectTwice: the second phase runs once.
func TestConnectTwice(t *testing.T) {
	zipPath := zipFile(t)
	_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		f, err := newFixture(ctx, a)
		if err != nil {
			return err
		}
		api, err := apigwwebsocket.New(ctx, "websocket", apiArgs(a, f, zipPath))
		if err != nil {
			return err
		}
		c := &apigwwebsocket.ConnectArgs{NLBARN: f.nlbArn, NLBDNSName: f.nlbDNS, BackendPort: 8080}
		if err := api.Connect(ctx, c); err != nil {
			return err
		}
		return api.Connect(ctx, c)
	})
	require.ErrorContains(t, err, "Connect called twice")
}

func str(r infratest.Resource, path string) string {
	v, _ := r.Str(path)
	return v
}
