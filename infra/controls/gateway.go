package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/infratest"
)

// eachStage applies fn to every WebSocket stage (at least one).
func eachStage(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TStage, 1, fn)
}

// APIGateway lists the WebSocket API controls.
func APIGateway() []Control {
	return []Control{
		{
			ID: "APIGateway.1 execution logging at ERROR or INFO, payloads not logged, detailed metrics",
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
		},
		{
			ID: "APIGateway.9 access logs to a log group of the stack",
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
		},
		{
			ID: "APIGW.EXECLOGS execution log group pre-created (retention, KMS) for every stage",
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
		},
		{
			ID: "APIGW.THROTTLE stage throttling set",
			Check: func(rec infratest.Recorded) error {
				return eachStage(rec, func(r infratest.Resource) error {
					return errors.Join(intBetween(r, "defaultRouteSettings.throttlingRateLimit", 1, 10000), intBetween(r, "defaultRouteSettings.throttlingBurstLimit", 1, 5000))
				})
			},
			Props: []Prop{{TStage, "defaultRouteSettings", map[string]any{"loggingLevel": "ERROR"}}},
		},
		{
			ID: "APIGateway.8 $connect is authorized by the Lambda REQUEST authorizer (other routes: documented conflict)",
			Check: func(rec infratest.Recorded) error {
				var errs []error
				routes := map[string]infratest.Resource{}
				for _, r := range rec.ByType(TApiRoute) {
					k, _ := r.Str("routeKey")
					routes[k] = r
				}
				for _, k := range []string{"$connect", "$default", "$disconnect"} {
					if _, ok := routes[k]; !ok {
						errs = append(errs, fmt.Errorf("route %s missing", k))
					}
				}
				if len(routes) != 3 {
					errs = append(errs, fmt.Errorf("%d routes, want $connect, $default, $disconnect", len(routes)))
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
		},
		{
			ID: "APIGW.LAMBDA the authorizer may be invoked only by this API's authorizer",
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
		},
		{
			ID: "APIGW.PRIVATE integrations are HTTP_PROXY over the VPC link to the internal NLB, with the connection id and the shared secret",
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
		},
	}
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

// rolesByName maps role names to roles.
func rolesByName(rec infratest.Recorded) map[string]infratest.Resource {
	out := map[string]infratest.Resource{}
	for _, r := range rec.ByType(TRole) {
		if n, ok := r.Output("name"); ok {
			out[n.StringValue()] = r
		}
	}
	return out
}

// inlinePolicies returns the inline policies attached to the role with this ARN.
func inlinePolicies(rec infratest.Recorded, roleArn string) []infratest.Resource {
	var name string
	for n, r := range rolesByName(rec) {
		if a, _ := r.Output("arn"); a.StringValue() == roleArn {
			name = n
		}
	}
	var out []infratest.Resource
	for _, p := range rec.ByType(TRolePolicy) {
		if role, _ := p.Str("role"); role != "" && role == name {
			out = append(out, p)
		}
	}
	return out
}

// ServicesIAM lists the IAM controls specific to the services: the exact @connections grant,
// execution roles limited to the secrets their tasks inject, and the read-only role of the web
// task's listing sidecar.
func ServicesIAM() []Control {
	return []Control{
		{
			ID: "IAM.CONNECTIONS execute-api:ManageConnections only on the stage's @connections (POST, GET, DELETE)",
			Check: func(rec infratest.Recorded) error {
				var want []string
				for _, s := range rec.ByType(TStage) {
					exec, _ := s.Output("executionArn")
					for _, m := range []string{"POST", "GET", "DELETE"} {
						want = append(want, exec.StringValue()+"/"+m+"/@connections/*")
					}
				}
				if len(want) == 0 {
					return errors.New("no stage recorded")
				}
				var errs []error
				var granted []string
				for _, p := range rec.ByType(TRolePolicy) {
					doc, err := p.Policy("policy")
					if err != nil {
						return err
					}
					for _, s := range doc.Statement {
						for _, a := range s.Action {
							if !strings.HasPrefix(a, "execute-api:") {
								continue
							}
							if a != "execute-api:ManageConnections" {
								errs = append(errs, fmt.Errorf("%s grants %s", label(p), a))
							}
							for _, res := range s.Resource {
								if !slices.Contains(want, res) {
									errs = append(errs, fmt.Errorf("%s: %s on %s, not the stage's @connections", label(p), a, res))
								}
								granted = append(granted, res)
							}
						}
					}
				}
				slices.Sort(granted)
				slices.Sort(want)
				if !slices.Equal(granted, want) {
					errs = append(errs, fmt.Errorf("@connections grants %v, want exactly %v", granted, want))
				}
				return errors.Join(errs...)
			},
			Breaks: []Break{edit("ManageConnections on the whole API", TRolePolicy, func(r infratest.Resource, in resource.PropertyMap) {
				doc, err := r.Policy("policy")
				if err != nil {
					return
				}
				for i, s := range doc.Statement {
					if slices.Contains(s.Action, "execute-api:ManageConnections") && len(s.Resource) > 0 {
						res := s.Resource[0]
						doc.Statement[i].Resource = []string{res[:strings.Index(res, "/")] + "/*"}
					}
				}
				j, _ := doc.JSON()
				in["policy"] = resource.NewStringProperty(j)
			})},
		},
		{
			ID: "IAM.EXECSECRETS each execution role reads exactly the secrets its task definition injects",
			Check: func(rec infratest.Recorded) error {
				var errs []error
				for _, td := range rec.ByType(TTaskDef) {
					cs, err := Containers(td)
					if err != nil {
						return err
					}
					var injected []string
					for _, c := range cs {
						secrets, _ := c["secrets"].([]any)
						for _, x := range secrets {
							kv, _ := x.(map[string]any)
							if m := secretRef.FindStringSubmatch(str(kv, "valueFrom")); m != nil && !slices.Contains(injected, m[1]) {
								injected = append(injected, m[1])
							}
						}
					}
					arn, _ := td.Str("executionRoleArn")
					var granted []string
					for _, p := range inlinePolicies(rec, arn) {
						doc, err := p.Policy("policy")
						if err != nil {
							return err
						}
						for _, st := range doc.Statement {
							for _, a := range st.Action {
								if strings.HasPrefix(a, "secretsmanager:") {
									granted = append(granted, st.Resource...)
								}
							}
						}
					}
					slices.Sort(injected)
					slices.Sort(granted)
					if !slices.Equal(injected, granted) {
						errs = append(errs, fmt.Errorf("%s: execution role reads secrets %v, the containers inject %v", label(td), granted, injected))
					}
				}
				return errors.Join(errs...)
			},
			Breaks: []Break{
				EditContainers("secrets removed from every container (grants left over)", func(c map[string]any) { c["secrets"] = []any{} }),
				edit("another secret readable by every secret-reading policy", TRolePolicy, func(r infratest.Resource, in resource.PropertyMap) {
					doc, err := r.Policy("policy")
					if err != nil {
						return
					}
					for i, st := range doc.Statement {
						if slices.Contains(st.Action, "secretsmanager:GetSecretValue") {
							doc.Statement[i].Resource = append(doc.Statement[i].Resource, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-AbCdEf")
						}
					}
					j, _ := doc.JSON()
					in["policy"] = resource.NewStringProperty(j)
				}),
			},
		},
		{
			ID: "IAM.READONLY the web task role (service-listing sidecar) grants only read actions",
			Check: func(rec infratest.Recorded) error {
				var errs []error
				var found int
				for _, td := range rec.ByType(TTaskDef) {
					fam, _ := td.Str("family")
					if !strings.HasSuffix(fam, "-web") {
						continue
					}
					found++
					arn, _ := td.Str("taskRoleArn")
					pols := inlinePolicies(rec, arn)
					if len(pols) == 0 {
						errs = append(errs, fmt.Errorf("%s: task role %s has no policy", label(td), arn))
					}
					for _, p := range pols {
						doc, err := p.Policy("policy")
						if err != nil {
							return err
						}
						for _, s := range doc.Statement {
							if s.Effect != "Allow" {
								continue
							}
							for _, a := range s.Action {
								if !isReadAction(a) {
									errs = append(errs, fmt.Errorf("%s grants %s, which is not read-only", label(p), a))
								}
							}
						}
					}
				}
				if found != 1 {
					errs = append(errs, fmt.Errorf("%d web task definitions, want 1", found))
				}
				return errors.Join(errs...)
			},
			Breaks: []Break{edit("ecs:UpdateService added to every policy", TRolePolicy, func(r infratest.Resource, in resource.PropertyMap) {
				doc, err := r.Policy("policy")
				if err != nil || len(doc.Statement) == 0 {
					return
				}
				doc.Statement[len(doc.Statement)-1].Action = append(doc.Statement[len(doc.Statement)-1].Action, "ecs:UpdateService")
				j, _ := doc.JSON()
				in["policy"] = resource.NewStringProperty(j)
			})},
		},
	}
}
