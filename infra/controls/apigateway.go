package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"chessplatform/infra/infratest"
)

// API Gateway: the WebSocket API of the apigw-websocket component, its authorizer and its private
// integrations.

// APIGateway lists the WebSocket API controls.
func APIGateway() []Control {
	return named(
		stageExecutionLogging,
		stageAccessLogs,
		executionLogGroups,
		stageThrottling,
		connectAuthorized,
		authorizerInvokeOnly,
		privateIntegrations,
	)
}

var stageExecutionLogging = Control{
	Name: "stageExecutionLogging",
	ID:   "APIGateway.1 execution logging at ERROR or INFO, payloads not logged, detailed metrics",
	Check: func(rec infratest.Recorded) error {
		return eachStage(rec, func(r infratest.Resource) error {
			lvl, _ := r.Str("defaultRouteSettings.loggingLevel")
			var errs []error
			if lvl != "ERROR" && lvl != "INFO" {
				errs = append(errs, fmt.Errorf("loggingLevel %q, want ERROR or INFO", lvl))
			}
			errs = append(errs, isBool(r, "defaultRouteSettings.dataTraceEnabled", false), isBool(r, "defaultRouteSettings.detailedMetricsEnabled", true))
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TStage, "defaultRouteSettings", map[string]any{"loggingLevel": "OFF", "dataTraceEnabled": true}}},
}

var stageAccessLogs = Control{
	Name: "stageAccessLogs",
	ID:   "APIGateway.9 access logs to a log group of the stack",
	Check: func(rec infratest.Recorded) error {
		return eachStage(rec, func(r infratest.Resource) error {
			dest, err := nonEmpty(r, "accessLogSettings.destinationArn")
			if err != nil {
				return err
			}
			if len(infratest.ByOutput(rec, TLogGroup, "arn", strings.TrimSuffix(dest, ":*"))) != 1 {
				return fmt.Errorf("access logs go to %s, not a log group of the stack", dest)
			}
			f, _ := r.Str("accessLogSettings.format")
			if !strings.Contains(f, "$context.requestId") || !strings.Contains(f, "$context.connectionId") {
				return fmt.Errorf("access log format %q lacks the request and connection ids", f)
			}
			return nil
		})
	},
	Props: []Prop{{TStage, "accessLogSettings", nil}},
}

var executionLogGroups = Control{
	Name: "executionLogGroups",
	ID:   "APIGW.EXECLOGS execution log group pre-created (retention, KMS) for every stage",
	Check: func(rec infratest.Recorded) error {
		return eachStage(rec, func(r infratest.Resource) error {
			api, _ := r.Str("apiId")
			stage, _ := r.Str("name")
			name := "API-Gateway-Execution-Logs_" + api + "/" + stage
			if len(infratest.ByOutput(rec, TLogGroup, "name", name)) != 1 {
				return fmt.Errorf("no log group %s", name)
			}
			return nil
		})
	},
	Props: []Prop{{TStage, "name", "other"}},
}

var stageThrottling = Control{
	Name: "stageThrottling",
	ID:   "APIGW.THROTTLE stage throttling set",
	Check: func(rec infratest.Recorded) error {
		return eachStage(rec, func(r infratest.Resource) error {
			return errors.Join(intBetween(r, "defaultRouteSettings.throttlingRateLimit", 1, 10000), intBetween(r, "defaultRouteSettings.throttlingBurstLimit", 1, 5000))
		})
	},
	Props: []Prop{{TStage, "defaultRouteSettings", map[string]any{"loggingLevel": "ERROR"}}},
}

var connectAuthorized = Control{
	Name: "connectAuthorized",
	ID:   "APIGateway.8 $connect is authorized by the Lambda REQUEST authorizer (other routes: documented conflict)",
	Check: func(rec infratest.Recorded) error {
		var errs []error
		routes := map[string]infratest.Resource{}
		for _, r := range rec.ByType(TApiRoute) {
			k, _ := r.Str("routeKey")
			routes[k] = r
		}
		// ping: the two-way route whose route response carries the backend's pong.
		want := []string{"$connect", "$default", "ping", "$disconnect"}
		for _, k := range want {
			if _, ok := routes[k]; !ok {
				errs = append(errs, fmt.Errorf("route %s missing", k))
			}
		}
		if len(routes) != len(want) {
			errs = append(errs, fmt.Errorf("%d routes, want %v", len(routes), want))
		}
		for k, r := range routes {
			if k != "$connect" {
				// WebSocket APIs can authorize only $connect (FSBP APIGateway.8 and
				// CKV_AWS_309 are a known conflict for the other routes).
				errs = append(errs, isStr(r, "authorizationType", "NONE"))
				continue
			}
			errs = append(errs, isStr(r, "authorizationType", "CUSTOM"))
			id, _ := r.Str("authorizerId")
			auth, ok := rec.ByID(id)
			if !ok || auth.Type != TAuthorizer {
				errs = append(errs, fmt.Errorf("$connect authorizerId %q is not an authorizer of the stack", id))
				continue
			}
			errs = append(errs, isStr(auth, "authorizerType", "REQUEST"))
			if src := auth.Strings("identitySources"); !slices.Equal(src, []string{"route.request.querystring.token"}) {
				errs = append(errs, fmt.Errorf("identity sources %v, want the token query parameter", src))
			}
			uri, _ := auth.Str("authorizerUri")
			if len(infratest.ByOutput(rec, TFunction, "invokeArn", uri)) != 1 {
				errs = append(errs, fmt.Errorf("authorizer URI %q is not a Lambda of the stack", uri))
			}
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TApiRoute, "authorizationType", "NONE"}, {TAuthorizer, "authorizerType", "JWT"}},
}

var authorizerInvokeOnly = Control{
	Name: "authorizerInvokeOnly",
	ID:   "APIGW.LAMBDA the authorizer may be invoked only by this API's authorizer",
	Check: func(rec infratest.Recorded) error {
		var errs []error
		auths := rec.ByType(TAuthorizer)
		perms := rec.ByType(TPermission)
		if len(perms) == 0 || len(auths) == 0 {
			return errors.New("no authorizer or invoke permission recorded")
		}
		apiExec := map[string]string{}
		for _, a := range rec.ByType(TApi) {
			v, _ := a.Output("executionArn")
			apiExec[a.ID] = v.StringValue()
		}
		// The authorizers' functions (authorizerUri .../functions/<arn>/invocations); other
		// functions' permissions (the secret rotator's) are not this control's.
		authFns := map[string]bool{}
		for _, a := range auths {
			uri, _ := a.Str("authorizerUri")
			if _, fn, ok := strings.Cut(uri, ":function:"); ok {
				authFns[strings.TrimSuffix(fn, "/invocations")] = true
			}
		}
		checked := 0
		for _, p := range perms {
			if fn, _ := p.Str("function"); !authFns[fn] {
				continue
			}
			checked++
			errs = append(errs, isStr(p, "action", "lambda:InvokeFunction"), isStr(p, "principal", "apigateway.amazonaws.com"))
			src, _ := p.Str("sourceArn")
			var ok bool
			for _, a := range auths {
				api, _ := a.Str("apiId")
				ok = ok || src == apiExec[api]+"/authorizers/"+a.ID
			}
			if !ok {
				errs = append(errs, fmt.Errorf("%s: sourceArn %q is not an authorizer of the stack's API", label(p), src))
			}
		}
		if checked == 0 {
			errs = append(errs, errors.New("no invoke permission of an authorizer's function recorded"))
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TPermission, "sourceArn", "arn:aws:execute-api:eu-west-1:123456789012:*"}},
}

var privateIntegrations = Control{
	Name: "privateIntegrations",
	ID:   "APIGW.PRIVATE integrations are HTTP_PROXY over the VPC link to the internal NLB, with the connection id and the shared secret",
	Check: func(rec infratest.Recorded) error {
		var errs []error
		nlbs := loadBalancers(rec, "network")
		links := rec.ByType(TVpcLink)
		if len(links) != 1 || len(nlbs) != 1 {
			return fmt.Errorf("%d VPC links and %d NLBs, want one each", len(links), len(nlbs))
		}
		nlbArn, _ := nlbs[0].Output("arn")
		nlbDNS, _ := nlbs[0].Output("dnsName")
		errs = append(errs, isStr(links[0], "targetArn", nlbArn.StringValue()))
		errs = append(errs, each(rec, TIntegration, 3, func(r infratest.Resource) error {
			uri, _ := r.Str("integrationUri")
			var es []error
			es = append(es, isStr(r, "integrationType", "HTTP_PROXY"), isStr(r, "connectionType", "VPC_LINK"),
				isStr(r, "connectionId", links[0].ID), isStr(r, "integrationMethod", "POST"))
			if !strings.HasPrefix(uri, "http://"+nlbDNS.StringValue()+":") || !strings.Contains(uri, "/apigw/") {
				es = append(es, fmt.Errorf("integrationUri %q is not a /apigw/ path on the NLB", uri))
			}
			params := requestParams(r)
			if params["integration.request.header.connectionId"] != "context.connectionId" {
				es = append(es, errors.New("connectionId header not mapped from context.connectionId"))
			}
			if s := params["integration.request.header.X-Chess-Gateway-Secret"]; len(s) < 34 || !strings.HasPrefix(s, "'") {
				es = append(es, errors.New("no static X-Chess-Gateway-Secret header"))
			}
			if !r.IsSecret("requestParameters") {
				es = append(es, errors.New("the shared secret is not secret in state"))
			}
			return errors.Join(es...)
		}))
		return errors.Join(errs...)
	},
	Props: []Prop{{TIntegration, "connectionType", "INTERNET"}, {TIntegration, "requestParameters", map[string]any{}}, {TVpcLink, "targetArn", "arn:other"}},
}

// eachStage applies fn to every WebSocket stage (at least one).
func eachStage(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TStage, 1, fn)
}

// requestParams reads an integration's request parameters (keys contain dots, so the path
// syntax of Resource.Get cannot reach them).
func requestParams(r infratest.Resource) map[string]string {
	out := map[string]string{}
	v, ok := r.Get("requestParameters")
	if !ok || !v.IsObject() {
		return out
	}
	for k, pv := range v.ObjectValue() {
		for pv.IsSecret() {
			pv = pv.SecretValue().Element
		}
		if pv.IsString() {
			out[string(k)] = pv.StringValue()
		}
	}
	return out
}
