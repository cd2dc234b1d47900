package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"chessplatform/infra/netplan"
)

// Immutable tables of allowed values.
var (
	// fargateMemory maps Fargate task CPU units to the memory sizes (MiB) AWS accepts with them
	// (AWS "Task CPU and memory" table; 8192 and 16384 need Linux platform >= 1.4.0).
	fargateMemory = map[int][]int{
		256:   {512, 1024, 2048},
		512:   steps(1024, 4096, 1024),
		1024:  steps(2048, 8192, 1024),
		2048:  steps(4096, 16384, 1024),
		4096:  steps(8192, 30720, 1024),
		8192:  steps(16384, 61440, 4096),
		16384: steps(32768, 122880, 8192),
	}

	// logRetentionDays are the values CloudWatch Logs PutRetentionPolicy accepts (0, never
	// expire, is left out on purpose: every group gets a retention).
	logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

	dbInstanceClasses = []string{
		"db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large", "db.t4g.xlarge", "db.t4g.2xlarge",
		"db.m7g.large", "db.m7g.xlarge", "db.m7g.2xlarge", "db.m7g.4xlarge",
		"db.r7g.large", "db.r7g.xlarge", "db.r7g.2xlarge", "db.r7g.4xlarge",
	}
	dbEngineVersions = []string{"16", "17", "18"}

	cacheNodeTypes = []string{
		"cache.t4g.micro", "cache.t4g.small", "cache.t4g.medium",
		"cache.m7g.large", "cache.m7g.xlarge", "cache.m7g.2xlarge",
		"cache.r7g.large", "cache.r7g.xlarge", "cache.r7g.2xlarge",
	}
	cacheEngineVersions = map[string][]string{
		"redis":  {"7.0", "7.1"},
		"valkey": {"7.2", "8.0", "8.1", "8.2"},
	}

	monitoringIntervals = []int{1, 5, 10, 15, 30, 60}

	// reservedUsers are names RDS rejects or FSBP RDS.25 flags as default admin names.
	reservedUsers  = []string{"admin", "administrator", "postgres", "rdsadmin", "rdsrepladmin", "rds_superuser", "root", "master"}
	reservedDBs    = []string{"postgres", "rdsadmin", "template0", "template1"}
	identifier     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	reservedPorts  = []int{80, 443, 5432, 6379}
	maxNamePrefix  = 40 // leaves room for suffixes within the 63-character RDS identifier limit
	piMaxMonths    = 23 // Performance Insights: 7 days, 31*n days (n <= 23) or 731 days
	minBackupDays  = 7  // FSBP RDS.11 / the design's 7-35 days
	maxBackupDays  = 35
	maxCacheNodes  = 6
	maxStorageGB   = 65536
	minStorageGB   = 20
	maxSnapshotRet = 35

	// ecrImage is an image in an ECR repository pinned by digest: the task definitions never
	// follow a tag, so what runs is exactly what CI built and scanned.
	ecrImage     = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9][a-z0-9._/-]*)@sha256:[0-9a-f]{64}$`)
	dnsName      = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	hostedZone   = regexp.MustCompile(`^Z[A-Z0-9]{1,32}$`)
	acmARN       = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$`)
	stageName    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	stackName    = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`) // Pulumi's stack-name characters
	email        = regexp.MustCompile(`^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$`)
	priceClasses = []string{"PriceClass_100", "PriceClass_200", "PriceClass_All"}
	wafWindows   = []int{60, 120, 300, 600}
	wsTransports = []string{"apigw", "direct"}
	apiLogLevels = []string{"ERROR", "INFO"}
	maxTasks     = 100
)

// ParseImage splits an image reference accepted by the webImage/backendImage/utilityImage keys
// into its account, region and repository name; ok is false for anything else.
func ParseImage(image string) (account, region, repository string, ok bool) {
	m := ecrImage.FindStringSubmatch(image)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[4], true
}

func steps(from, to, step int) []int {
	var out []int
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

// Validate checks every value and cross-key rule; the error joins one *Error per problem.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, value any, format string, args ...any) {
		errs = append(errs, &Error{Key: fullKey(key), Value: fmt.Sprint(value), Problem: fmt.Sprintf(format, args...)})
	}

	if n := c.Name(); len(n) > maxNamePrefix {
		errs = append(errs, &Error{Key: "stack name", Value: c.Stack, Problem: fmt.Sprintf("resource name prefix %q is longer than %d characters", n, maxNamePrefix)})
	}

	// Network.
	if _, err := netplan.ParseVPC(c.Network.VPCCIDR); err != nil {
		bad("vpcCidr", c.Network.VPCCIDR, "%v", err)
	}
	if c.Network.AZCount < netplan.MinAZs || c.Network.AZCount > netplan.MaxAZs {
		bad("azCount", c.Network.AZCount, "allowed: %d to %d availability zones", netplan.MinAZs, netplan.MaxAZs)
	}

	// Services.
	s := c.Services
	for _, p := range []struct {
		key  string
		port int
	}{{"webPort", s.WebPort}, {"backendPort", s.BackendPort}} {
		if p.port < 1024 || p.port > 65535 || slices.Contains(reservedPorts, p.port) {
			bad(p.key, p.port, "allowed: 1024 to 65535, not %s", ints(reservedPorts))
		}
	}
	if s.WebPort == s.BackendPort {
		bad("backendPort", s.BackendPort, "must differ from webPort (%d)", s.WebPort)
	}
	checkFargate := func(cpuKey string, cpu int, memKey string, mem int) {
		mems, ok := fargateMemory[cpu]
		if !ok {
			bad(cpuKey, cpu, "allowed Fargate CPU units: %s", ints(sortedKeys(fargateMemory)))
			return
		}
		if !slices.Contains(mems, mem) {
			bad(memKey, mem, "no Fargate configuration for %s=%d; allowed memory (MiB): %s", cpuKey, cpu, ints(mems))
		}
	}
	checkFargate("webCpu", s.WebCPU, "webMemory", s.WebMemory)
	checkFargate("backendCpu", s.BackendCPU, "backendMemory", s.BackendMemory)
	for _, img := range []struct{ key, value string }{{"webImage", s.WebImage}, {"backendImage", s.BackendImage}, {"utilityImage", s.UtilityImage}} {
		if _, _, _, ok := ParseImage(img.value); img.value != "" && !ok {
			bad(img.key, img.value, "allowed: empty, or <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits> (pinned by digest, not by tag)")
		}
	}
	if (s.WebImage == "") != (s.UtilityImage == "") {
		bad("utilityImage", s.UtilityImage, "set together with webImage (%q): the web task runs both", s.WebImage)
	}
	for _, n := range []struct {
		minKey, maxKey string
		min, max       int
	}{{"webMinTasks", "webMaxTasks", s.WebMinTasks, s.WebMaxTasks}, {"backendMinTasks", "backendMaxTasks", s.BackendMinTasks, s.BackendMaxTasks}} {
		if n.min < 1 || n.min > maxTasks {
			bad(n.minKey, n.min, "allowed: 1 to %d tasks", maxTasks)
		}
		if n.max < n.min || n.max > maxTasks {
			bad(n.maxKey, n.max, "allowed: %s (%d) to %d tasks", n.minKey, n.min, maxTasks)
		}
	}
	if s.ScalingCPUPercent < 20 || s.ScalingCPUPercent > 90 {
		bad("scalingCpuPercent", s.ScalingCPUPercent, "allowed: 20 to 90 percent")
	}
	if s.ScalingRequestsPerTarget < 10 || s.ScalingRequestsPerTarget > 100000 {
		bad("scalingRequestsPerTarget", s.ScalingRequestsPerTarget, "allowed: 10 to 100000 requests per target per minute")
	}
	if !slices.Contains(wsTransports, s.WSTransport) {
		bad("wsTransport", s.WSTransport, "allowed: %s", strings.Join(wsTransports, ", "))
	}
	if s.ECRMaxImages < 5 || s.ECRMaxImages > 1000 {
		bad("ecrMaxImages", s.ECRMaxImages, "allowed: 5 to 1000 images")
	}

	// Edge.
	e := c.Edge
	if e.Domain != "" && (len(e.Domain) > 253 || !dnsName.MatchString(e.Domain)) {
		bad("domain", e.Domain, "allowed: a lowercase DNS name with at least two labels, e.g. chess.example.com")
	}
	if e.HostedZoneID != "" && !hostedZone.MatchString(e.HostedZoneID) {
		bad("hostedZoneId", e.HostedZoneID, "allowed: a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
	}
	if e.ALBCertificateARN != "" && !acmARN.MatchString(e.ALBCertificateARN) {
		bad("albCertificateArn", e.ALBCertificateARN, "allowed: arn:aws:acm:<region>:<account>:certificate/<id>")
	}
	if e.CDNCertificateARN != "" && (!acmARN.MatchString(e.CDNCertificateARN) || !strings.Contains(e.CDNCertificateARN, ":acm:us-east-1:")) {
		bad("cdnCertificateArn", e.CDNCertificateARN, "allowed: arn:aws:acm:us-east-1:<account>:certificate/<id> (CloudFront takes certificates from us-east-1 only)")
	}
	if strings.TrimSpace(e.WebBuildDir) == "" {
		bad("webBuildDir", e.WebBuildDir, "required: the Next.js standalone build directory (default app/web/.next/standalone), the web image's context and the source of the static files")
	}
	if e.Domain == "" && (e.HostedZoneID != "" || e.ALBCertificateARN != "" || e.CDNCertificateARN != "") {
		bad("domain", e.Domain, "required when hostedZoneId, albCertificateArn or cdnCertificateArn is set")
	}
	if e.Domain != "" && e.HostedZoneID == "" && (e.ALBCertificateARN == "" || e.CDNCertificateARN == "") {
		bad("hostedZoneId", e.HostedZoneID, "set hostedZoneId (the stack creates the certificates) or both albCertificateArn and cdnCertificateArn for domain %s", e.Domain)
	}
	if !slices.Contains(priceClasses, e.CDNPriceClass) {
		bad("cdnPriceClass", e.CDNPriceClass, "allowed: %s", strings.Join(priceClasses, ", "))
	}
	if e.WAFRateLimit < 10 || e.WAFRateLimit > 2000000000 {
		bad("wafRateLimit", e.WAFRateLimit, "allowed: 10 to 2000000000 requests per window")
	}
	if !slices.Contains(wafWindows, e.WAFRateWindow) {
		bad("wafRateWindowSeconds", e.WAFRateWindow, "allowed: %s", ints(wafWindows))
	}

	// Observability.
	o := c.Observe
	if o.AlarmEmail != "" && !email.MatchString(o.AlarmEmail) {
		bad("alarmEmail", o.AlarmEmail, "allowed: empty or one e-mail address")
	}
	if o.TrailRetentionDays < 90 || o.TrailRetentionDays > 3653 {
		bad("trailRetentionDays", o.TrailRetentionDays, "allowed: 90 to 3653 days")
	}
	if e.ALBIdleTimeoutSeconds < 60 || e.ALBIdleTimeoutSeconds > 4000 {
		bad("albIdleTimeoutSeconds", e.ALBIdleTimeoutSeconds, "allowed: 60 to 4000 seconds")
	}

	// API Gateway.
	g := c.Gateway
	if !stageName.MatchString(g.StageName) {
		bad("apiStageName", g.StageName, "allowed: 1 to 64 letters, digits, _ or -")
	}
	if g.ThrottlingRateLimit < 1 || g.ThrottlingRateLimit > 10000 {
		bad("apiThrottlingRateLimit", g.ThrottlingRateLimit, "allowed: 1 to 10000 messages per second")
	}
	if g.ThrottlingBurstLimit < 1 || g.ThrottlingBurstLimit > 5000 {
		bad("apiThrottlingBurstLimit", g.ThrottlingBurstLimit, "allowed: 1 to 5000 messages")
	}
	if g.AccountOwner != GatewayAccountOwnerNone && !stackName.MatchString(g.AccountOwner) {
		bad("apiGatewayAccountOwner", g.AccountOwner, "allowed: the name of the one stack in this account and region that sets the API Gateway CloudWatch role (e.g. prod or dev), or %s", GatewayAccountOwnerNone)
	}
	if !slices.Contains(apiLogLevels, g.LoggingLevel) {
		bad("apiLoggingLevel", g.LoggingLevel, "allowed: %s (execution logging stays on)", strings.Join(apiLogLevels, ", "))
	}
	if g.AuthorizerZip == "" || !strings.HasSuffix(g.AuthorizerZip, ".zip") {
		bad("authorizerZip", g.AuthorizerZip, "allowed: the path of a .zip file (make build-authorizer writes dist/ws-authorizer.zip)")
	}
	if g.RotatorZip == "" || !strings.HasSuffix(g.RotatorZip, ".zip") {
		bad("rotatorZip", g.RotatorZip, "allowed: the path of a .zip file (make build-rotator writes dist/secret-rotator.zip)")
	}
	if g.RotationDays < 1 || g.RotationDays > 365 {
		bad("secretRotationDays", g.RotationDays, "allowed: 1 to 365 days")
	}

	// Database.
	d := c.Database
	if !slices.Contains(dbInstanceClasses, d.InstanceClass) {
		bad("dbInstanceClass", d.InstanceClass, "allowed: %s", strings.Join(dbInstanceClasses, ", "))
	}
	if !slices.Contains(dbEngineVersions, d.EngineVersion) {
		bad("dbEngineVersion", d.EngineVersion, "allowed PostgreSQL major versions: %s", strings.Join(dbEngineVersions, ", "))
	}
	if d.AllocatedStorageGB < minStorageGB || d.AllocatedStorageGB > maxStorageGB {
		bad("dbAllocatedStorageGb", d.AllocatedStorageGB, "allowed: %d to %d GiB", minStorageGB, maxStorageGB)
	}
	if d.MaxAllocatedStorageGB != 0 && (d.MaxAllocatedStorageGB < d.AllocatedStorageGB || d.MaxAllocatedStorageGB > maxStorageGB) {
		bad("dbMaxAllocatedStorageGb", d.MaxAllocatedStorageGB, "allowed: 0 (no autoscaling) or dbAllocatedStorageGb (%d) to %d GiB", d.AllocatedStorageGB, maxStorageGB)
	}
	if d.BackupRetentionDays < minBackupDays || d.BackupRetentionDays > maxBackupDays {
		bad("dbBackupRetentionDays", d.BackupRetentionDays, "allowed: %d to %d days", minBackupDays, maxBackupDays)
	}
	if !slices.Contains(monitoringIntervals, d.MonitoringIntervalSeconds) {
		bad("dbMonitoringIntervalSeconds", d.MonitoringIntervalSeconds, "allowed: %s (enhanced monitoring stays on)", ints(monitoringIntervals))
	}
	if pi := d.PerformanceInsightsRetentionDays; !(pi == 7 || pi == 731 || (pi%31 == 0 && pi >= 31 && pi <= 31*piMaxMonths)) {
		bad("dbPerformanceInsightsRetentionDays", pi, "allowed: 7, a multiple of 31 up to %d, or 731", 31*piMaxMonths)
	}
	if !identifier.MatchString(d.MasterUsername) || slices.Contains(reservedUsers, strings.ToLower(d.MasterUsername)) {
		bad("dbMasterUsername", d.MasterUsername, "allowed: a letter then up to 62 letters, digits or _, not one of %s", strings.Join(reservedUsers, ", "))
	}
	if !identifier.MatchString(d.Name) || slices.Contains(reservedDBs, strings.ToLower(d.Name)) {
		bad("dbName", d.Name, "allowed: a letter then up to 62 letters, digits or _, not one of %s", strings.Join(reservedDBs, ", "))
	}

	// Cache.
	k := c.Cache
	if versions, ok := cacheEngineVersions[k.Engine]; !ok {
		bad("cacheEngine", k.Engine, "allowed: redis, valkey")
	} else if !slices.Contains(versions, k.EngineVersion) {
		bad("cacheEngineVersion", k.EngineVersion, "allowed for %s: %s", k.Engine, strings.Join(versions, ", "))
	}
	if !slices.Contains(cacheNodeTypes, k.NodeType) {
		bad("cacheNodeType", k.NodeType, "allowed: %s", strings.Join(cacheNodeTypes, ", "))
	}
	if k.NodeCount < 1 || k.NodeCount > maxCacheNodes {
		bad("cacheNodeCount", k.NodeCount, "allowed: 1 to %d", maxCacheNodes)
	}
	if k.MultiAZ && k.NodeCount < 2 {
		bad("cacheMultiAz", k.MultiAZ, "Multi-AZ with automatic failover needs cacheNodeCount >= 2 (it is %d)", k.NodeCount)
	}
	if k.SnapshotRetentionDays < 1 || k.SnapshotRetentionDays > maxSnapshotRet {
		bad("cacheSnapshotRetentionDays", k.SnapshotRetentionDays, "allowed: 1 to %d days", maxSnapshotRet)
	}

	// Logs and keys.
	if !slices.Contains(logRetentionDays, c.Logs.RetentionDays) {
		bad("logRetentionDays", c.Logs.RetentionDays, "allowed CloudWatch retention days: %s", ints(logRetentionDays))
	}
	if w := c.Logs.KMSDeletionWindowDays; w < 7 || w > 30 {
		bad("kmsDeletionWindowDays", w, "allowed: 7 to 30 days")
	}

	return errors.Join(errs...)
}

// DBParameterFamily is the RDS parameter group family of the configured engine version.
func (d Database) DBParameterFamily() string { return "postgres" + d.EngineVersion }

// ParameterFamily is the ElastiCache parameter group family of the configured engine.
func (k Cache) ParameterFamily() string {
	major, _, _ := strings.Cut(k.EngineVersion, ".")
	return k.Engine + major
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func sortedKeys(m map[int][]int) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
