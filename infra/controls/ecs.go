package controls

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/infratest"
)

// ECS: the cluster, task definitions (container definitions) and services of ecsservices.

// ECS lists the ECS controls.
func ECS() []Control {
	return named(
		containerInsights,
		readOnlyRootFS,
		notPrivileged,
		noHostPIDMode,
		secretsFromValueFrom,
		containersLogToStack,
		nonRootUser,
		capabilitiesDropped,
		separateTaskRoles,
		containerHealthChecks,
		servicesPrivate,
		servicesOnFargate,
		deploymentSafety,
		autoScaling,
	)
}

// secretLikeEnv matches environment variable names that look like they hold a secret value.
var secretLikeEnv = regexp.MustCompile(`(?i)(PASSWORD|SECRET|TOKEN|_KEY$|^KEY|CREDENTIAL|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|ECS_ENGINE_AUTH_DATA)`)

// secretRef matches a valueFrom: a Secrets Manager ARN, optionally with json-key:stage:version.
var secretRef = regexp.MustCompile(`^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:]+)(:[^:]*:[^:]*:[^:]*)?$`)

// stackSecretArns are the secrets the stack owns or RDS manages for it.
func stackSecretArns(rec infratest.Recorded) []string {
	var out []string
	for _, s := range rec.ByType(TSecret) {
		if v, ok := s.Output("arn"); ok && v.IsString() {
			out = append(out, v.StringValue())
		}
	}
	for _, db := range rec.ByType(TRDSInstance) {
		if v, ok := db.Output("masterUserSecrets[0].secretArn"); ok && v.IsString() {
			out = append(out, v.StringValue())
		}
	}
	return out
}

var containerInsights = Control{
	Name: "containerInsights",
	ID:   "ECS.12 cluster Container Insights enabled",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TCluster, 1, func(r infratest.Resource) error {
			for i := 0; i < r.Len("settings"); i++ {
				n, _ := r.Str(fmt.Sprintf("settings[%d].name", i))
				v, _ := r.Str(fmt.Sprintf("settings[%d].value", i))
				if n == "containerInsights" && (v == "enabled" || v == "enhanced") {
					return nil
				}
			}
			return errors.New("containerInsights is not set to enabled")
		})
	},
	Props: []Prop{{TCluster, "settings", []any{map[string]any{"name": "containerInsights", "value": "disabled"}}}},
}

var readOnlyRootFS = Control{
	Name: "readOnlyRootFS",
	ID:   "ECS.5 containers have read-only root filesystems",
	Check: func(rec infratest.Recorded) error {
		return eachContainer(rec, func(_ infratest.Resource, c map[string]any) error {
			if v, ok := c["readonlyRootFilesystem"].(bool); !ok || !v {
				return errors.New("readonlyRootFilesystem is not true")
			}
			return nil
		})
	},
	Breaks: []Break{
		EditContainers("readonlyRootFilesystem removed", func(c map[string]any) { delete(c, "readonlyRootFilesystem") }),
		EditContainers("readonlyRootFilesystem=false", func(c map[string]any) { c["readonlyRootFilesystem"] = false }),
	},
}

var notPrivileged = Control{
	Name: "notPrivileged",
	ID:   "ECS.4 containers are not privileged (set explicitly; CKV_AWS_334 checks nothing)",
	Check: func(rec infratest.Recorded) error {
		return eachContainer(rec, func(_ infratest.Resource, c map[string]any) error {
			if v, ok := c["privileged"].(bool); !ok || v {
				return errors.New("privileged is not explicitly false")
			}
			return nil
		})
	},
	Breaks: []Break{
		EditContainers("privileged removed", func(c map[string]any) { delete(c, "privileged") }),
		EditContainers("privileged=true", func(c map[string]any) { c["privileged"] = true }),
	},
}

var noHostPIDMode = Control{
	Name: "noHostPIDMode",
	ID:   "ECS.3 tasks do not share the host's process namespace",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TTaskDef, 1, func(r infratest.Resource) error {
			if m, ok := r.Str("pidMode"); ok && m == "host" {
				return errors.New(`pidMode is "host"`)
			}
			return isStr(r, "networkMode", "awsvpc")
		})
	},
	Props: []Prop{{TTaskDef, "pidMode", AbsentIsSecure("host")}, {TTaskDef, "networkMode", "host"}},
}

var secretsFromValueFrom = Control{
	Name: "secretsFromValueFrom",
	ID:   "ECS.8 secrets only through secrets[].valueFrom, naming the stack's secrets",
	Check: func(rec infratest.Recorded) error {
		known := stackSecretArns(rec)
		return eachContainer(rec, func(_ infratest.Resource, c map[string]any) error {
			var errs []error
			env, _ := c["environment"].([]any)
			for _, e := range env {
				kv, _ := e.(map[string]any)
				if secretLikeEnv.MatchString(mapStr(kv, "name")) && !strings.HasPrefix(mapStr(kv, "value"), "arn:") {
					errs = append(errs, fmt.Errorf("environment %s holds a secret value; use secrets[].valueFrom", mapStr(kv, "name")))
				}
			}
			secrets, _ := c["secrets"].([]any)
			for _, s := range secrets {
				kv, _ := s.(map[string]any)
				m := secretRef.FindStringSubmatch(mapStr(kv, "valueFrom"))
				if m == nil || !slices.Contains(known, m[1]) {
					errs = append(errs, fmt.Errorf("secret %s valueFrom %q is not a secret of the stack", mapStr(kv, "name"), mapStr(kv, "valueFrom")))
				}
			}
			return errors.Join(errs...)
		})
	},
	Breaks: []Break{
		EditContainers("plain TOKEN_KEY in environment", func(c map[string]any) {
			c["environment"] = append(asList(c["environment"]), map[string]any{"name": "TOKEN_KEY", "value": "0123456789abcdef0123456789abcdef"})
		}),
		EditContainers("secret from a foreign ARN", func(c map[string]any) {
			c["secrets"] = append(asList(c["secrets"]), map[string]any{"name": "X", "valueFrom": "arn:aws:secretsmanager:eu-west-1:999999999999:secret:other-AbCdEf"})
		}),
	},
}

var containersLogToStack = Control{
	Name: "containersLogToStack",
	ID:   "ECS.9 containers log with awslogs to the stack's log groups",
	Check: func(rec infratest.Recorded) error {
		return eachContainer(rec, func(_ infratest.Resource, c map[string]any) error {
			lc, _ := c["logConfiguration"].(map[string]any)
			opts, _ := lc["options"].(map[string]any)
			if mapStr(lc, "logDriver") != "awslogs" {
				return errors.New("logDriver is not awslogs")
			}
			group := mapStr(opts, "awslogs-group")
			if len(infratest.ByOutput(rec, TLogGroup, "name", group)) != 1 {
				return fmt.Errorf("awslogs-group %q is not a log group of the stack", group)
			}
			if mapStr(opts, "awslogs-region") == "" || mapStr(opts, "awslogs-stream-prefix") == "" {
				return errors.New("awslogs-region or awslogs-stream-prefix missing")
			}
			return nil
		})
	},
	Breaks: []Break{
		EditContainers("logConfiguration removed", func(c map[string]any) { delete(c, "logConfiguration") }),
		EditContainers("log group outside the stack", func(c map[string]any) {
			c["logConfiguration"] = map[string]any{"logDriver": "awslogs", "options": map[string]any{"awslogs-group": "/elsewhere", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "x"}}
		}),
	},
}

var nonRootUser = Control{
	Name: "nonRootUser",
	ID:   "CT.ECS.PR.3 containers run as non-root users",
	Check: func(rec infratest.Recorded) error {
		return eachContainer(rec, func(_ infratest.Resource, c map[string]any) error {
			u := mapStr(c, "user")
			uid, _, _ := strings.Cut(u, ":")
			if uid == "" || uid == "0" || uid == "root" {
				return fmt.Errorf("user %q is root or unset", u)
			}
			return nil
		})
	},
	Breaks: []Break{
		EditContainers("user removed", func(c map[string]any) { delete(c, "user") }),
		EditContainers("user=0:0", func(c map[string]any) { c["user"] = "0:0" }),
	},
}

var capabilitiesDropped = Control{
	Name: "capabilitiesDropped",
	ID:   "ECS.CAPS containers drop every Linux capability",
	Check: func(rec infratest.Recorded) error {
		return eachContainer(rec, func(_ infratest.Resource, c map[string]any) error {
			lp, _ := c["linuxParameters"].(map[string]any)
			caps, _ := lp["capabilities"].(map[string]any)
			drop, _ := caps["drop"].([]any)
			if !slices.Contains(drop, any("ALL")) {
				return errors.New("capabilities.drop does not contain ALL")
			}
			if add, _ := caps["add"].([]any); len(add) > 0 {
				return fmt.Errorf("capabilities added: %v", add)
			}
			return nil
		})
	},
	Breaks: []Break{EditContainers("linuxParameters removed", func(c map[string]any) { delete(c, "linuxParameters") })},
}

var separateTaskRoles = Control{
	Name: "separateTaskRoles",
	ID:   "CKV_AWS_249 separate execution and task roles",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TTaskDef, 1, func(r infratest.Resource) error {
			exec, err1 := nonEmpty(r, "executionRoleArn")
			task, err2 := nonEmpty(r, "taskRoleArn")
			if err := errors.Join(err1, err2); err != nil {
				return err
			}
			if exec == task {
				return errors.New("executionRoleArn and taskRoleArn are the same role")
			}
			return nil
		})
	},
	Props: []Prop{{TTaskDef, "taskRoleArn", nil}},
	Breaks: []Break{edit("task role = execution role", TTaskDef, func(_ infratest.Resource, in resource.PropertyMap) {
		in["taskRoleArn"] = in["executionRoleArn"]
	})},
}

var containerHealthChecks = Control{
	Name: "containerHealthChecks",
	ID:   "ECS.HEALTH essential containers have a container health check (exempt: images without a client, checked by their target groups)",
	Check: func(rec infratest.Recorded) error {
		// A task no service runs (a one-shot task) ends by itself: nothing
		// would act on its health.
		served := map[string]bool{}
		for _, s := range rec.ByType(TService) {
			arn, _ := s.Str("taskDefinition")
			served[arn] = true
		}
		return eachContainer(rec, func(td infratest.Resource, c map[string]any) error {
			if arn, _ := td.Output("arn"); arn.IsString() && !served[arn.StringValue()] {
				return nil
			}
			if e, _ := c["essential"].(bool); !e {
				return nil
			}
			hc, ok := c["healthCheck"].(map[string]any)
			own := ok && len(asList(hc["command"])) > 1
			_, exempt := NoContainerHealthCheck[mapStr(c, "name")]
			switch {
			case own:
				return nil
			case !exempt:
				return errors.New("essential container without a container health check")
			case checkedTargetGroups(rec, td, mapStr(c, "name")) == 0:
				return errors.New("exempt from a container health check but no target group checks it")
			}
			return nil
		})
	},
	Breaks: []Break{
		EditContainers("container health checks removed", func(c map[string]any) { delete(c, "healthCheck") }),
	},
}

var servicesPrivate = Control{
	Name: "servicesPrivate",
	ID:   "ECS.2 services in private subnets without public IPs, in their design group",
	Check: func(rec infratest.Recorded) error {
		private := subnetIDsByTier(rec)["private"]
		groups := groupNames(rec)
		return each(rec, TService, 1, func(r infratest.Resource) error {
			var errs []error
			errs = append(errs, isBool(r, "networkConfiguration.assignPublicIp", false))
			subnets := r.Strings("networkConfiguration.subnets")
			if len(subnets) < 2 {
				errs = append(errs, fmt.Errorf("%d subnets, want the private subnets of at least 2 AZs", len(subnets)))
			}
			for _, s := range subnets {
				if !slices.Contains(private, s) {
					errs = append(errs, fmt.Errorf("subnet %s is not private", s))
				}
			}
			name, _ := r.Str("name")
			if sgs := r.Strings("networkConfiguration.securityGroups"); len(sgs) != 1 || sgs[0] != groups[name] {
				errs = append(errs, fmt.Errorf("security groups %v, want only the %s group", sgs, name))
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TService, "networkConfiguration", map[string]any{"assignPublicIp": true, "subnets": []any{"subnet-public"}}}},
}

var servicesOnFargate = Control{
	Name: "servicesOnFargate",
	ID:   "ECS.10 services run on Fargate, platform LATEST",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TService, 1, func(r infratest.Resource) error {
			return errors.Join(isStr(r, "launchType", "FARGATE"), isStr(r, "platformVersion", "LATEST"))
		})
	},
	Props: []Prop{{TService, "launchType", "EC2"}, {TService, "platformVersion", "1.3.0"}},
}

var deploymentSafety = Control{
	Name: "deploymentSafety",
	ID:   "ECS.DEPLOY circuit breaker with rollback, health-check grace, ECS Exec off",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TService, 1, func(r infratest.Resource) error {
			return errors.Join(
				isBool(r, "deploymentCircuitBreaker.enable", true),
				isBool(r, "deploymentCircuitBreaker.rollback", true),
				intBetween(r, "healthCheckGracePeriodSeconds", 30, 600),
				isBool(r, "enableExecuteCommand", false),
			)
		})
	},
	Props: []Prop{{TService, "deploymentCircuitBreaker", map[string]any{"enable": true, "rollback": false}}, {TService, "healthCheckGracePeriodSeconds", 0}, {TService, "enableExecuteCommand", true}},
}

var autoScaling = Control{
	Name: "autoScaling",
	ID:   "ECS.SCALE auto scaling on CPU and on ALB requests per target for every service",
	Check: func(rec infratest.Recorded) error {
		clusters := map[string]string{}
		for _, c := range rec.ByType(TCluster) {
			n, _ := c.Str("name")
			clusters[c.ID] = n
		}
		return each(rec, TService, 1, func(s infratest.Resource) error {
			name, _ := s.Str("name")
			cluster, _ := s.Str("cluster")
			id := "service/" + clusters[cluster] + "/" + name
			targets := infratest.ByOutput(rec, TScalingTarget, "resourceId", id)
			if len(targets) != 1 {
				return fmt.Errorf("%d scalable targets for %s, want 1", len(targets), id)
			}
			t := targets[0]
			lo, _ := t.Int("minCapacity")
			hi, _ := t.Int("maxCapacity")
			desired, _ := s.Int("desiredCount")
			var errs []error
			if lo > hi || desired < lo || desired > hi {
				errs = append(errs, fmt.Errorf("capacity %d..%d with desired %d", lo, hi, desired))
			}
			if !s.IgnoresChanges("desiredCount") {
				errs = append(errs, errors.New("desiredCount is not left to auto scaling (ignoreChanges)"))
			}
			kinds := map[string]bool{}
			for _, p := range infratest.ByOutput(rec, TScalingPolicy, "resourceId", id) {
				if pt, _ := p.Str("policyType"); pt != "TargetTrackingScaling" {
					continue
				}
				kind, _ := p.Str("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType")
				if kind == "ALBRequestCountPerTarget" {
					if l, _ := p.Str("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel"); !strings.Contains(l, "/targetgroup/") {
						continue
					}
				}
				kinds[kind] = true
			}
			for _, k := range []string{"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"} {
				if !kinds[k] {
					errs = append(errs, fmt.Errorf("no %s target-tracking policy", k))
				}
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TScalingPolicy, "targetTrackingScalingPolicyConfiguration", nil}, {TScalingTarget, "resourceId", "service/other/x"}},
}

// NoContainerHealthCheck are the containers whose image cannot run a health check command;
// their load balancers' target groups check them instead (and ECS replaces the tasks those
// report unhealthy).
var NoContainerHealthCheck = map[string]string{}

// checkedTargetGroups counts the target groups with a health check that a service running the
// task definition registers the container with.
func checkedTargetGroups(rec infratest.Recorded, td infratest.Resource, container string) int {
	arn, _ := td.Output("arn")
	n := 0
	for _, s := range rec.ByType(TService) {
		if a, _ := s.Str("taskDefinition"); a != arn.StringValue() {
			continue
		}
		for i := 0; i < s.Len("loadBalancers"); i++ {
			c, _ := s.Str(fmt.Sprintf("loadBalancers[%d].containerName", i))
			tgArn, _ := s.Str(fmt.Sprintf("loadBalancers[%d].targetGroupArn", i))
			if c != container {
				continue
			}
			for _, tg := range infratest.ByOutput(rec, TTargetGroup, "arn", tgArn) {
				if p, ok := tg.Str("healthCheck.path"); ok && p != "" {
					n++
				}
			}
		}
	}
	return n
}

// --- container definitions ---

// Containers decodes a task definition's container definitions.
func Containers(r infratest.Resource) ([]map[string]any, error) {
	s, ok := r.Str("containerDefinitions")
	if !ok {
		return nil, fmt.Errorf("%s has no containerDefinitions", label(r))
	}
	var cs []map[string]any
	if err := json.Unmarshal([]byte(s), &cs); err != nil {
		return nil, fmt.Errorf("%s: containerDefinitions: %w", label(r), err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s has no containers", label(r))
	}
	return cs, nil
}

// eachContainer applies fn to every container of every task definition (at least one).
func eachContainer(rec infratest.Recorded, fn func(td infratest.Resource, c map[string]any) error) error {
	return each(rec, TTaskDef, 1, func(td infratest.Resource) error {
		cs, err := Containers(td)
		if err != nil {
			return err
		}
		var errs []error
		for _, c := range cs {
			if err := fn(td, c); err != nil {
				errs = append(errs, fmt.Errorf("container %v: %w", c["name"], err))
			}
		}
		return errors.Join(errs...)
	})
}

// EditContainers is a Break that rewrites every container definition with fn.
func EditContainers(name string, fn func(c map[string]any)) Break {
	return Break{Name: name, Apply: func(rec infratest.Set) infratest.Set {
		for i, r := range rec {
			if r.Type != TTaskDef {
				continue
			}
			cs, err := Containers(r)
			if err != nil {
				continue
			}
			for _, c := range cs {
				fn(c)
			}
			b, _ := json.Marshal(cs)
			rec[i].Inputs["containerDefinitions"] = resource.NewStringProperty(string(b))
		}
		return rec
	}}
}
