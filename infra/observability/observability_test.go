package observability

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/controls"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

const (
	testPrefix = "chess-platform-test"
	albSuffix  = "app/chess-platform-test/50dc6c495c0c9188"
	webTG      = "targetgroup/chess-platform-test-web/6d0ecf831eec9f09"
	backendTG  = "targetgroup/chess-platform-test-backend/1a2b3c4d5e6f7a8b"
	cluster    = "chess-platform-test"
	rdsID      = "chess-platform-test-pg"
	redisID    = "chess-platform-test-redis"
	apiID      = "a1b2c3d4e5"
	stage      = "live"
	aclRegion  = "chess-platform-test-regional"
	aclCF      = "chess-platform-test-cloudfront"
	email      = "oncall@example.com"
)

var testLogGroups = []string{"web", "health-check", "list-services", "backend", "/aws/lambda/chess-platform-test-ws-authorizer", "apigw/access"}

// wired are awaited outputs and references.
type wired struct {
	Names, ARNs                         map[string]string
	Topic, EastTopic, Key, Trail, Board string
	DashboardName                       string
	ProviderRef                         string
}

func testArgs(a awsenv.Account) *Args {
	return &Args{
		Common:                component.Common{Account: a, NamePrefix: testPrefix, LogRetentionDays: 365, KMSDeletionWindowDays: 30, Tags: map[string]string{"Project": "chess-platform", "Stack": "test", "Component": "observability"}},
		LogGroups:             testLogGroups,
		AlarmEmail:            email,
		ExtraLogGroupPatterns: []string{"API-Gateway-Execution-Logs_*"},
	}
}

func testWatch(p pulumi.ProviderResource) *WatchArgs {
	return &WatchArgs{
		ALBARNSuffix:            pulumi.String(albSuffix),
		TargetGroups:            map[string]pulumi.StringInput{"web": pulumi.String(webTG), "backend": pulumi.String(backendTG)},
		ClusterName:             pulumi.String(cluster),
		Services:                map[string]Service{"web": {Name: pulumi.String(cluster + "-web"), DesiredCount: 2}, "backend": {Name: pulumi.String(cluster + "-backend"), DesiredCount: 3}},
		RDSInstanceID:           pulumi.String(rdsID),
		RDSAllocatedStorageGB:   20,
		RDSInstanceClass:        "db.t4g.micro",
		RedisReplicationGroupID: pulumi.String(redisID),
		RedisNodeCount:          2,
		APIID:                   pulumi.String(apiID),
		APIStage:                pulumi.String(stage),
		RegionalACLName:         pulumi.String(aclRegion),
		CloudfrontACLName:       pulumi.String(aclCF),
		UsEast1:                 p,
	}
}

func run(t *testing.T, edit func(*Args), editWatch func(*WatchArgs)) (*infratest.Mocks, *Observability, wired) {
	t.Helper()
	var o *Observability
	var w wired
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		o, w, err = build(ctx, edit, editWatch)
		return err
	})
	return m, o, w
}

func build(ctx *pulumi.Context, edit func(*Args), editWatch func(*WatchArgs)) (*Observability, wired, error) {
	w := wired{Names: map[string]string{}, ARNs: map[string]string{}}
	a, err := awsenv.Lookup(ctx)
	if err != nil {
		return nil, w, err
	}
	p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
	if err != nil {
		return nil, w, err
	}
	args := testArgs(a)
	if edit != nil {
		edit(args)
	}
	o, err := New(ctx, "observability", args)
	if err != nil {
		return nil, w, err
	}
	wa := testWatch(p)
	if editWatch != nil {
		editWatch(wa)
	}
	if err := o.Watch(ctx, wa); err != nil {
		return o, w, err
	}
	for k := range o.LogGroupNames {
		if w.Names[k], err = infratest.Await[string](ctx, o.LogGroupNames[k]); err != nil {
			return o, w, err
		}
		if w.ARNs[k], err = infratest.Await[string](ctx, o.LogGroupARNs[k]); err != nil {
			return o, w, err
		}
	}
	for _, x := range []struct {
		dst *string
		out pulumi.Output
	}{
		{&w.Topic, o.AlarmTopicARN}, {&w.EastTopic, o.UsEast1AlarmTopicARN}, {&w.Key, o.LogsKMSKeyARN},
		{&w.Trail, o.TrailARN}, {&w.Board, o.DashboardURL}, {&w.DashboardName, o.DashboardName}, {&w.ProviderRef, p.URN()},
	} {
		if *x.dst, err = infratest.Await[string](ctx, x.out); err != nil {
			return o, w, err
		}
	}
	id, err := infratest.Await[string](ctx, p.ID())
	w.ProviderRef += "::" + id
	return o, w, err
}

func params() controls.EdgeParams { return controls.EdgeParams{Region: "eu-west-1"} }

// obsControls apply to this component. PolicyWalk's properties are proven breakable on the
// whole stack (its Props assume a role policy attachment), so it only runs in Require here.
func obsControls(withWalk bool) []controls.Control {
	var cs []controls.Control
	for _, c := range [][]controls.Control{controls.CloudTrail(), controls.S3(), controls.Alarms(params()), controls.KMS(),
		controls.Logs(), controls.IAM(), controls.IAMWalk(), controls.Tags()} {
		cs = append(cs, c...)
	}
	if withWalk {
		cs = append(cs, controls.PolicyWalk()...)
	}
	return cs
}

func TestObservabilitySecurity(t *testing.T) {
	m, _, _ := run(t, nil, nil)
	controls.Require(t, controls.InProviderRegions(m, "eu-west-1"), obsControls(true))
}

func TestObservabilityControlsCanFail(t *testing.T) {
	m, _, _ := run(t, nil, nil)
	controls.Breakable(t, controls.InProviderRegions(m, "eu-west-1"), obsControls(false))
}

func TestLogGroups(t *testing.T) {
	m, _, w := run(t, nil, nil)
	want := map[string]string{
		"web":           "/" + testPrefix + "/web",
		"health-check":  "/" + testPrefix + "/health-check",
		"list-services": "/" + testPrefix + "/list-services",
		"backend":       "/" + testPrefix + "/backend",
		"apigw/access":  "/" + testPrefix + "/apigw/access",
		"/aws/lambda/chess-platform-test-ws-authorizer": "/aws/lambda/chess-platform-test-ws-authorizer",
		TrailLogGroup: "/" + testPrefix + "/cloudtrail",
	}
	assert.Equal(t, want, w.Names)
	for k, name := range want {
		g := infratest.ByOutput(m, controls.TLogGroup, "name", name)
		require.Len(t, g, 1, name)
		assert.Equal(t, w.ARNs[k], str(g[0], "arn"), name)
		assert.Equal(t, "arn:aws:logs:eu-west-1:123456789012:log-group:"+name, w.ARNs[k])
		assert.Equal(t, w.Key, str(g[0], "kmsKeyId"), name)
		n, _ := g[0].Int("retentionInDays")
		assert.Equal(t, 365, n, name)
	}
	assert.Len(t, m.ByType(controls.TLogGroup), len(want), "no other log group")

	// The key admits exactly these groups: the prefix and the one outside it.
	doc, err := m.Named(t, controls.TKMSKey, "observability-logs-key").Policy("policy")
	require.NoError(t, err)
	logs := statement(t, doc, "AllowCloudWatchLogs")
	assert.Equal(t, iampolicy.List{
		"arn:aws:logs:eu-west-1:123456789012:log-group:/" + testPrefix + "/*",
		"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/chess-platform-test-ws-authorizer",
		"arn:aws:logs:eu-west-1:123456789012:log-group:API-Gateway-Execution-Logs_*",
	}, logs.Condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
}

func TestTrailWiring(t *testing.T) {
	m, _, w := run(t, nil, nil)
	trail := m.One(t, controls.TTrail)
	assert.Equal(t, "arn:aws:cloudtrail:eu-west-1:123456789012:trail/"+testPrefix+"-trail", w.Trail)
	assert.Equal(t, w.Trail, str(trail, "arn"))
	assert.Equal(t, w.Key, str(trail, "kmsKeyId"))
	assert.Equal(t, w.ARNs[TrailLogGroup]+":*", str(trail, "cloudWatchLogsGroupArn"))

	bucket := m.Named(t, "aws:s3/bucketV2:BucketV2", "observability-trail")
	assert.Equal(t, testPrefix+"-trail-123456789012", bucket.ID)
	assert.Equal(t, bucket.ID, str(trail, "s3BucketName"))
	doc, err := m.Named(t, "aws:s3/bucketPolicy:BucketPolicy", "observability-trail-policy").Policy("policy")
	require.NoError(t, err)
	for _, sid := range []string{"AWSCloudTrailAclCheck", "AWSCloudTrailWrite"} {
		assert.Equal(t, iampolicy.List{w.Trail}, statement(t, doc, sid).Condition["StringEquals"]["aws:SourceArn"], sid)
	}
	assert.Equal(t, iampolicy.List{"arn:aws:s3:::" + bucket.ID + "/AWSLogs/123456789012/*"}, statement(t, doc, "AWSCloudTrailWrite").Resource)

	kdoc, err := m.Named(t, controls.TKMSKey, "observability-logs-key").Policy("policy")
	require.NoError(t, err)
	assert.Equal(t, iampolicy.List{w.Trail}, statement(t, kdoc, "AllowCloudTrailEncryptLogs").Condition["StringEquals"]["aws:SourceArn"])

	role := m.Named(t, controls.TRole, "observability-trail-logs-role")
	assert.Equal(t, str(role, "arn"), str(trail, "cloudWatchLogsRoleArn"))
	rp, err := m.Named(t, controls.TRolePolicy, "observability-trail-logs-policy").Policy("policy")
	require.NoError(t, err)
	assert.Equal(t, iampolicy.List{w.ARNs[TrailLogGroup] + ":log-stream:*"}, rp.Statement[0].Resource)

	sink := m.Named(t, "aws:s3/bucketV2:BucketV2", "observability-trail-access-logs")
	logging := m.One(t, controls.TS3BucketLogging)
	assert.Equal(t, bucket.ID, str(logging, "bucket"))
	assert.Equal(t, sink.ID, str(logging, "targetBucket"))
}

func TestAlarms(t *testing.T) {
	m, o, w := run(t, nil, nil)
	alarms := map[string]infratest.Resource{}
	for _, a := range m.ByType(controls.TMetricAlarm) {
		alarms[strings.TrimPrefix(str(a, "name"), testPrefix+"-")] = a
	}
	want := []string{
		"alb-elb-5xx", "alb-target-5xx-rate", "alb-p95-latency", "alb-p99-latency",
		"tg-backend-unhealthy", "tg-backend-no-healthy", "tg-web-unhealthy", "tg-web-no-healthy",
		"ecs-backend-cpu", "ecs-backend-memory", "ecs-backend-running-tasks", "ecs-web-cpu", "ecs-web-memory", "ecs-web-running-tasks",
		"rds-cpu", "rds-free-storage", "rds-connections",
		"redis-001-engine-cpu", "redis-001-memory", "redis-001-evictions", "redis-002-engine-cpu", "redis-002-memory", "redis-002-evictions",
		"ws-integration-errors", "ws-execution-errors", "ws-client-errors", "waf-regional-blocked", "waf-cloudfront-blocked",
	}
	assert.ElementsMatch(t, want, slices.Collect(maps.Keys(alarms)))
	var names []string
	for _, k := range want {
		names = append(names, testPrefix+"-"+k)
	}
	slices.Sort(names)
	assert.Equal(t, names, o.AlarmNames)

	dims := func(a infratest.Resource) map[string]string {
		out := map[string]string{}
		v, _ := a.Get("dimensions")
		for k, d := range v.ObjectValue() {
			out[string(k)] = d.StringValue()
		}
		return out
	}
	cases := map[string]map[string]string{
		"alb-elb-5xx":               {"LoadBalancer": albSuffix},
		"alb-p99-latency":           {"LoadBalancer": albSuffix},
		"tg-web-unhealthy":          {"LoadBalancer": albSuffix, "TargetGroup": webTG},
		"ecs-web-cpu":               {"ClusterName": cluster, "ServiceName": cluster + "-web"},
		"ecs-backend-running-tasks": {"ClusterName": cluster, "ServiceName": cluster + "-backend"},
		"rds-connections":           {"DBInstanceIdentifier": rdsID},
		"redis-002-memory":          {"CacheClusterId": redisID + "-002"},
		"ws-integration-errors":     {"ApiId": apiID, "Stage": stage},
		"waf-regional-blocked":      {"WebACL": aclRegion, "Region": "eu-west-1", "Rule": "ALL"},
		"waf-cloudfront-blocked":    {"WebACL": aclCF, "Rule": "ALL"},
	}
	for key, want := range cases {
		assert.Equal(t, want, dims(alarms[key]), key)
	}
	assert.Equal(t, "ECS/ContainerInsights", str(alarms["ecs-web-running-tasks"], "namespace"))
	assert.Equal(t, "p95", str(alarms["alb-p95-latency"], "extendedStatistic"))

	thresholds := map[string]float64{
		"ecs-web-running-tasks":     2,
		"ecs-backend-running-tasks": 3,
		"rds-free-storage":          20 * (1 << 30) * 0.10,
		"rds-connections":           112 * 0.8, // db.t4g.micro: 1 GiB / 9531392 bytes per connection
		"alb-elb-5xx":               10,
		"ws-execution-errors":       0,
		"waf-cloudfront-blocked":    100,
	}
	for key, want := range thresholds {
		v, ok := alarms[key].Get("threshold")
		require.True(t, ok, key)
		assert.InDelta(t, want, v.NumberValue(), 0.001, key)
	}
	for key, missing := range map[string]string{"ecs-web-running-tasks": "breaching", "tg-web-no-healthy": "notBreaching", "rds-free-storage": "breaching", "alb-elb-5xx": "notBreaching", "redis-001-evictions": "notBreaching"} {
		assert.Equal(t, missing, str(alarms[key], "treatMissingData"), key)
	}

	// The target 5xx alarm is a rate: metric math over two ALB metrics.
	rate := alarms["alb-target-5xx-rate"]
	assert.Equal(t, 3, rate.Len("metricQueries"))
	assert.Equal(t, "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)", str(rate, "metricQueries[2].expression"))

	// Every alarm notifies a topic in its own region: the CLOUDFRONT one the us-east-1 topic.
	for key, a := range alarms {
		topic, provider := w.Topic, ""
		if key == "waf-cloudfront-blocked" {
			topic, provider = w.EastTopic, w.ProviderRef
		}
		assert.Equal(t, []string{topic}, a.Strings("alarmActions"), key)
		assert.Equal(t, []string{topic}, a.Strings("okActions"), key)
		assert.Equal(t, provider, a.Provider, key)
		b, _ := a.Bool("actionsEnabled")
		assert.True(t, b, key)
	}
	east := infratest.ByOutput(m, controls.TTopic, "arn", w.EastTopic)
	require.Len(t, east, 1)
	assert.Equal(t, w.ProviderRef, east[0].Provider)
	assert.NotEqual(t, w.Topic, w.EastTopic)
}

func TestSubscriptions(t *testing.T) {
	m, _, w := run(t, nil, nil)
	subs := m.ByType(controls.TTopicSubscription)
	require.Len(t, subs, 2)
	var topics []string
	for _, s := range subs {
		assert.Equal(t, "email", str(s, "protocol"))
		assert.Equal(t, email, str(s, "endpoint"))
		topics = append(topics, str(s, "topic"))
	}
	assert.ElementsMatch(t, []string{w.Topic, w.EastTopic}, topics)

	m, _, _ = run(t, func(a *Args) { a.AlarmEmail = "" }, nil)
	assert.Empty(t, m.ByType(controls.TTopicSubscription))
}

func TestScaledToZeroServiceHasNoTaskAlarm(t *testing.T) {
	m, _, _ := run(t, nil, func(w *WatchArgs) {
		w.Services = map[string]Service{"web": {Name: pulumi.String("web"), DesiredCount: 0}, "backend": {Name: pulumi.String("backend"), DesiredCount: 1}}
	})
	for _, a := range m.ByType(controls.TMetricAlarm) {
		assert.NotContains(t, str(a, "name"), "web-running-tasks")
	}
}

func TestDashboard(t *testing.T) {
	m, _, w := run(t, nil, nil)
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/"+testPrefix, w.Board)
	assert.Equal(t, testPrefix, w.DashboardName)
	d := m.One(t, controls.TDashboard)
	var body struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Region  string  `json:"region"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(str(d, "dashboardBody")), &body))
	require.NotEmpty(t, body.Widgets)
	flat := str(d, "dashboardBody")
	for _, v := range []string{albSuffix, webTG, backendTG, cluster + "-web", cluster + "-backend", rdsID, redisID + "-001", redisID + "-002", apiID, aclRegion, aclCF} {
		assert.Contains(t, flat, v)
	}
	for _, wd := range body.Widgets {
		assert.NotEmpty(t, wd.Properties.Metrics, wd.Properties.Title)
		want := "eu-west-1"
		if strings.Contains(wd.Properties.Title, "CloudFront") {
			want = "us-east-1"
		}
		assert.Equal(t, want, wd.Properties.Region, wd.Properties.Title)
	}
}

func TestMaxConnections(t *testing.T) {
	for class, want := range map[string]int{"db.t4g.micro": 112, "db.t4g.medium": 450, "db.m7g.large": 901, "db.r7g.2xlarge": 5000} {
		got, err := MaxConnections(class)
		require.NoError(t, err)
		assert.Equal(t, want, got, class)
	}
	_, err := MaxConnections("db.x1.huge")
	require.ErrorContains(t, err, `unknown instance class "db.x1.huge"`)
}

// TestPreview: under a dry run every output of another component is unknown; Watch must still
// build its alarms and dashboard without known values.
func TestPreview(t *testing.T) {
	m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		_, _, err := build(ctx, nil, nil)
		if err != nil && strings.Contains(err.Error(), "value is unknown") {
			return nil // outputs are unknown at preview; the resources were registered
		}
		return err
	}, infratest.DryRun())
	require.NoError(t, err)
	assert.Len(t, m.ByType(controls.TMetricAlarm), 28)
	assert.Len(t, m.ByType(controls.TDashboard), 1)
}

func TestWatchOnce(t *testing.T) {
	_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		o, _, err := build(ctx, nil, nil)
		if err != nil {
			return err
		}
		p, err := aws.NewProvider(ctx, "again", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		return o.Watch(ctx, testWatch(p))
	})
	require.ErrorContains(t, err, "Watch was already called")
}

func TestInvalidArgsCreateNothing(t *testing.T) {
	cases := map[string]struct {
		edit func(*Args)
		want string
	}{
		"reserved group":  {func(a *Args) { a.LogGroups = []string{"cloudtrail"} }, "reserved"},
		"duplicate group": {func(a *Args) { a.LogGroups = []string{"web", "/" + testPrefix + "/web"} }, "duplicates"},
		"bad group name":  {func(a *Args) { a.LogGroups = []string{"web app"} }, "not a valid"},
		"retention":       {func(a *Args) { a.LogRetentionDays = 42 }, "LogRetentionDays 42"},
		"window":          {func(a *Args) { a.KMSDeletionWindowDays = 60 }, "KMSDeletionWindowDays 60"},
		"email":           {func(a *Args) { a.AlarmEmail = "not-an-address" }, "AlarmEmail"},
		"trail retention": {func(a *Args) { a.TrailRetentionDays = 30 }, "TrailRetentionDays 30"},
		"prefix":          {func(a *Args) { a.NamePrefix = "a/b" }, "NamePrefix"},
		"star pattern":    {func(a *Args) { a.ExtraLogGroupPatterns = []string{"*"} }, "ExtraLogGroupPatterns"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				_, _, err := build(ctx, c.edit, nil)
				return err
			})
			require.ErrorContains(t, err, c.want)
			assert.Equal(t, map[string]int{controls.TAWSProvider: 1}, m.CountByType())
		})
	}
}

func TestInvalidWatchArgsCreateNoAlarm(t *testing.T) {
	cases := map[string]struct {
		edit func(*WatchArgs)
		want string
	}{
		"no ALB":        {func(w *WatchArgs) { w.ALBARNSuffix = nil }, "AlbArnSuffix is required"},
		"no services":   {func(w *WatchArgs) { w.Services = nil }, "Services is required"},
		"bad role":      {func(w *WatchArgs) { w.TargetGroups = map[string]pulumi.StringInput{"Web App": pulumi.String("x")} }, `target group "Web App"`},
		"storage":       {func(w *WatchArgs) { w.RDSAllocatedStorageGB = 5 }, "RdsAllocatedStorageGB 5"},
		"no class":      {func(w *WatchArgs) { w.RDSInstanceClass = "" }, "RdsInstanceClass"},
		"unknown class": {func(w *WatchArgs) { w.RDSInstanceClass = "db.x1.huge" }, "unknown instance class"},
		"redis nodes":   {func(w *WatchArgs) { w.RedisNodeCount = 0 }, "RedisNodeCount 0"},
		"no provider":   {func(w *WatchArgs) { w.UsEast1 = nil }, "UsEast1"},
		"percent":       {func(w *WatchArgs) { w.Thresholds.CPUPercent = 120 }, "CPUPercent 120"},
		"negative":      {func(w *WatchArgs) { w.Thresholds.WAFBlockedPer5Min = -1 }, "WafBlockedPer5Min -1"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				_, _, err := build(ctx, nil, c.edit)
				return err
			})
			require.ErrorContains(t, err, c.want)
			assert.Empty(t, m.ByType(controls.TMetricAlarm))
			assert.Empty(t, m.ByType(controls.TDashboard))
		})
	}
}

func statement(t *testing.T, doc iampolicy.Document, sid string) iampolicy.Statement {
	t.Helper()
	for _, s := range doc.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %s", sid)
	return iampolicy.Statement{}
}

func str(r infratest.Resource, path string) string {
	if s, ok := r.Str(path); ok {
		return s
	}
	v, _ := r.Output(path)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// TestNoAlarmBreachesForAServiceAtZeroTasks: a service deliberately at 0 tasks puts no alarm in
// ALARM. No alarm on its target group or service metrics treats missing data as breaching, and
// the no-healthy alarm is metric math guarded by the same role's ECS desired task count, so
// zero healthy targets alarm only while tasks are wanted.
func TestNoAlarmBreachesForAServiceAtZeroTasks(t *testing.T) {
	m, _, _ := run(t, nil, func(w *WatchArgs) {
		w.Services = map[string]Service{
			"web":     {Name: pulumi.String(cluster + "-web"), DesiredCount: 0},
			"backend": {Name: pulumi.String(cluster + "-backend"), DesiredCount: 3},
		}
	})
	alarms := map[string]infratest.Resource{}
	for _, a := range m.ByType(controls.TMetricAlarm) {
		alarms[strings.TrimPrefix(str(a, "name"), testPrefix+"-")] = a
	}
	// Which alarms read a metric of the web target group or the web service.
	readsWeb := func(a infratest.Resource) bool {
		p := a.Plain()
		b, err := json.Marshal(p)
		require.NoError(t, err)
		return strings.Contains(string(b), webTG) || strings.Contains(string(b), `"`+cluster+`-web"`)
	}
	var web []string
	for key, a := range alarms {
		if !readsWeb(a) {
			continue
		}
		web = append(web, key)
		assert.Equal(t, "notBreaching", str(a, "treatMissingData"), "%s breaches on missing data while web is at 0 tasks", key)
	}
	sort.Strings(web)
	assert.Equal(t, []string{"ecs-web-cpu", "ecs-web-memory", "tg-web-no-healthy", "tg-web-unhealthy"}, web, "no running-tasks alarm for web")
	assert.Contains(t, alarms, "ecs-backend-running-tasks", "a service that wants tasks keeps its guard")
	assert.Equal(t, "breaching", str(alarms["ecs-backend-running-tasks"], "treatMissingData"))

	// The guard: each no-healthy alarm reads its own target group's healthy hosts and its own
	// service's desired count, and returns only the guarded expression.
	for _, role := range []string{"web", "backend"} {
		a := alarms["tg-"+role+"-no-healthy"]
		require.Equal(t, 3, a.Len("metricQueries"), role)
		assert.False(t, a.Has("metricName"), role)
		byID := map[string]int{}
		for i := 0; i < 3; i++ {
			id, _ := a.Str("metricQueries[" + itoa(i) + "].id")
			byID[id] = i
		}
		q := func(id, path string) string {
			v, _ := a.Str("metricQueries[" + itoa(byID[id]) + "]." + path)
			return v
		}
		tg := map[string]string{"web": webTG, "backend": backendTG}[role]
		assert.Equal(t, "HealthyHostCount", q("healthy", "metric.metricName"), role)
		assert.Equal(t, tg, q("healthy", "metric.dimensions.TargetGroup"), role)
		assert.Equal(t, albSuffix, q("healthy", "metric.dimensions.LoadBalancer"), role)
		assert.Equal(t, "DesiredTaskCount", q("desired", "metric.metricName"), role)
		assert.Equal(t, "ECS/ContainerInsights", q("desired", "metric.namespace"), role)
		assert.Equal(t, cluster+"-"+role, q("desired", "metric.dimensions.ServiceName"), role)
		assert.Equal(t, cluster, q("desired", "metric.dimensions.ClusterName"), role)
		assert.Equal(t, NoHealthyExpression, q("guarded", "expression"), role)
		for id, want := range map[string]bool{"healthy": false, "desired": false, "guarded": true} {
			v, ok := a.Get("metricQueries[" + itoa(byID[id]) + "].returnData")
			require.True(t, ok, id)
			assert.Equal(t, want, v.BoolValue(), id)
		}
		assert.Equal(t, "LessThanThreshold", str(a, "comparisonOperator"))
		v, _ := a.Get("threshold")
		assert.Equal(t, 1.0, v.NumberValue())
	}

	// The semantics of the expression, evaluated for the cases that matter.
	for _, c := range []struct {
		desired, healthy *float64
		alarm            bool
	}{
		{desired: f(0), healthy: nil, alarm: false},  // scaled to zero: no targets, no alarm
		{desired: nil, healthy: nil, alarm: false},   // no data at all: missing, not breaching
		{desired: nil, healthy: f(0), alarm: false},  // no desired count reported: nothing wanted
		{desired: f(2), healthy: f(0), alarm: true},  // wanted, none healthy
		{desired: f(2), healthy: nil, alarm: true},   // wanted, no target reports
		{desired: f(2), healthy: f(1), alarm: false}, // wanted and served
	} {
		got, ok := evalNoHealthy(c.desired, c.healthy)
		assert.Equal(t, c.alarm, ok && got < 1, "desired %v healthy %v", deref(c.desired), deref(c.healthy))
	}

	// A target group without the service of its role is refused (nothing to guard with).
	_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		_, _, err := build(ctx, nil, func(w *WatchArgs) { delete(w.Services, "web") })
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `target group "web" needs the service of the same role`)
}

func f(v float64) *float64 { return &v }

func deref(p *float64) any {
	if p == nil {
		return "missing"
	}
	return *p
}

// evalNoHealthy evaluates NoHealthyExpression the way CloudWatch does for one period: FILL
// replaces a missing value, IF picks a branch; a period where neither metric has data yields
// no value (ok false), which the alarm treats as not breaching. It parses the expression's
// constants, so a changed expression is evaluated as written or fails to parse.
func evalNoHealthy(desired, healthy *float64) (float64, bool) {
	var fillDesired, fillHealthy, otherwise float64
	if _, err := fmt.Sscanf(NoHealthyExpression, "IF(FILL(desired, %g) > 0, FILL(healthy, %g), %g)", &fillDesired, &fillHealthy, &otherwise); err != nil {
		panic("NoHealthyExpression changed shape: " + err.Error())
	}
	if desired == nil && healthy == nil {
		return 0, false
	}
	d, h := fillDesired, fillHealthy
	if desired != nil {
		d = *desired
	}
	if healthy != nil {
		h = *healthy
	}
	if d > 0 {
		return h, true
	}
	return otherwise, true
}

func itoa(i int) string { return strconv.Itoa(i) }
