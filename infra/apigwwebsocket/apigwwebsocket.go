// Package apigwwebsocket is the apigw-websocket component: the API Gateway WebSocket API in front of
// the backend, its $connect Lambda REQUEST authorizer, the VPC link (v1) to the internal NLB,
// the HTTP_PROXY integrations and routes the backend expects
// (app/internal/transport/apigw/README.md), and the stage with access and execution logs and
// throttling.
//
// It is built in two phases to break the cycle between the API and the services: New creates
// the API, the authorizer, the session-signing key and the gateway shared secret, and knows the
// stage's URLs and @connections ARNs (the backend needs them); Connect, called once the
// services exist, creates the VPC link to their NLB, the integrations, routes, deployment and
// stage, and registers the outputs. Every API must be connected.
package apigwwebsocket

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/kmskey"
)

// Type is the component's type token.
const Type = "chess:apigwwebsocket:WebSocketAPI"

// Route keys, integration paths and header names of the backend's API Gateway transport
// (app/internal/transport/apigw: RouteConnect..., PathConnect..., HeaderConnectionID...).
const (
	RouteConnect    = "$connect"
	RouteDefault    = "$default"
	RouteDisconnect = "$disconnect"
	// RoutePing takes the client's {"t":"ping"} frames. It is the only two-way route: with a
	// $default route response, API Gateway sends the integration's response body (the
	// backend's pong) to the client, so a ping costs no @connections POST.
	RoutePing = "ping"
	// RouteResponseKey is the only route response key WebSocket APIs support, also used as
	// the route's routeResponseSelectionExpression.
	RouteResponseKey = "$default"

	HeaderConnectionID = "connectionId"
	HeaderSecret       = "X-Chess-Gateway-Secret"
	HeaderToken        = "X-Chess-Token"
	HeaderPlayer       = "X-Chess-Player"
	HeaderClientIP     = "X-Chess-Client-Ip"
	// HeaderRouteResponse (static value RouteResponseBody) tells the backend that its answer's
	// body reaches the client (set on the two-way routes only).
	HeaderRouteResponse = "X-Chess-Route-Response"
	RouteResponseBody   = "body"

	// RouteSelectionExpression: the client's frames carry their type in "t"; pings go to
	// RoutePing, every other frame to $default.
	RouteSelectionExpression = "$request.body.t"
	// IdentitySource: API Gateway answers 401 to a connect without ?token= before invoking
	// the Lambda.
	IdentitySource = "route.request.querystring.token"
)

// Routes lists the routes in creation order.
var Routes = []string{RouteConnect, RouteDefault, RoutePing, RouteDisconnect}

// TwoWayRoutes have a $default route response (app/internal/transport/apigw.TwoWayRoutes).
var TwoWayRoutes = []string{RoutePing}

// IntegrationPaths are the backend paths behind each route.
var IntegrationPaths = map[string]string{
	RouteConnect:    "/apigw/connect",
	RouteDefault:    "/apigw/message",
	RoutePing:       "/apigw/message",
	RouteDisconnect: "/apigw/disconnect",
}

// IntegrationTimeoutsMs: $default and ping may wait for a forward to the connection's owner.
var IntegrationTimeoutsMs = map[string]int{
	RouteConnect:    10000,
	RouteDefault:    29000,
	RoutePing:       29000,
	RouteDisconnect: 10000,
}

// ConnectionMethods are the @connections methods the backend uses: POST pushes frames, GET
// probes silent connections, DELETE disconnects.
var ConnectionMethods = []string{"POST", "GET", "DELETE"}

// Authorizer function settings (README: provided.al2023, arm64, bootstrap, 128 MB, 5 s).
const (
	AuthorizerRuntime      = "provided.al2023"
	AuthorizerArchitecture = "arm64"
	AuthorizerHandler      = "bootstrap"
	AuthorizerMemoryMB     = 128
	AuthorizerTimeoutSec   = 5
)

// Lengths of the generated session key (alphanumeric: it decodes as base64 to 54 bytes, as
// TOKEN_KEY requires at least 32) and shared secret (alphanumeric: safe inside a quoted request
// parameter). Generated values differ anyway; distinct lengths also keep the mocks' generator,
// which is deterministic per argument set, from handing two secrets the same value.
const (
	TokenKeyLength     = 72
	SharedSecretLength = 80
)

// ExecutionLogGroupPrefix is the prefix of the group API Gateway writes execution logs to.
const ExecutionLogGroupPrefix = "API-Gateway-Execution-Logs_"

// AccessLogFormat is the stage's JSON access-log line (under the 3 KB limit).
const AccessLogFormat = `{"requestId":"$context.requestId","requestTime":"$context.requestTime","ip":"$context.identity.sourceIp",` +
	`"routeKey":"$context.routeKey","eventType":"$context.eventType","connectionId":"$context.connectionId",` +
	`"messageId":"$context.messageId","status":"$context.status","integrationStatus":"$context.integrationStatus",` +
	`"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error",` +
	`"principalId":"$context.authorizer.principalId","latency":"$context.integrationLatency"}`

// RequestParameters are the integration request parameters of a route, as the backend reads
// them (apigw.RequestParameters): the connection id on every route, the shared secret as a
// static header, on $connect the authorizer's token and player and the client's address, and on
// the two-way routes the route-response marker.
func RequestParameters(route, secret string) map[string]string {
	p := map[string]string{
		"integration.request.header." + HeaderConnectionID: "context.connectionId",
		"integration.request.header." + HeaderSecret:       "'" + secret + "'",
	}
	if isTwoWay(route) {
		p["integration.request.header."+HeaderRouteResponse] = "'" + RouteResponseBody + "'"
	}
	if route == RouteConnect {
		p["integration.request.header."+HeaderToken] = "context.authorizer.token"
		p["integration.request.header."+HeaderPlayer] = "context.authorizer.principalId"
		p["integration.request.header."+HeaderClientIP] = "context.identity.sourceIp" // the per-address connection cap
	}
	return p
}

func isTwoWay(route string) bool {
	for _, r := range TwoWayRoutes {
		if r == route {
			return true
		}
	}
	return false
}

// Args configures the API.
type Args struct {
	// Common are the Account, NamePrefix, LogRetentionDays, KMSDeletionWindowDays and Tags
	// every component takes.
	component.Common
	// StageName, e.g. "live". Required.
	StageName string
	// AuthorizerZip is the path of dist/ws-authorizer.zip (make build-authorizer). Required;
	// the file must exist.
	AuthorizerZip string
	// LogsKMSKeyARN is the stack's logs key (observability) that encrypts the authorizer's and
	// the stage's access-log groups (AuthorizerLogGroupName, AccessLogGroupName), which the
	// component creates. Required.
	LogsKMSKeyARN pulumi.StringInput
	// ManageAccountRole sets the region-wide API Gateway CloudWatch role from this stack.
	ManageAccountRole bool
	// ThrottlingRateLimit and ThrottlingBurstLimit of the stage's default route settings.
	ThrottlingRateLimit, ThrottlingBurstLimit int
	// LoggingLevel of execution logs: ERROR or INFO.
	LoggingLevel string
}

// ConnectArgs are the services' side of the API.
type ConnectArgs struct {
	// NLBARN and NLBDNSName are the internal NLB of the backend. Required.
	NLBARN, NLBDNSName pulumi.StringInput
	// BackendPort is the NLB listener port. Required.
	BackendPort int
}

// API is the component.
type API struct {
	pulumi.ResourceState

	APIID pulumi.StringOutput `pulumi:"apiId"`
	// WebSocketURL is wss://<api>.execute-api.<region>.amazonaws.com/<stage>, what browsers open.
	WebSocketURL pulumi.StringOutput `pulumi:"webSocketUrl"`
	// ManagementEndpoint is https://<api>.execute-api.<region>.amazonaws.com/<stage>, the
	// @connections base the backend posts to.
	ManagementEndpoint pulumi.StringOutput `pulumi:"managementEndpoint"`
	// ConnectionsARNs are the execute-api ARNs of the stage's @connections, one per method.
	ConnectionsARNs pulumi.StringArrayOutput `pulumi:"connectionsArns"`
	// TokenKeySecretARN is the session-signing key (backend TOKEN_KEY, authorizer
	// TOKEN_KEY_SECRET_ARN); SharedSecretARN the X-Chess-Gateway-Secret value (backend
	// APIGW_SHARED_SECRET); SecretsKMSKeyARN encrypts both.
	TokenKeySecretARN pulumi.StringOutput `pulumi:"tokenKeySecretArn"`
	SharedSecretARN   pulumi.StringOutput `pulumi:"sharedSecretArn"`
	SecretsKMSKeyARN  pulumi.StringOutput `pulumi:"secretsKmsKeyArn"`
	// AuthorizerFunctionName is the Lambda's name (alarms, dashboards).
	AuthorizerFunctionName pulumi.StringOutput `pulumi:"authorizerFunctionName"`
	// ExecutionLogGroup is API-Gateway-Execution-Logs_<api>/<stage>.
	ExecutionLogGroup pulumi.StringOutput `pulumi:"executionLogGroup"`
	// Set by Connect.
	StageARN  pulumi.StringOutput `pulumi:"stageArn"`
	VPCLinkID pulumi.StringOutput `pulumi:"vpcLinkId"`

	// StageName is known at preview.
	StageName string

	API        *apigatewayv2.Api
	Authorizer *apigatewayv2.Authorizer
	Function   *lambda.Function
	Stage      *apigatewayv2.Stage

	name        string
	args        *Args
	sharedValue pulumi.StringOutput
	// authorizerLogGroup is the authorizer's log group name; accessLogGroupARN the stage's
	// access-log group (logGroups).
	authorizerLogGroup, accessLogGroupARN pulumi.StringOutput
	stageDeps                             []pulumi.Resource
	connected                             bool
}

func (api *API) wrap(what string, err error) error {
	return fmt.Errorf("apigwwebsocket: %s: %w", what, err)
}

func (api *API) tags(suffix string) pulumi.StringMap {
	return awsenv.Tags(api.args.Tags, api.args.NamePrefix+"-"+suffix)
}

// AuthorizerLogGroupName is the $connect authorizer's log group.
func AuthorizerLogGroupName(prefix string) string { return "/" + prefix + "/lambda/ws-authorizer" }

// AccessLogGroupName is the stage's access-log group.
func AccessLogGroupName(prefix string) string { return "/" + prefix + "/apigw/access" }

// logGroups creates the authorizer's and the access log's groups (retention, the logs key).
func (api *API) logGroups(ctx *pulumi.Context) error {
	a := api.args
	for _, g := range []struct {
		suffix, full string
		name, arn    *pulumi.StringOutput
	}{
		{"authorizer-logs", AuthorizerLogGroupName(a.NamePrefix), &api.authorizerLogGroup, nil},
		{"access-logs", AccessLogGroupName(a.NamePrefix), nil, &api.accessLogGroupARN},
	} {
		lg, err := cloudwatch.NewLogGroup(ctx, api.name+"-"+g.suffix, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(g.full),
			RetentionInDays: pulumi.Int(a.LogRetentionDays),
			KmsKeyId:        a.LogsKMSKeyARN,
			Tags:            awsenv.Tags(a.Tags, g.full),
		}, pulumi.Parent(api))
		if err != nil {
			return api.wrap("log group "+g.full, err)
		}
		if g.name != nil {
			*g.name = lg.Name
		}
		if g.arn != nil {
			*g.arn = lg.Arn
		}
	}
	return nil
}

// New creates the API, its authorizer and secrets (phase one).
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*API, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("apigwwebsocket %s: %w", name, err)
	}
	a := args.Account
	api := &API{name: name, args: args, StageName: args.StageName}
	if err := ctx.RegisterComponentResource(Type, name, api, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(api)
	wrap := component.Wrap("apigwwebsocket", name)
	if err := api.logGroups(ctx); err != nil {
		return nil, err
	}

	key, err := kmskey.New(ctx, name+"-key", &kmskey.Args{
		Account:            a,
		Description:        "WebSocket API of " + args.NamePrefix + ": session key, gateway secret, execution logs",
		Alias:              args.NamePrefix + "/apigw",
		DeletionWindowDays: args.KMSDeletionWindowDays,
		Grants:             []kmskey.ServiceGrant{kmskey.LogsGrant(a, ExecutionLogGroupPrefix)},
		Tags:               args.Tags,
	}, parent)
	if err != nil {
		return nil, wrap("key", err)
	}
	api.SecretsKMSKeyARN = key.ARN

	tokenKey, _, err := generatedKeySet(ctx, name+"-token-key", "Session-signing keys of "+args.NamePrefix+" (backend TOKEN_KEY/TOKEN_KEY_NEXT/TOKEN_KEYS_PREVIOUS, $connect authorizer; rotated)", key.ARN, api.tags("token-key"), parent)
	if err != nil {
		return nil, wrap("token key", err)
	}
	shared, sharedValue, err := generatedSecret(ctx, name+"-shared-secret", SharedSecretLength, "Value of "+HeaderSecret+" that API Gateway sends to the "+args.NamePrefix+" backend", key.ARN, api.tags("shared-secret"), parent)
	if err != nil {
		return nil, wrap("shared secret", err)
	}
	api.TokenKeySecretARN, api.SharedSecretARN, api.sharedValue = tokenKey.Arn, shared.Arn, sharedValue

	ws, err := apigatewayv2.NewApi(ctx, name+"-api", &apigatewayv2.ApiArgs{
		Name:                     pulumi.String(args.NamePrefix + "-ws"),
		Description:              pulumi.String("Real-time chess protocol of " + args.NamePrefix),
		ProtocolType:             pulumi.String("WEBSOCKET"),
		RouteSelectionExpression: pulumi.String(RouteSelectionExpression),
		IpAddressType:            pulumi.String("ipv4"),
		Tags:                     api.tags("ws"),
	}, parent)
	if err != nil {
		return nil, wrap("API", err)
	}
	api.API = ws
	api.APIID = ws.ID().ToStringOutput()
	api.WebSocketURL = pulumi.Sprintf("%s/%s", ws.ApiEndpoint, args.StageName)
	api.ManagementEndpoint = pulumi.Sprintf("https://%s.execute-api.%s.%s/%s", ws.ID(), a.Region, a.DNSSuffix, args.StageName)
	api.ConnectionsARNs = ws.ID().ToStringOutput().ApplyT(func(id string) []string { return ConnectionsARNs(a, id, args.StageName) }).(pulumi.StringArrayOutput)

	if err := api.authorizer(ctx, name, key.ARN, parent); err != nil {
		return nil, err
	}

	// API Gateway creates the execution log group without retention or encryption unless it
	// exists first.
	execLogs, err := cloudwatch.NewLogGroup(ctx, name+"-execution-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.Sprintf("%s%s/%s", ExecutionLogGroupPrefix, ws.ID(), args.StageName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        key.ARN,
		Tags:            api.tags("execution-logs"),
	}, parent)
	if err != nil {
		return nil, wrap("execution log group", err)
	}
	api.ExecutionLogGroup = execLogs.Name
	api.stageDeps = append(api.stageDeps, execLogs)

	if args.ManageAccountRole {
		acct, err := accountRole(ctx, name, args.NamePrefix, a, api.tags("apigw-cloudwatch"), parent)
		if err != nil {
			return nil, wrap("account CloudWatch role", err)
		}
		api.stageDeps = append(api.stageDeps, acct)
	}
	return api, nil
}

// ConnectionsARNs are the execute-api ARNs of a stage's @connections for ConnectionMethods.
func ConnectionsARNs(a awsenv.Account, apiID, stage string) []string {
	out := make([]string, len(ConnectionMethods))
	for i, m := range ConnectionMethods {
		out[i] = a.ARN("execute-api", apiID+"/"+stage+"/"+m+"/@connections/*")
	}
	return out
}

// generatedSecret stores a value from Secrets Manager's generator in a new secret. The
// generator runs on every deployment; the version ignores later values and readers use the
// version's value, so the first one stays (rotation: docs/infra.md).
func generatedSecret(ctx *pulumi.Context, name string, length int, description string, keyArn pulumi.StringOutput, tags pulumi.StringMap, parent pulumi.ResourceOption) (*secretsmanager.Secret, pulumi.StringOutput, error) {
	return storedSecret(ctx, name, randomValue(ctx, length), description, keyArn, tags, parent)
}

// randomValue is a value of Secrets Manager's generator: letters and digits.
func randomValue(ctx *pulumi.Context, length int) pulumi.StringOutput {
	return secretsmanager.GetRandomPasswordOutput(ctx, secretsmanager.GetRandomPasswordOutputArgs{
		PasswordLength:     pulumi.Int(length),
		ExcludePunctuation: pulumi.Bool(true),
		IncludeSpace:       pulumi.Bool(false),
	}).RandomPassword()
}

// storedSecret keeps the first value of generated in a new secret (see generatedSecret).
func storedSecret(ctx *pulumi.Context, name string, generated pulumi.StringOutput, description string, keyArn pulumi.StringOutput, tags pulumi.StringMap, parent pulumi.ResourceOption) (*secretsmanager.Secret, pulumi.StringOutput, error) {
	secret, err := secretsmanager.NewSecret(ctx, name, &secretsmanager.SecretArgs{
		Description:          pulumi.String(description),
		KmsKeyId:             keyArn,
		RecoveryWindowInDays: pulumi.Int(7),
		Tags:                 tags,
	}, parent)
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	version, err := secretsmanager.NewSecretVersion(ctx, name, &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(generated).(pulumi.StringOutput),
	}, parent, pulumi.IgnoreChanges([]string{"secretString"}), pulumi.AdditionalSecretOutputs([]string{"secretString"}))
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	return secret, pulumi.ToSecret(version.SecretString.Elem()).(pulumi.StringOutput), nil
}

// LambdaTrust lets Lambda assume the authorizer's role for this account only.
func LambdaTrust(a awsenv.Account) iampolicy.Document {
	return iampolicy.ServiceTrust(a.ServicePrincipal("lambda"), a.ID)
}

// AuthorizerPolicy: write its own logs, read the token key (and decrypt it through Secrets
// Manager). Nothing else.
func AuthorizerPolicy(a awsenv.Account, logGroup, tokenSecret, keyArn string) iampolicy.Document {
	return iampolicy.New(
		iampolicy.Statement{
			Sid:      "WriteLogs",
			Effect:   "Allow",
			Action:   iampolicy.List{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: iampolicy.List{a.ARN("logs", "log-group:"+logGroup+":*")},
		},
		iampolicy.Statement{
			Sid:      "ReadTokenKey",
			Effect:   "Allow",
			Action:   iampolicy.List{"secretsmanager:GetSecretValue"},
			Resource: iampolicy.List{tokenSecret},
		},
		iampolicy.Statement{
			Sid:       "DecryptTokenKey",
			Effect:    "Allow",
			Action:    iampolicy.List{"kms:Decrypt"},
			Resource:  iampolicy.List{keyArn},
			Condition: iampolicy.Conditions{"StringEquals": {"kms:ViaService": iampolicy.List{"secretsmanager." + a.Region + "." + a.DNSSuffix}}},
		},
	)
}

// authorizer creates the Lambda, its role, the REQUEST authorizer and the invoke permission.
func (api *API) authorizer(ctx *pulumi.Context, name string, keyArn pulumi.StringOutput, parent pulumi.ResourceOption) error {
	args := api.args
	a := args.Account
	trust, err := LambdaTrust(a).JSON()
	if err != nil {
		return api.wrap("authorizer trust policy", err)
	}
	role, err := iam.NewRole(ctx, name+"-authorizer", &iam.RoleArgs{
		Name:             pulumi.String(args.NamePrefix + "-ws-authorizer-role"),
		Description:      pulumi.String("$connect authorizer of " + args.NamePrefix + ": its logs and the token key"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             api.tags("ws-authorizer"),
	}, parent)
	if err != nil {
		return api.wrap("authorizer role", err)
	}
	policy := pulumi.All(pulumi.StringMap{"lg": api.authorizerLogGroup, "secret": api.TokenKeySecretARN, "key": keyArn}.ToStringMapOutput()).
		ApplyT(func(v []any) (string, error) {
			s := v[0].(map[string]string)
			return AuthorizerPolicy(a, s["lg"], s["secret"], s["key"]).JSON()
		}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-authorizer", &iam.RolePolicyArgs{
		Role:   role.Name,
		Name:   pulumi.String("ws-authorizer"),
		Policy: policy,
	}, parent)
	if err != nil {
		return api.wrap("authorizer policy", err)
	}
	fn, err := lambda.NewFunction(ctx, name+"-authorizer", &lambda.FunctionArgs{
		Name:          pulumi.String(args.NamePrefix + "-ws-authorizer"),
		Description:   pulumi.String("$connect authorizer of the " + args.NamePrefix + " WebSocket API"),
		Runtime:       pulumi.String(AuthorizerRuntime),
		Architectures: pulumi.StringArray{pulumi.String(AuthorizerArchitecture)},
		Handler:       pulumi.String(AuthorizerHandler),
		MemorySize:    pulumi.Int(AuthorizerMemoryMB),
		Timeout:       pulumi.Int(AuthorizerTimeoutSec),
		PackageType:   pulumi.String("Zip"),
		Code:          pulumi.NewFileArchive(args.AuthorizerZip),
		Role:          role.Arn,
		Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			// The ARN only: the key itself stays in Secrets Manager, never in the configuration.
			"TOKEN_KEY_SECRET_ARN": api.TokenKeySecretARN,
			"TOKEN_KEY_REFRESH":    pulumi.String("5m"),
			"LOG_LEVEL":            pulumi.String("info"),
		}},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  api.authorizerLogGroup,
		},
		Tags: api.tags("ws-authorizer"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return api.wrap("authorizer function", err)
	}
	auth, err := apigatewayv2.NewAuthorizer(ctx, name+"-authorizer", &apigatewayv2.AuthorizerArgs{
		ApiId:           api.API.ID(),
		Name:            pulumi.String("token"),
		AuthorizerType:  pulumi.String("REQUEST"),
		AuthorizerUri:   fn.InvokeArn,
		IdentitySources: pulumi.StringArray{pulumi.String(IdentitySource)},
	}, parent)
	if err != nil {
		return api.wrap("authorizer", err)
	}
	if _, err := lambda.NewPermission(ctx, name+"-authorizer", &lambda.PermissionArgs{
		Action:        pulumi.String("lambda:InvokeFunction"),
		Function:      fn.Name,
		Principal:     pulumi.String(a.ServicePrincipal("apigateway")),
		SourceArn:     pulumi.Sprintf("%s/authorizers/%s", api.API.ExecutionArn, auth.ID()),
		SourceAccount: pulumi.String(a.ID),
	}, parent); err != nil {
		return api.wrap("authorizer permission", err)
	}
	api.Function, api.Authorizer = fn, auth
	api.AuthorizerFunctionName = fn.Name
	return nil
}

// accountRole sets the region-wide CloudWatch Logs role API Gateway needs for execution logs.
// The role carries AWS's managed AmazonAPIGatewayPushToCloudWatchLogs: it serves every API of
// the account in this Region, whose log groups this stack cannot enumerate.
//
// Exactly one stack per account and Region owns it (config apiGatewayAccountOwner): two stacks
// would overwrite each other's setting on every `up`. The role is named under the owner's
// prefix (the deploy role may manage only role/<prefix>-*), and destroying the owner resets the
// setting rather than leaving it pointing at a deleted role.
func accountRole(ctx *pulumi.Context, name, prefix string, a awsenv.Account, tags pulumi.StringMap, parent pulumi.ResourceOption) (pulumi.Resource, error) {
	trust, err := iampolicy.ServiceTrust(a.ServicePrincipal("apigateway"), a.ID).JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-cloudwatch", &iam.RoleArgs{
		Name:             pulumi.String(prefix + "-apigw-cloudwatch"),
		Description:      pulumi.String("API Gateway account-level role: push execution and access logs to CloudWatch Logs"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	attach, err := iam.NewRolePolicyAttachment(ctx, name+"-cloudwatch", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(a.ManagedPolicyARN("service-role/AmazonAPIGatewayPushToCloudWatchLogs")),
	}, parent)
	if err != nil {
		return nil, err
	}
	return apigateway.NewAccount(ctx, name+"-account", &apigateway.AccountArgs{
		CloudwatchRoleArn: role.Arn,
		//lint:ignore SA1019 deprecated only because pulumi-aws v7 makes it the default; until then it is what clears the account setting on destroy (docs/infra.md)
		ResetOnDelete: pulumi.Bool(true),
	}, parent, pulumi.DependsOn([]pulumi.Resource{attach}))
}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	errs := a.Common.Check()
	errs.Require(a.LogsKMSKeyARN != nil, "LogsKMSKeyARN")
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`).MatchString(a.StageName) {
		errs = append(errs, fmt.Errorf("StageName %q: want 1 to 64 letters, digits, _ or -", a.StageName))
	}
	if a.ThrottlingRateLimit < 1 || a.ThrottlingBurstLimit < 1 {
		errs = append(errs, fmt.Errorf("throttling %d/s burst %d: both must be positive", a.ThrottlingRateLimit, a.ThrottlingBurstLimit))
	}
	if !slices.Contains([]string{"ERROR", "INFO"}, a.LoggingLevel) {
		errs = append(errs, fmt.Errorf("LoggingLevel %q: want ERROR or INFO", a.LoggingLevel))
	}
	if err := awsenv.CheckLambdaZip("AuthorizerZip", a.AuthorizerZip, "build-authorizer"); err != nil {
		errs = append(errs, err)
	}
	return errs.Err()
}
