package ecsservices

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HealthCheckGraceSeconds is how long a new task's load-balancer health checks are ignored,
// counted from the task's start: the backend's migrate init container (at most
// MigrateTimeoutSeconds), then chess-server waiting for PostgreSQL and Redis (at most
// BackendStartupSeconds), then two passing ALB checks 15 s apart, plus 30 s of margin (240 s).
const HealthCheckGraceSeconds = MigrateTimeoutSeconds + BackendStartupSeconds + 2*15 + 30

// BackendStartupSeconds is chess-server's default STARTUP_TIMEOUT (the backend sets none).
const BackendStartupSeconds = 60

// Auto scaling cooldowns: scale out fast, scale in slowly (WebSocket clients reconnect when a
// task drains).
const (
	ScaleOutCooldownSeconds = 60
	ScaleInCooldownSeconds  = 300
)

// serviceSpec is one Fargate service.
type serviceSpec struct {
	family        string
	taskDef       *ecs.TaskDefinition
	securityGroup pulumi.StringInput
	count         TaskCount
	bootstrap     bool
	// targets are the target groups the service registers with; requestTG is the ALB one
	// whose requests per target drive the request-count policy.
	targets   []serviceTarget
	requestTG *lb.TargetGroup
}

type serviceTarget struct {
	tg        *lb.TargetGroup
	container string
	port      int
}

// services creates both Fargate services and their auto scaling.
func (b *builder) services() error {
	a := b.args
	specs := []serviceSpec{
		{
			family: FamilyWeb, taskDef: b.s.WebTaskDef, securityGroup: a.SecurityGroups.Web, count: a.WebTasks,
			bootstrap: a.webBootstrap(), requestTG: b.s.WebTGroup,
			targets: []serviceTarget{{b.s.WebTGroup, ContainerWeb, a.WebPort}},
		},
		{
			family: FamilyBackend, taskDef: b.s.BackendTaskDef, securityGroup: a.SecurityGroups.Backend, count: a.BackendTasks,
			bootstrap: a.backendBootstrap(), requestTG: b.s.BackendTGroup,
			// The ALB serves the HTTP API and /ws; the NLB serves API Gateway's /apigw/*.
			targets: []serviceTarget{{b.s.BackendTGroup, ContainerBackend, a.BackendPort}, {b.s.NLBTargetGroup, ContainerBackend, a.BackendPort}},
		},
	}
	for _, sp := range specs {
		svc, desired, err := b.service(sp)
		if err != nil {
			return err
		}
		switch sp.family {
		case FamilyWeb:
			b.s.WebService, b.s.WebServiceName, b.s.WebDesiredCount = svc, svc.Name, desired
		case FamilyBackend:
			b.s.BackendService, b.s.BackendServiceName, b.s.BackendDesiredCount = svc, svc.Name, desired
		}
	}
	return nil
}

func (b *builder) service(sp serviceSpec) (*ecs.Service, int, error) {
	a := b.args
	lbs := ecs.ServiceLoadBalancerArray{}
	deps := append([]pulumi.Resource(nil), b.listeners...)
	for _, t := range sp.targets {
		lbs = append(lbs, &ecs.ServiceLoadBalancerArgs{TargetGroupArn: t.tg.Arn, ContainerName: pulumi.String(t.container), ContainerPort: pulumi.Int(t.port)})
		if len(b.attachments[t.tg]) == 0 {
			return nil, 0, b.wrap(sp.family+" service", fmt.Errorf("no listener or rule forwards to target group of container %s", t.container))
		}
		deps = append(deps, b.attachments[t.tg]...)
	}
	// Bootstrap: no image yet, so no task and no scaling room.
	minTasks, maxTasks := sp.count.Min, sp.count.Max
	if sp.bootstrap {
		minTasks, maxTasks = 0, 0
	}
	svc, err := ecs.NewService(b.ctx, b.name+"-"+sp.family, &ecs.ServiceArgs{
		Name:            pulumi.String(sp.family),
		Cluster:         b.s.Cluster.Arn,
		TaskDefinition:  sp.taskDef.Arn,
		DesiredCount:    pulumi.Int(minTasks),
		LaunchType:      pulumi.String("FARGATE"),
		PlatformVersion: pulumi.String("LATEST"),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        a.PrivateSubnetIDs,
			SecurityGroups: pulumi.StringArray{sp.securityGroup},
			AssignPublicIp: pulumi.Bool(false),
		},
		LoadBalancers:                 lbs,
		HealthCheckGracePeriodSeconds: pulumi.Int(HealthCheckGraceSeconds),
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		},
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		AvailabilityZoneRebalancing:     pulumi.String("ENABLED"),
		EnableExecuteCommand:            pulumi.Bool(false),
		EnableEcsManagedTags:            pulumi.Bool(true),
		PropagateTags:                   pulumi.String("SERVICE"),
		// The provider waits (up to its 20-minute create/update timeout) until the service
		// runs its desired count on one deployment: tasks that crash-loop, fail their health
		// checks or cannot pull make `pulumi up` fail instead of reporting success.
		WaitForSteadyState: pulumi.Bool(true),
		Tags:               b.tags(sp.family + "-service"),
	}, b.parent, pulumi.DependsOn(deps),
		// Auto scaling owns the running count after creation.
		pulumi.IgnoreChanges([]string{"desiredCount"}))
	if err != nil {
		return nil, 0, b.wrap(sp.family+" service", err)
	}
	b.deployed(sp.family, svc, sp.taskDef)

	target, err := appautoscaling.NewTarget(b.ctx, b.name+"-"+sp.family+"-scaling", &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", b.s.Cluster.Name, svc.Name),
		MinCapacity:       pulumi.Int(minTasks),
		MaxCapacity:       pulumi.Int(maxTasks),
		Tags:              b.tags(sp.family + "-scaling"),
	}, b.parent)
	if err != nil {
		return nil, 0, b.wrap(sp.family+" scalable target", err)
	}
	policy := func(kind string, metric *appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs, value int) error {
		_, err := appautoscaling.NewPolicy(b.ctx, b.name+"-"+sp.family+"-"+kind, &appautoscaling.PolicyArgs{
			Name:              pulumi.String(a.NamePrefix + "-" + sp.family + "-" + kind),
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ServiceNamespace:  target.ServiceNamespace,
			ScalableDimension: target.ScalableDimension,
			ResourceId:        target.ResourceId,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				PredefinedMetricSpecification: metric,
				TargetValue:                   pulumi.Float64(float64(value)),
				ScaleInCooldown:               pulumi.Int(ScaleInCooldownSeconds),
				ScaleOutCooldown:              pulumi.Int(ScaleOutCooldownSeconds),
				DisableScaleIn:                pulumi.Bool(false),
			},
		}, b.parent)
		if err != nil {
			return b.wrap(sp.family+" "+kind+" scaling policy", err)
		}
		return nil
	}
	if err := policy("cpu", &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
		PredefinedMetricType: pulumi.String("ECSServiceAverageCPUUtilization"),
	}, a.ScalingCPUPercent); err != nil {
		return nil, 0, err
	}
	if err := policy("requests", &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
		PredefinedMetricType: pulumi.String("ALBRequestCountPerTarget"),
		ResourceLabel:        pulumi.Sprintf("%s/%s", b.s.ALBARNSuffix, sp.requestTG.ArnSuffix),
	}, a.ScalingRequestsPerTarget); err != nil {
		return nil, 0, err
	}
	return svc, minTasks, nil
}

// deployed records a check that the service settled on the task definition this update asked
// for. With the circuit breaker's rollback, a crash-looping revision is rolled back to the last
// good one, which is steady too, so WaitForSteadyState alone would report success; the
// service then names the old revision, and the check fails `pulumi up`.
func (b *builder) deployed(family string, svc *ecs.Service, td *ecs.TaskDefinition) {
	check := pulumi.All(svc.TaskDefinition.Elem(), td.Arn).ApplyT(func(v []any) (string, error) {
		running, _ := v[0].(string)
		want, _ := v[1].(string)
		return want, CheckDeployed(family, want, running)
	}).(pulumi.StringOutput)
	if b.s.deployedTaskDefs == nil {
		b.s.deployedTaskDefs = pulumi.StringMap{}
	}
	b.s.deployedTaskDefs[family] = check
}

// CheckDeployed compares the task definition a service runs after its steady-state wait with
// the one the update requested (families match; a rollback leaves an older revision).
func CheckDeployed(family, requested, running string) error {
	if requested == running {
		return nil
	}
	return fmt.Errorf("ecsservices: the %s service runs %s, not %s: the deployment circuit breaker rolled back the new revision (tasks failed to start or stay healthy; see the service events and the /ecs log groups)", family, running, requested)
}
