package apigwwebsocket

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Connect creates the VPC link to the backend's NLB, the HTTP_PROXY integrations, the routes
// ($connect behind the authorizer; ping two-way with its route response), the deployment and
// the stage, and registers the
// component's outputs (phase two).
func (api *API) Connect(ctx *pulumi.Context, c *ConnectArgs) error {
	if api.connected {
		return errors.New("apigwwebsocket: Connect called twice")
	}
	if c == nil || c.NLBARN == nil || c.NLBDNSName == nil || c.BackendPort <= 0 {
		return errors.New("apigwwebsocket: Connect needs NlbArn, NlbDnsName and BackendPort")
	}
	args := api.args
	parent := pulumi.Parent(api)
	base := api.name

	// VPC link v1: the only kind WebSocket APIs accept; it targets exactly one NLB.
	link, err := apigateway.NewVpcLink(ctx, base+"-vpc-link", &apigateway.VpcLinkArgs{
		Name:        pulumi.String(args.NamePrefix + "-backend"),
		Description: pulumi.String("WebSocket API of " + args.NamePrefix + " to the backend's internal NLB"),
		TargetArn:   c.NLBARN,
		Tags:        api.tags("vpc-link"),
	}, parent)
	if err != nil {
		return api.wrap("VPC link", err)
	}

	var routes []pulumi.Resource
	settings := pulumi.StringMap{}
	for _, route := range Routes {
		key := routeName(route)
		params := api.sharedValue.ApplyT(func(secret string) map[string]string { return RequestParameters(route, secret) }).(pulumi.StringMapOutput)
		integ, err := apigatewayv2.NewIntegration(ctx, base+"-"+key, &apigatewayv2.IntegrationArgs{
			ApiId:               api.API.ID(),
			Description:         pulumi.String(route + " to the backend's " + IntegrationPaths[route]),
			IntegrationType:     pulumi.String("HTTP_PROXY"),
			IntegrationMethod:   pulumi.String("POST"),
			IntegrationUri:      pulumi.Sprintf("http://%s:%d%s", c.NLBDNSName, c.BackendPort, IntegrationPaths[route]),
			ConnectionType:      pulumi.String("VPC_LINK"),
			ConnectionId:        link.ID(),
			TimeoutMilliseconds: pulumi.Int(IntegrationTimeoutsMs[route]),
			RequestParameters:   params,
		}, parent)
		if err != nil {
			return api.wrap("integration "+route, err)
		}
		routeArgs := &apigatewayv2.RouteArgs{
			ApiId:             api.API.ID(),
			RouteKey:          pulumi.String(route),
			Target:            pulumi.Sprintf("integrations/%s", integ.ID()),
			OperationName:     pulumi.String(key),
			AuthorizationType: pulumi.String("NONE"), // WebSocket APIs authorize only $connect (docs/infra.md)
		}
		if route == RouteConnect {
			routeArgs.AuthorizationType = pulumi.String("CUSTOM")
			routeArgs.AuthorizerId = api.Authorizer.ID()
		}
		if isTwoWay(route) {
			routeArgs.RouteResponseSelectionExpression = pulumi.String(RouteResponseKey)
		}
		r, err := apigatewayv2.NewRoute(ctx, base+"-"+key, routeArgs, parent)
		if err != nil {
			return api.wrap("route "+route, err)
		}
		routes = append(routes, r)
		respID := pulumi.String("").ToStringOutput()
		if isTwoWay(route) {
			// Two-way: the HTTP_PROXY integration's response (the backend's pong) is passed
			// to the client as is; proxy integrations have no integration response to set.
			rr, err := apigatewayv2.NewRouteResponse(ctx, base+"-"+key+"-response", &apigatewayv2.RouteResponseArgs{
				ApiId:            api.API.ID(),
				RouteId:          r.ID(),
				RouteResponseKey: pulumi.String(RouteResponseKey),
			}, parent)
			if err != nil {
				return api.wrap("route response "+route, err)
			}
			routes = append(routes, rr)
			respID = rr.ID().ToStringOutput()
		}
		// Everything a deployment snapshots: a change to any of it needs a new deployment.
		settings[key] = pulumi.All(integ.ID(), r.ID(), api.Authorizer.ID(), params, c.NLBDNSName, respID).ApplyT(func(v []any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		}).(pulumi.StringOutput)
	}
	fingerprint := settings.ToStringMapOutput().ApplyT(func(m map[string]string) (string, error) {
		b, err := json.Marshal(m)
		if err != nil {
			return "", fmt.Errorf("deployment fingerprint: %w", err)
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:]), nil
	}).(pulumi.StringOutput)

	dep, err := apigatewayv2.NewDeployment(ctx, base+"-deployment", &apigatewayv2.DeploymentArgs{
		ApiId:       api.API.ID(),
		Description: pulumi.String("Routes and integrations of " + args.NamePrefix),
		Triggers:    pulumi.StringMap{"settings": fingerprint},
	}, parent, pulumi.DependsOn(routes))
	if err != nil {
		return api.wrap("deployment", err)
	}
	stage, err := apigatewayv2.NewStage(ctx, base+"-stage", &apigatewayv2.StageArgs{
		ApiId:        api.API.ID(),
		Name:         pulumi.String(args.StageName),
		Description:  pulumi.String("Live stage of " + args.NamePrefix),
		DeploymentId: dep.ID(),
		AccessLogSettings: &apigatewayv2.StageAccessLogSettingsArgs{
			DestinationArn: api.accessLogGroupARN,
			Format:         pulumi.String(AccessLogFormat),
		},
		DefaultRouteSettings: &apigatewayv2.StageDefaultRouteSettingsArgs{
			LoggingLevel:           pulumi.String(args.LoggingLevel),
			DataTraceEnabled:       pulumi.Bool(false), // it would log message payloads
			DetailedMetricsEnabled: pulumi.Bool(true),
			ThrottlingRateLimit:    pulumi.Float64(float64(args.ThrottlingRateLimit)),
			ThrottlingBurstLimit:   pulumi.Int(args.ThrottlingBurstLimit),
		},
		Tags: api.tags("stage"),
	}, parent, pulumi.DependsOn(api.stageDeps))
	if err != nil {
		return api.wrap("stage", err)
	}
	api.Stage = stage
	api.StageARN = stage.Arn
	api.VPCLinkID = link.ID().ToStringOutput()
	api.connected = true
	if err := ctx.RegisterResourceOutputs(api, pulumi.Map{
		"apiId":                  api.APIID,
		"webSocketUrl":           api.WebSocketURL,
		"managementEndpoint":     api.ManagementEndpoint,
		"connectionsArns":        api.ConnectionsARNs,
		"tokenKeySecretArn":      api.TokenKeySecretARN,
		"sharedSecretArn":        api.SharedSecretARN,
		"secretsKmsKeyArn":       api.SecretsKMSKeyARN,
		"authorizerFunctionName": api.AuthorizerFunctionName,
		"executionLogGroup":      api.ExecutionLogGroup,
		"stageArn":               api.StageARN,
		"vpcLinkId":              api.VPCLinkID,
	}); err != nil {
		return api.wrap("register outputs", err)
	}
	return nil
}

// routeName is a route key usable in logical names: "$connect" -> "connect", "ping" -> "ping".
func routeName(route string) string { return strings.TrimPrefix(route, "$") }
