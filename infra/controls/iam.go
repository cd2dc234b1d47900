package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

// IAM roles and their policies. PolicyWalk (iamwalk.go) reads every policy document of the
// stack, resource and trust policies included.

// IAM lists the IAM controls for roles and inline policies.
func IAM() []Control {
	return named(policiesNameExactActions, rolesTrustOneService)
}

// IAMWalk applies the walk's identity rules (CheckPolicy: no wildcard or Not* elements, and
// Resource "*" only for the actions on StarOnlyActions, each with the reason it needs "*") to
// every identity policy of the stack. PolicyWalk covers resource and trust policies as well.
func IAMWalk() []Control {
	return named(identityPoliciesWalked)
}

// ServicesIAM lists the IAM controls specific to the services: the exact @connections grant,
// execution roles limited to the secrets their tasks inject, and the read-only role of the web
// task's listing sidecar.
func ServicesIAM() []Control {
	return named(connectionsGrantExact, executionRolesReadInjectedSecrets, webTaskRoleReadOnly)
}

// StarOnlyActions are the actions an identity policy may grant on Resource "*": the API has no
// resource-level permission or must see every resource to list (Service Authorization
// Reference). Anything else must name resources.
var StarOnlyActions = map[string]string{
	"ecr:GetAuthorizationToken":                  "the registry login token is account-wide",
	"tag:GetResources":                           "lists tagged resources of every service",
	"ecs:ListClusters":                           "lists every cluster",
	"ecs:ListServices":                           "no resource type (an ecs:cluster condition at most)",
	"elasticloadbalancing:DescribeLoadBalancers": "ELB Describe* calls have no resource-level permissions",
	"elasticloadbalancing:DescribeTargetGroups":  "ELB Describe* calls have no resource-level permissions",
	"elasticloadbalancing:DescribeTags":          "ELB Describe* calls have no resource-level permissions",
	"elasticloadbalancing:DescribeTargetHealth":  "ELB Describe* calls have no resource-level permissions",
	"wafv2:ListWebACLs":                          "lists every web ACL of a scope",
	"cloudfront:ListDistributions":               "lists every distribution",
	"cloudwatch:DescribeAlarms":                  "composite alarms are returned only with \"*\"",
}

// ManagedPolicies are the AWS managed policies roles may carry; everything else is an inline
// policy built in Go that the IAM walk reads.
var ManagedPolicies = map[string]string{
	"service-role/AmazonRDSEnhancedMonitoringRole":      "RDS enhanced monitoring (the rds component)",
	"service-role/AmazonAPIGatewayPushToCloudWatchLogs": "the Region-wide API Gateway logging role serves every API of the account",
}

var policiesNameExactActions = Control{
	Name: "policiesNameExactActions",
	ID:   "CKV_AWS_355 IAM policies name exact actions and resources",
	Check: func(rec infratest.Recorded) error {
		check := func(r infratest.Resource) error {
			doc, err := r.Policy("policy")
			if err != nil {
				return err
			}
			return policyIsExact(doc)
		}
		return errors.Join(each(rec, TRolePolicy, 0, check), each(rec, TIAMPolicy, 0, check))
	},
	Props: []Prop{{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":["*"]}]}`}},
}

var rolesTrustOneService = Control{
	Name: "rolesTrustOneService",
	ID:   "CKV_AWS_60 roles trust one AWS service, for this account only",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TRole, 1, func(r infratest.Resource) error {
			doc, err := r.Policy("assumeRolePolicy")
			if err != nil {
				return err
			}
			var errs []error
			for _, s := range doc.Statement {
				if s.Principal == nil || s.Principal.Wildcard || len(s.Principal.AWS) > 0 || len(s.Principal.Federated) > 0 || len(s.Principal.Service) != 1 {
					errs = append(errs, fmt.Errorf("statement %q must trust exactly one service principal", s.Sid))
				}
				if len(s.Condition["StringEquals"]["aws:SourceAccount"]) != 1 {
					errs = append(errs, fmt.Errorf("statement %q lacks the aws:SourceAccount condition", s.Sid))
				}
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TRole, "assumeRolePolicy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole"]}]}`}},
}

var identityPoliciesWalked = Control{
	Name: "identityPoliciesWalked",
	ID:   "CKV_AWS_355/290 identity policies: no wildcard actions, \"*\" resources only for StarOnlyActions",
	Check: func(rec infratest.Recorded) error {
		docs, err := PolicyDocuments(rec)
		if err != nil {
			return err
		}
		var errs []error
		n := 0
		for _, d := range docs {
			if d.Kind == KindIdentity {
				n++
				errs = append(errs, CheckPolicy(d))
			}
		}
		if n == 0 {
			errs = append(errs, errors.New("no identity policy recorded to walk"))
		}
		return errors.Join(errs...)
	},
	Props: []Prop{
		{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":["arn:aws:logs:eu-west-1:1:log-group:x:*"]}]}`},
		{TRolePolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["*"]}]}`},
	},
}

var connectionsGrantExact = Control{
	Name: "connectionsGrantExact",
	ID:   "IAM.CONNECTIONS execute-api:ManageConnections only on the stage's @connections (POST, GET, DELETE)",
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
}

var executionRolesReadInjectedSecrets = Control{
	Name: "executionRolesReadInjectedSecrets",
	ID:   "IAM.EXECSECRETS each execution role reads exactly the secrets its task definition injects",
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
					if m := secretRef.FindStringSubmatch(mapStr(kv, "valueFrom")); m != nil && !slices.Contains(injected, m[1]) {
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
}

var webTaskRoleReadOnly = Control{
	Name: "webTaskRoleReadOnly",
	ID:   "IAM.READONLY the web task role (service-listing sidecar) grants only read actions",
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
}

// starOnly reports whether every action accepts only Resource "*" (StarOnlyActions).
func starOnly(actions []string) bool {
	for _, a := range actions {
		if _, ok := StarOnlyActions[a]; !ok {
			return false
		}
	}
	return len(actions) > 0
}

// policyIsExact rejects wildcard actions ("*", "svc:*") and "*" resources, except for actions
// that accept nothing but "*" (StarOnlyActions).
func policyIsExact(doc iampolicy.Document) error {
	var errs []error
	for _, s := range doc.Statement {
		if len(s.NotAction) > 0 {
			errs = append(errs, fmt.Errorf("statement %q uses NotAction", s.Sid))
		}
		for _, a := range s.Action {
			if a == "*" || strings.HasSuffix(a, ":*") {
				errs = append(errs, fmt.Errorf("statement %q allows wildcard action %q", s.Sid, a))
			}
		}
		for _, res := range s.Resource {
			if res == "*" && !starOnly(s.Action) {
				errs = append(errs, fmt.Errorf("statement %q applies to every resource", s.Sid))
			}
		}
	}
	return errors.Join(errs...)
}

// isReadAction reports whether an action only reads (Describe*, List*, Get*, apigateway:GET).
func isReadAction(a string) bool {
	svc, op, ok := strings.Cut(a, ":")
	if !ok || svc == "" {
		return false
	}
	if a == "apigateway:GET" {
		return true
	}
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(op, p) && !strings.Contains(op, "*") {
			return true
		}
	}
	return false
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
