package observability

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// alarmsFor lists every alarm, in a stable order.
func alarmsFor(w *WatchArgs, region string, maxConn int, t Thresholds) []alarm {
	const (
		gt = "GreaterThanThreshold"
		lt = "LessThanThreshold"
	)
	lb := pulumi.StringMap{"LoadBalancer": w.ALBARNSuffix}
	out := []alarm{
		{key: "alb-elb-5xx", description: "The ALB itself answers 5xx (no healthy target, TLS or capacity trouble)",
			namespace: "AWS/ApplicationELB", metric: "HTTPCode_ELB_5XX_Count", dims: lb, stat: "Sum",
			period: 300, evaluations: 1, datapoints: 1, comparison: gt, threshold: t.ELB5xxPer5Min, missing: "notBreaching"},
		{key: "alb-target-5xx-rate", description: fmt.Sprintf("More than %.0f%% of requests end in a 5xx from the targets", t.Target5xxPercent),
			evaluations: 5, datapoints: 3, comparison: gt, threshold: t.Target5xxPercent, missing: "notBreaching",
			queries: cloudwatch.MetricAlarmMetricQueryArray{
				metricQuery("errors", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, "Sum"),
				metricQuery("requests", "AWS/ApplicationELB", "RequestCount", lb, "Sum"),
				&cloudwatch.MetricAlarmMetricQueryArgs{
					Id:         pulumi.String("rate"),
					Label:      pulumi.String("Target 5xx (% of requests)"),
					Expression: pulumi.String("IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)"),
					ReturnData: pulumi.Bool(true),
				},
			}},
		{key: "alb-p95-latency", description: fmt.Sprintf("p95 target response time above %gs", t.P95Seconds),
			namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", dims: lb, stat: "p95",
			period: 60, evaluations: 3, datapoints: 3, comparison: gt, threshold: t.P95Seconds, missing: "notBreaching"},
		{key: "alb-p99-latency", description: fmt.Sprintf("p99 target response time above %gs", t.P99Seconds),
			namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", dims: lb, stat: "p99",
			period: 60, evaluations: 3, datapoints: 3, comparison: gt, threshold: t.P99Seconds, missing: "notBreaching"},
	}
	for _, role := range slices.Sorted(maps.Keys(w.TargetGroups)) {
		dims := pulumi.StringMap{"LoadBalancer": w.ALBARNSuffix, "TargetGroup": w.TargetGroups[role]}
		out = append(out,
			alarm{key: "tg-" + role + "-unhealthy", description: "Unhealthy " + role + " targets behind the ALB",
				namespace: "AWS/ApplicationELB", metric: "UnHealthyHostCount", dims: dims, stat: "Maximum",
				period: 60, evaluations: 3, datapoints: 3, comparison: gt, threshold: 0, missing: "notBreaching"},
			noHealthyAlarm(role, dims, pulumi.StringMap{"ClusterName": w.ClusterName, "ServiceName": w.Services[role].Name}),
		)
	}
	for _, role := range slices.Sorted(maps.Keys(w.Services)) {
		s := w.Services[role]
		dims := pulumi.StringMap{"ClusterName": w.ClusterName, "ServiceName": s.Name}
		out = append(out,
			alarm{key: "ecs-" + role + "-cpu", description: fmt.Sprintf("%s service CPU above %.0f%%", role, t.CPUPercent),
				namespace: "AWS/ECS", metric: "CPUUtilization", dims: dims, stat: "Average",
				period: 300, evaluations: 2, datapoints: 2, comparison: gt, threshold: t.CPUPercent, missing: "notBreaching"},
			alarm{key: "ecs-" + role + "-memory", description: fmt.Sprintf("%s service memory above %.0f%%", role, t.MemoryPercent),
				namespace: "AWS/ECS", metric: "MemoryUtilization", dims: dims, stat: "Average",
				period: 300, evaluations: 2, datapoints: 2, comparison: gt, threshold: t.MemoryPercent, missing: "notBreaching"},
		)
		if s.DesiredCount > 0 {
			out = append(out, alarm{key: "ecs-" + role + "-running-tasks",
				description: fmt.Sprintf("%s service runs fewer than %d tasks (Container Insights)", role, s.DesiredCount),
				namespace:   "ECS/ContainerInsights", metric: "RunningTaskCount", dims: dims, stat: "Minimum",
				period: 60, evaluations: 5, datapoints: 5, comparison: lt, threshold: float64(s.DesiredCount), missing: "breaching"})
		}
	}
	rds := pulumi.StringMap{"DBInstanceIdentifier": w.RDSInstanceID}
	freeBytes := float64(w.RDSAllocatedStorageGB) * (1 << 30) * t.RDSFreeStoragePercent / 100
	out = append(out,
		alarm{key: "rds-cpu", description: fmt.Sprintf("Database CPU above %.0f%%", t.CPUPercent),
			namespace: "AWS/RDS", metric: "CPUUtilization", dims: rds, stat: "Average",
			period: 300, evaluations: 3, datapoints: 3, comparison: gt, threshold: t.CPUPercent, missing: "notBreaching"},
		alarm{key: "rds-free-storage", description: fmt.Sprintf("Database free storage below %.0f%% of %d GiB", t.RDSFreeStoragePercent, w.RDSAllocatedStorageGB),
			namespace: "AWS/RDS", metric: "FreeStorageSpace", dims: rds, stat: "Minimum",
			period: 300, evaluations: 1, datapoints: 1, comparison: lt, threshold: freeBytes, missing: "breaching"},
		alarm{key: "rds-connections", description: fmt.Sprintf("Database connections above %.0f%% of max_connections (%d)", t.RDSConnectionsPercent, maxConn),
			namespace: "AWS/RDS", metric: "DatabaseConnections", dims: rds, stat: "Maximum",
			period: 300, evaluations: 3, datapoints: 3, comparison: gt, threshold: float64(maxConn) * t.RDSConnectionsPercent / 100, missing: "notBreaching"},
	)
	for i := 1; i <= w.RedisNodeCount; i++ {
		node := fmt.Sprintf("%03d", i)
		dims := pulumi.StringMap{"CacheClusterId": pulumi.Sprintf("%s-%s", w.RedisReplicationGroupID, node)}
		out = append(out,
			alarm{key: "redis-" + node + "-engine-cpu", description: fmt.Sprintf("Redis node %s engine CPU above %.0f%%", node, t.CPUPercent),
				namespace: "AWS/ElastiCache", metric: "EngineCPUUtilization", dims: dims, stat: "Average",
				period: 300, evaluations: 3, datapoints: 3, comparison: gt, threshold: t.CPUPercent, missing: "notBreaching"},
			// noeviction: a full cache fails writes, so memory is the early warning.
			alarm{key: "redis-" + node + "-memory", description: fmt.Sprintf("Redis node %s memory above %.0f%% (writes fail when full: noeviction)", node, t.MemoryPercent),
				namespace: "AWS/ElastiCache", metric: "DatabaseMemoryUsagePercentage", dims: dims, stat: "Maximum",
				period: 300, evaluations: 2, datapoints: 2, comparison: gt, threshold: t.MemoryPercent, missing: "notBreaching"},
			alarm{key: "redis-" + node + "-evictions", description: fmt.Sprintf("Redis node %s evicted keys (maxmemory-policy should be noeviction)", node),
				namespace: "AWS/ElastiCache", metric: "Evictions", dims: dims, stat: "Sum",
				period: 300, evaluations: 1, datapoints: 1, comparison: gt, threshold: 0, missing: "notBreaching"},
		)
	}
	api := pulumi.StringMap{"ApiId": w.APIID, "Stage": w.APIStage}
	out = append(out,
		alarm{key: "ws-integration-errors", description: "WebSocket API integration errors (backend unreachable or failing through the VPC link)",
			namespace: "AWS/ApiGateway", metric: "IntegrationError", dims: api, stat: "Sum",
			period: 300, evaluations: 1, datapoints: 1, comparison: gt, threshold: t.APIIntegrationErrorsPer5Min, missing: "notBreaching"},
		alarm{key: "ws-execution-errors", description: "WebSocket API execution errors (API Gateway failed to run a route)",
			namespace: "AWS/ApiGateway", metric: "ExecutionError", dims: api, stat: "Sum",
			period: 300, evaluations: 1, datapoints: 1, comparison: gt, threshold: t.APIExecutionErrorsPer5Min, missing: "notBreaching"},
		alarm{key: "ws-client-errors", description: "Spike of WebSocket API client errors (rejected connects, throttling, bad frames)",
			namespace: "AWS/ApiGateway", metric: "ClientError", dims: api, stat: "Sum",
			period: 300, evaluations: 1, datapoints: 1, comparison: gt, threshold: t.APIClientErrorsPer5Min, missing: "notBreaching"},
		alarm{key: "waf-regional-blocked", description: "Spike of requests blocked by the ALB's web ACL",
			namespace: "AWS/WAFV2", metric: "BlockedRequests", dims: pulumi.StringMap{"WebACL": w.RegionalACLName, "Region": pulumi.String(region), "Rule": pulumi.String("ALL")},
			stat: "Sum", period: 300, evaluations: 1, datapoints: 1, comparison: gt, threshold: t.WAFBlockedPer5Min, missing: "notBreaching"},
		// CLOUDFRONT-scope metrics have no Region dimension and exist only in us-east-1.
		alarm{key: "waf-cloudfront-blocked", description: "Spike of requests blocked by the distribution's web ACL (us-east-1)",
			namespace: "AWS/WAFV2", metric: "BlockedRequests", dims: pulumi.StringMap{"WebACL": w.CloudfrontACLName, "Rule": pulumi.String("ALL")},
			stat: "Sum", period: 300, evaluations: 1, datapoints: 1, comparison: gt, threshold: t.WAFBlockedPer5Min, missing: "notBreaching", usEast1: true},
	)
	return out
}

// NoHealthyExpression is the no-healthy-target alarm's metric math: the healthy target count
// while the service wants at least one task, 1 (fine) while it wants none. A service scaled to
// zero on purpose (bootstrap, or an operator's desired count of 0) is not an outage; while it
// wants tasks, no healthy-host data at all counts as zero healthy (FILL).
const NoHealthyExpression = "IF(FILL(desired, 0) > 0, FILL(healthy, 0), 1)"

// noHealthyAlarm fires when the service wants tasks (Container Insights DesiredTaskCount > 0)
// and the target group has no healthy target, three minutes in a row. Missing data is not
// breaching: with no desired-count data there is nothing to guard, and the ecs-<role>-running-
// tasks alarm (missing data breaching) covers a service that should run tasks and reports none.
func noHealthyAlarm(role string, tgDims, serviceDims pulumi.StringMap) alarm {
	return alarm{key: "tg-" + role + "-no-healthy", description: "No healthy " + role + " target behind the ALB while the service wants tasks",
		evaluations: 3, datapoints: 3, comparison: "LessThanThreshold", threshold: 1, missing: "notBreaching",
		queries: cloudwatch.MetricAlarmMetricQueryArray{
			metricQuery("healthy", "AWS/ApplicationELB", "HealthyHostCount", tgDims, "Minimum"),
			metricQuery("desired", "ECS/ContainerInsights", "DesiredTaskCount", serviceDims, "Maximum"),
			&cloudwatch.MetricAlarmMetricQueryArgs{
				Id:         pulumi.String("guarded"),
				Label:      pulumi.String("Healthy " + role + " targets (1 while no task is wanted)"),
				Expression: pulumi.String(NoHealthyExpression),
				ReturnData: pulumi.Bool(true),
			},
		}}
}

func metricQuery(id, namespace, metric string, dims pulumi.StringMap, stat string) *cloudwatch.MetricAlarmMetricQueryArgs {
	return &cloudwatch.MetricAlarmMetricQueryArgs{
		Id: pulumi.String(id),
		Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
			Namespace:  pulumi.String(namespace),
			MetricName: pulumi.String(metric),
			Dimensions: dims,
			Period:     pulumi.Int(60),
			Stat:       pulumi.String(stat),
		},
		ReturnData: pulumi.Bool(false),
	}
}
