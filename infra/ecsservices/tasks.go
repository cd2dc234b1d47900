package ecsservices

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/rds"
)

// Container definitions as ECS reads them (the containerDefinitions JSON). Only the fields the
// tasks use; security-relevant ones are set explicitly on every container.
type (
	ContainerDef struct {
		Name                   string          `json:"name"`
		Image                  string          `json:"image"`
		Essential              bool            `json:"essential"`
		User                   string          `json:"user"`
		ReadonlyRootFilesystem bool            `json:"readonlyRootFilesystem"`
		Privileged             bool            `json:"privileged"`
		Command                []string        `json:"command,omitempty"`
		PortMappings           []PortMapping   `json:"portMappings"`
		Environment            []KeyValue      `json:"environment"`
		Secrets                []SecretRef     `json:"secrets"`
		MountPoints            []MountPoint    `json:"mountPoints"`
		DependsOn              []Dependency    `json:"dependsOn,omitempty"`
		HealthCheck            *HealthCheck    `json:"healthCheck,omitempty"`
		LogConfiguration       LogConfig       `json:"logConfiguration"`
		LinuxParameters        LinuxParameters `json:"linuxParameters"`
		StopTimeout            int             `json:"stopTimeout"`
	}
	PortMapping struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
		Protocol      string `json:"protocol"`
	}
	KeyValue struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	SecretRef struct {
		Name      string `json:"name"`
		ValueFrom string `json:"valueFrom"`
	}
	MountPoint struct {
		SourceVolume  string `json:"sourceVolume"`
		ContainerPath string `json:"containerPath"`
		ReadOnly      bool   `json:"readOnly"`
	}
	Dependency struct {
		ContainerName string `json:"containerName"`
		Condition     string `json:"condition"`
	}
	HealthCheck struct {
		Command     []string `json:"command"`
		Interval    int      `json:"interval"`
		Timeout     int      `json:"timeout"`
		Retries     int      `json:"retries"`
		StartPeriod int      `json:"startPeriod"`
	}
	LogConfig struct {
		LogDriver string            `json:"logDriver"`
		Options   map[string]string `json:"options"`
	}
	LinuxParameters struct {
		InitProcessEnabled bool         `json:"initProcessEnabled"`
		Capabilities       Capabilities `json:"capabilities"`
	}
	Capabilities struct {
		Drop []string `json:"drop"`
	}
)

// Volumes of the web task: the reports the sidecars write and the web app serves, and the
// writable scratch space Next.js needs under a read-only root filesystem.
const (
	VolumeReports   = "reports"
	VolumeNextCache = "next-cache"
	VolumeTmp       = "tmp"
)

// BootstrapTag names the (never pulled) image of a service that runs no task yet.
const BootstrapTag = "not-built-yet"

// WebTaskInputs are the run-time values of the web task definition.
type WebTaskInputs struct {
	Region                       string
	WebImage, UtilityImage       string
	WebPort                      int
	WSURL, WSTransport           string
	Domain, Project, Stack       string
	LogGroups                    map[string]string // by container
	HealthInterval, ListInterval int               // seconds between the sidecars' rounds
	OperatorSecretARN            string            // injected as OperatorSecretEnv
}

// TrustedProxyHops is how many proxies append to X-Forwarded-For before the web app: CloudFront
// (the viewer's address) and the ALB (CloudFront's). The app counts failed operator sign-ins
// against the viewer address this yields, not against what a client writes into the header.
const TrustedProxyHops = 2

// BackendTaskInputs are the run-time values of the backend task definition.
type BackendTaskInputs struct {
	Region                                       string
	Image                                        string
	Port                                         int
	DBHost, DBName, DBUser                       string
	DBPort                                       int
	RedisAddr, RedisSecretARN                    string
	TokenKeySecretARN, SharedSecretARN           string
	ManagementEndpoint, AllowedOrigins, LogGroup string
	// MasterSecretARN is the RDS-managed master secret; only the migrate init container gets
	// its username and password, injected by the execution role. MigrateLogGroup is its logs.
	MasterSecretARN, MigrateLogGroup string
}

func logConfig(region, group, prefix string) LogConfig {
	return LogConfig{LogDriver: "awslogs", Options: map[string]string{
		"awslogs-group":         group,
		"awslogs-region":        region,
		"awslogs-stream-prefix": prefix,
		// A slow CloudWatch endpoint must not stall the application's stdout.
		"mode":            "non-blocking",
		"max-buffer-size": "4m",
	}}
}

// dropAll removes every Linux capability: none of the processes needs one.
var dropAll = LinuxParameters{InitProcessEnabled: true, Capabilities: Capabilities{Drop: []string{"ALL"}}}

// WebContainers are the web task's containers: Next.js and the two utility sidecars. The
// sidecars write their reports to the shared volume (the web container mounts it read-only);
// all three run as non-root users with read-only root filesystems.
func WebContainers(in WebTaskInputs) []ContainerDef {
	reportsRO := MountPoint{SourceVolume: VolumeReports, ContainerPath: ReportsDir, ReadOnly: true}
	reportsRW := MountPoint{SourceVolume: VolumeReports, ContainerPath: ReportsDir, ReadOnly: false}
	healthURLs := []string{fmt.Sprintf("http://localhost:%d/api/config", in.WebPort)}
	if in.Domain != "" {
		healthURLs = append(healthURLs, "https://"+in.Domain+"/healthz", "https://"+in.Domain+"/readyz")
	}
	healthCmd := append([]string{"health-check.sh",
		"--interval", strconv.Itoa(in.HealthInterval), "--timeout", "5", "--window", "120", "--threshold", "0.95",
		"--output", ReportsDir + "/health.json"}, healthURLs...)
	return []ContainerDef{
		{
			Name:                   ContainerWeb,
			Image:                  in.WebImage,
			Essential:              true,
			User:                   WebUser,
			ReadonlyRootFilesystem: true,
			PortMappings:           []PortMapping{{Name: "web", ContainerPort: in.WebPort, Protocol: "tcp"}},
			Environment: []KeyValue{
				{"CHESS_WS_TRANSPORT", in.WSTransport},
				{"CHESS_WS_URL", in.WSURL},
				{"HOSTNAME", "0.0.0.0"},
				{"NODE_ENV", "production"},
				{"PORT", strconv.Itoa(in.WebPort)},
				{"REPORTS_DIR", ReportsDir},
				{"TRUSTED_PROXY_HOPS", strconv.Itoa(TrustedProxyHops)},
			},
			Secrets: []SecretRef{{OperatorSecretEnv, in.OperatorSecretARN}},
			MountPoints: []MountPoint{
				reportsRO,
				{SourceVolume: VolumeNextCache, ContainerPath: "/app/.next/cache"},
				{SourceVolume: VolumeTmp, ContainerPath: "/tmp"},
			},
			// The image has node but no curl: fetch /api/config (200 when the runtime config is valid).
			HealthCheck: &HealthCheck{
				Command: []string{"CMD", "node", "-e", fmt.Sprintf(
					"fetch('http://127.0.0.1:%d/api/config').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))", in.WebPort)},
				Interval: 30, Timeout: 5, Retries: 3, StartPeriod: 30,
			},
			LogConfiguration: logConfig(in.Region, in.LogGroups[ContainerWeb], ContainerWeb),
			LinuxParameters:  dropAll,
			StopTimeout:      30,
		},
		{
			Name:                   ContainerHealthCheck,
			Image:                  in.UtilityImage,
			Essential:              false,
			User:                   UtilityUser,
			ReadonlyRootFilesystem: true,
			Command:                healthCmd,
			PortMappings:           []PortMapping{},
			Environment:            []KeyValue{},
			Secrets:                []SecretRef{},
			MountPoints:            []MountPoint{reportsRW},
			DependsOn:              []Dependency{{ContainerName: ContainerWeb, Condition: "START"}},
			LogConfiguration:       logConfig(in.Region, in.LogGroups[ContainerHealthCheck], ContainerHealthCheck),
			LinuxParameters:        dropAll,
			StopTimeout:            15,
		},
		{
			Name:                   ContainerListServices,
			Image:                  in.UtilityImage,
			Essential:              false,
			User:                   UtilityUser,
			ReadonlyRootFilesystem: true,
			Command: []string{"list-services.sh", "--region", in.Region, "--project", in.Project, "--stack", in.Stack,
				"--interval", strconv.Itoa(in.ListInterval), "--output", ReportsDir + "/services.json"},
			PortMappings:     []PortMapping{},
			Environment:      []KeyValue{},
			Secrets:          []SecretRef{},
			MountPoints:      []MountPoint{reportsRW},
			LogConfiguration: logConfig(in.Region, in.LogGroups[ContainerListServices], ContainerListServices),
			LinuxParameters:  dropAll,
			StopTimeout:      15,
		},
	}
}

// BackendContainers are the backend task's containers: chess-server, and the migrate init
// container it waits for. The backend's environment is exactly what chess-server, pgstore and
// redisstore read; every secret comes through valueFrom.
func BackendContainers(in BackendTaskInputs) []ContainerDef {
	env := []KeyValue{}
	if in.AllowedOrigins != "" {
		env = append(env, KeyValue{"ALLOWED_ORIGINS", in.AllowedOrigins})
	}
	env = append(env,
		KeyValue{"APIGW_MANAGEMENT_ENDPOINT", in.ManagementEndpoint},
		KeyValue{"AWS_REGION", in.Region},
		KeyValue{"CHESS_ENV", "production"},
		KeyValue{"DB_HOST", in.DBHost},
		KeyValue{"DB_NAME", in.DBName},
		// The application role signs in with IAM auth tokens (no password anywhere) and only
		// checks the schema: the migrate init container, with the master secret, changes it.
		KeyValue{"DB_IAM_AUTH", "true"},
		KeyValue{"DB_MIGRATE", "false"},
		KeyValue{"DB_PORT", strconv.Itoa(in.DBPort)},
		KeyValue{"DB_SSLMODE", "verify-full"},
		KeyValue{"DB_SSLROOTCERT", RDSCABundle},
		// The ALB is reached only through CloudFront: the client is the X-Forwarded-For entry
		// CloudFront appended, the second from the right (per-IP login limit, /ws address cap).
		KeyValue{"FORWARDED_FOR_HOPS", strconv.Itoa(TrustedProxyHops)},
		KeyValue{"DB_USER", in.DBUser},
		KeyValue{"LISTEN_ADDR", ":" + strconv.Itoa(in.Port)},
		KeyValue{"LOG_LEVEL", "info"},
		KeyValue{"REDIS_ADDR", in.RedisAddr},
		KeyValue{"REDIS_TLS", "true"},
		KeyValue{"TRUST_FORWARDED_FOR", "true"},
	)
	return []ContainerDef{{
		Name:                   ContainerBackend,
		Image:                  in.Image,
		Essential:              true,
		User:                   BackendUser,
		ReadonlyRootFilesystem: true,
		PortMappings:           []PortMapping{{Name: "backend", ContainerPort: in.Port, Protocol: "tcp"}},
		Environment:            env,
		Secrets: []SecretRef{
			{"APIGW_SHARED_SECRET", in.SharedSecretARN},
			{"REDIS_PASSWORD", in.RedisSecretARN},
			// The session-key secret is an authn.KeySet: sign with current, accept next and
			// previous, so tasks on either side of a rotation accept each other's tokens.
			{"TOKEN_KEY", in.TokenKeySecretARN + ":current::"},
			{"TOKEN_KEY_NEXT", in.TokenKeySecretARN + ":next::"},
			{"TOKEN_KEYS_PREVIOUS", in.TokenKeySecretARN + ":previous::"},
		},
		MountPoints: []MountPoint{},
		// The image is distroless (no shell, no curl): chess-server checks its own /healthz.
		HealthCheck: &HealthCheck{
			Command:  []string{"CMD", BackendBinary, "-healthcheck"},
			Interval: 15, Timeout: 5, Retries: 3, StartPeriod: 30,
		},
		// Every task start migrates first (goose under an advisory lock: idempotent, safe when
		// several tasks start together), so a release's tasks never wait for a later step.
		DependsOn:        []Dependency{{ContainerName: ContainerMigrate, Condition: "SUCCESS"}},
		LogConfiguration: logConfig(in.Region, in.LogGroup, ContainerBackend),
		LinuxParameters:  dropAll,
		StopTimeout:      30, // chess-server drains for SHUTDOWN_TIMEOUT (20 s) on SIGTERM
	}, migrateContainer(in)}
}

// MigrateTimeoutSeconds bounds the migrate init container (STARTUP_TIMEOUT of
// `chess-server -migrate`: waiting for PostgreSQL and migrating); HealthCheckGraceSeconds
// covers it.
const MigrateTimeoutSeconds = 120

// migrateContainer is `chess-server -migrate` from the backend image as the master user, whose
// name and password ECS injects from the RDS-managed secret at start (the execution role reads
// it; the task role, which the application holds, cannot). It exits when the schema is current.
func migrateContainer(in BackendTaskInputs) ContainerDef {
	return ContainerDef{
		Name:                   ContainerMigrate,
		Image:                  in.Image,
		Essential:              false,
		User:                   BackendUser,
		ReadonlyRootFilesystem: true,
		Command:                []string{"-migrate"},
		PortMappings:           []PortMapping{},
		Environment: []KeyValue{
			{"DB_HOST", in.DBHost},
			{"DB_NAME", in.DBName},
			{"DB_PORT", strconv.Itoa(in.DBPort)},
			{"DB_SSLMODE", "verify-full"},
			{"DB_SSLROOTCERT", RDSCABundle},
			{"STARTUP_TIMEOUT", strconv.Itoa(MigrateTimeoutSeconds) + "s"},
		},
		Secrets: []SecretRef{
			{"DB_PASSWORD", in.MasterSecretARN + ":password::"},
			{"DB_USER", in.MasterSecretARN + ":username::"},
		},
		MountPoints:      []MountPoint{},
		LogConfiguration: logConfig(in.Region, in.MigrateLogGroup, ContainerMigrate),
		LinuxParameters:  dropAll,
		StopTimeout:      30,
	}
}

// BackendBinary is the chess-server path in the backend image (app/cmd/chess-server/Dockerfile).
const BackendBinary = "/usr/local/bin/chess-server"

// MarshalContainers renders container definitions as the task definition's JSON.
func MarshalContainers(cs []ContainerDef) (string, error) {
	b, err := json.Marshal(cs)
	if err != nil {
		return "", fmt.Errorf("container definitions: %w", err)
	}
	return string(b), nil
}

// image is the configured image, else the digest-pinned imageUri of the build, else the
// repository URL with BootstrapTag (never pulled: the service runs no task while bootstrapping).
func (b *builder) image(role, configured string) pulumi.StringOutput {
	if configured != "" {
		return pulumi.String(configured).ToStringOutput()
	}
	if uri, ok := b.built[role]; ok {
		return uri
	}
	return b.s.repositoryURLs[role].ApplyT(func(u string) string { return u + ":" + BootstrapTag }).(pulumi.StringOutput)
}

// taskDefinitions creates the web and backend task definitions (Fargate, awsvpc, x86_64).
func (b *builder) taskDefinitions() error {
	a := b.args
	lg := b.logGroupNames
	wsURL := a.Gateway.WebSocketURL
	if a.WSTransport == "direct" && a.Domain != "" {
		wsURL = pulumi.String("wss://" + a.Domain + "/ws")
	}
	webDefs := pulumi.StringMap{
		"web": b.image("web", a.Images.Web), "utility": b.image("utility", a.Images.Utility), "ws": wsURL,
		"lgWeb": lg[ContainerWeb], "lgHealth": lg[ContainerHealthCheck], "lgList": lg[ContainerListServices],
		"operator": b.s.OperatorSecretARN,
	}.ToStringMapOutput().ApplyT(func(v map[string]string) (string, error) {
		return MarshalContainers(WebContainers(WebTaskInputs{
			Region: a.Account.Region, WebImage: v["web"], UtilityImage: v["utility"], WebPort: a.WebPort,
			WSURL: v["ws"], WSTransport: a.WSTransport, Domain: a.Domain, Project: a.Project, Stack: a.Stack,
			LogGroups:      map[string]string{ContainerWeb: v["lgWeb"], ContainerHealthCheck: v["lgHealth"], ContainerListServices: v["lgList"]},
			HealthInterval: 30, ListInterval: 300, OperatorSecretARN: v["operator"],
		}))
	}).(pulumi.StringOutput)
	web, err := ecs.NewTaskDefinition(b.ctx, b.name+"-web-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(a.NamePrefix + "-" + FamilyWeb),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		NetworkMode:             pulumi.String("awsvpc"),
		Cpu:                     pulumi.String(strconv.Itoa(a.WebCPU)),
		Memory:                  pulumi.String(strconv.Itoa(a.WebMemory)),
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(RuntimeCPUArchitecture), // the images' ImagePlatform
		},
		ExecutionRoleArn:     b.s.ExecutionRoles[FamilyWeb],
		TaskRoleArn:          b.s.TaskRoleARNs[FamilyWeb],
		ContainerDefinitions: webDefs,
		// Bind-mount volumes without a host path live in the task's ephemeral storage.
		Volumes: ecs.TaskDefinitionVolumeArray{
			&ecs.TaskDefinitionVolumeArgs{Name: pulumi.String(VolumeReports)},
			&ecs.TaskDefinitionVolumeArgs{Name: pulumi.String(VolumeNextCache)},
			&ecs.TaskDefinitionVolumeArgs{Name: pulumi.String(VolumeTmp)},
		},
		Tags: b.tags("web-task"),
	}, b.parent)
	if err != nil {
		return b.wrap("web task definition", err)
	}

	db, cache, g := a.Database, a.Cache, a.Gateway
	redisAddr := pulumi.Sprintf("%s:%d", cache.Endpoint, cache.Port)
	backendDefs := pulumi.All(pulumi.StringMap{
		"image": b.image("backend", a.Images.Backend), "dbHost": db.Host,
		"redis": redisAddr, "redisSecret": cache.AuthSecretARN, "token": g.TokenKeySecretARN, "shared": g.SharedSecretARN,
		"endpoint": g.ManagementEndpoint, "lg": lg[ContainerBackend],
		"master": db.SecretARN, "lgMigrate": lg[ContainerMigrate],
	}.ToStringMapOutput(), db.Port.ToIntOutput()).ApplyT(func(v []any) (string, error) {
		s, port := v[0].(map[string]string), v[1].(int)
		return MarshalContainers(BackendContainers(BackendTaskInputs{
			Region: a.Account.Region, Image: s["image"], Port: a.BackendPort,
			DBHost: s["dbHost"], DBName: db.Name, DBUser: rds.AppUser, DBPort: port,
			RedisAddr: s["redis"], RedisSecretARN: s["redisSecret"],
			TokenKeySecretARN: s["token"], SharedSecretARN: s["shared"],
			ManagementEndpoint: s["endpoint"], AllowedOrigins: a.Domain, LogGroup: s["lg"],
			MasterSecretARN: s["master"], MigrateLogGroup: s["lgMigrate"],
		}))
	}).(pulumi.StringOutput)
	backend, err := ecs.NewTaskDefinition(b.ctx, b.name+"-backend-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(a.NamePrefix + "-" + FamilyBackend),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		NetworkMode:             pulumi.String("awsvpc"),
		Cpu:                     pulumi.String(strconv.Itoa(a.BackendCPU)),
		Memory:                  pulumi.String(strconv.Itoa(a.BackendMemory)),
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(RuntimeCPUArchitecture), // the images' ImagePlatform
		},
		ExecutionRoleArn:     b.s.ExecutionRoles[FamilyBackend],
		TaskRoleArn:          b.s.TaskRoleARNs[FamilyBackend],
		ContainerDefinitions: backendDefs,
		Tags:                 b.tags("backend-task"),
	}, b.parent)
	if err != nil {
		return b.wrap("backend task definition", err)
	}
	b.s.WebTaskDef, b.s.BackendTaskDef = web, backend
	return nil
}
