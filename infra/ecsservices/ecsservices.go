// Package ecsservices is the ecs-services component: the ECS cluster, the ECR repositories, the
// web task (Next.js plus the health-check and service-listing sidecars sharing a reports volume)
// and the backend task (Go chess server), their execution and task roles, the Fargate services
// with auto scaling, the public ALB (HTTPS only, origin-verify header from CloudFront, /apigw
// blocked) with its access-log bucket, and the internal NLB the API Gateway VPC link targets.
//
// Images are built and pushed by `pulumi up` itself (awsx ecr.Image, Args.Builds) into the
// repositories this component creates, and the task definitions pin them by digest; a
// configured image (Args.Images) overrides the build of its role (docs/infra.md, "Images"). A
// service with neither runs no task (bootstrap).
package ecsservices

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/config"
)

// Type is the component's type token.
const Type = "chess:ecsservices:Services"

// Container names; the log group of each is LogGroupNames()[name].
const (
	ContainerWeb          = "web"
	ContainerHealthCheck  = "health-check"
	ContainerListServices = "list-services"
	ContainerBackend      = "backend"
	ContainerMigrate      = "migrate"
)

// Containers lists every container of the task definitions (web, backend with its migrate init
// container).
var Containers = []string{ContainerWeb, ContainerHealthCheck, ContainerListServices, ContainerBackend, ContainerMigrate}

// Repositories are the ECR repositories, by image role.
var Repositories = []string{"web", "backend", "utility"}

// OriginVerifyHeader is the header CloudFront adds to every origin request; the ALB forwards
// only requests that carry the generated value (everything else gets 403).
const OriginVerifyHeader = "X-Origin-Verify"

// BackendPaths are the paths the ALB sends to the backend (docs/design/backend.md, plus
// /api/session and /api/session/renew, which the backend also serves). /apigw/* is never
// routed: it is reachable only through the NLB behind the VPC link.
var BackendPaths = []string{
	"/ws", "/api/accounts", "/api/sessions", "/api/session", "/api/session/renew",
	"/api/players/*", "/api/games/*", "/api/challenges/*", "/api/leaderboard", "/healthz", "/readyz",
}

// BlockedPaths are answered 404 by the ALB before any forwarding rule.
var BlockedPaths = []string{"/apigw", "/apigw/*"}

// ReportsDir is where the sidecars write and the web app reads the utility reports.
const ReportsDir = "/var/run/chess-reports"

// RDSCABundle is the RDS CA bundle inside the backend image (DB_SSLROOTCERT).
const RDSCABundle = "/etc/ssl/certs/rds-global-bundle.pem"

// Users the containers run as (non-root; the images create them).
const (
	WebUser     = "1000:1000"   // node in node:20-bookworm-slim
	UtilityUser = "10001:10001" // chess in scripts/Dockerfile
	BackendUser = "65532:65532" // nonroot in distroless
)

// SSLPolicy is the HTTPS listener policy (TLS 1.3 and 1.2 only; FSBP ELB.17).
const SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// LogGroupNames are the CloudWatch log groups of the containers, which the component creates
// (retention, the stack's logs key) by container name.
func LogGroupNames(namePrefix string) map[string]string {
	out := map[string]string{}
	for _, c := range Containers {
		out[c] = "/" + namePrefix + "/ecs/" + c
	}
	return out
}

// RepositoryName is the ECR repository of an image role ("web", "backend", "utility").
func RepositoryName(namePrefix, role string) string { return namePrefix + "/" + role }

// SecurityGroups are the groups of the network component the services attach to.
type SecurityGroups struct {
	ALB, Web, Backend, NLB pulumi.StringInput
}

// Images are digest-pinned image references (config.ParseImage form); "" means bootstrap: the
// service runs no task until CI has pushed an image and the config names it.
type Images struct {
	Web, Backend, Utility string
}

// TaskCount bounds a service's auto scaling; Min is also the initial desired count.
type TaskCount struct {
	Min, Max int
}

// Database is what the backend needs of the rds component.
type Database struct {
	Host pulumi.StringInput
	Port pulumi.IntInput
	Name string
	// SecretARN is the RDS-managed master secret (JSON username/password); ECS injects it into
	// the backend task's migrate init container only.
	SecretARN pulumi.StringInput
	// KMSKeyARN encrypts the secret.
	KMSKeyARN pulumi.StringInput
	// ResourceID is the instance's DbiResourceId: the backend's task role may rds-db:connect
	// as rds.AppUser on it and nothing else.
	ResourceID pulumi.StringInput
}

// Cache is what the backend needs of the elasticache component.
type Cache struct {
	Endpoint      pulumi.StringInput
	Port          pulumi.IntInput
	AuthSecretARN pulumi.StringInput
	KMSKeyARN     pulumi.StringInput
}

// Gateway is what the services need of the apigw-websocket component's first phase.
type Gateway struct {
	// ManagementEndpoint is https://<api>.execute-api.<region>.amazonaws.com/<stage>.
	ManagementEndpoint pulumi.StringInput
	// WebSocketURL is the stage's wss:// URL handed to browsers in apigw mode.
	WebSocketURL pulumi.StringInput
	// ConnectionsARNs are the execute-api ARNs of the stage's @connections (POST, GET, DELETE).
	ConnectionsARNs pulumi.StringArrayInput
	// TokenKeySecretARN is the session-signing key; SharedSecretARN the X-Chess-Gateway-Secret
	// value; both are encrypted with SecretsKMSKeyARN.
	TokenKeySecretARN, SharedSecretARN, SecretsKMSKeyARN pulumi.StringInput
}

// Args configures the services.
type Args struct {
	// Common are the Account, NamePrefix, LogRetentionDays, KMSDeletionWindowDays and Tags
	// every component takes.
	component.Common
	// Project and Stack are the tag values list-services.sh filters on. Required.
	Project, Stack string

	// VPCID, PublicSubnetIDs (ALB) and PrivateSubnetIDs (tasks, NLB). Required.
	VPCID                             pulumi.StringInput
	PublicSubnetIDs, PrivateSubnetIDs pulumi.StringArrayInput
	// SecurityGroups from the network component. Required.
	SecurityGroups SecurityGroups

	// Ports and Fargate sizes (validated by infra/config). Required.
	WebPort, BackendPort                         int
	WebCPU, WebMemory, BackendCPU, BackendMemory int
	// Images; see Images. A configured image wins over a build of the same role.
	Images Images
	// Builds are the images to build and push, by role (web, backend, utility). Optional.
	Builds map[string]*Build
	// WebTasks and BackendTasks bound auto scaling. Required (Min >= 1).
	WebTasks, BackendTasks TaskCount
	// ScalingCPUPercent and ScalingRequestsPerTarget are the target-tracking goals. Required.
	ScalingCPUPercent, ScalingRequestsPerTarget int
	// ECRMaxImages is how many images each repository keeps. Required.
	ECRMaxImages int

	// Domain is the site's name (CloudFront forwards it as Host; the apps take it as their
	// origin). "" only in a preview.
	Domain string
	// CertificateARN is the HTTPS listener's certificate, covering Domain and the origin host
	// (the dns component's; unknown in a preview without a domain). Required.
	CertificateARN pulumi.StringInput
	// HTTPRedirect adds the :80 listener that only redirects to HTTPS.
	HTTPRedirect bool
	// DeletionProtection protects both load balancers (and keeps the log bucket's objects).
	DeletionProtection bool
	// IdleTimeoutSeconds of the ALB (WebSockets on /ws).
	IdleTimeoutSeconds int

	// Database, Cache and Gateway are the backend's dependencies. Required.
	Database Database
	Cache    Cache
	Gateway  Gateway
	// WSTransport is "apigw" or "direct" (config wsTransport).
	WSTransport string
	// LogsKMSKeyARN is the stack's logs key (observability) that encrypts the containers' log
	// groups; its policy admits every group under "/<NamePrefix>/". Required.
	LogsKMSKeyARN pulumi.StringInput
}

// Services is the component.
type Services struct {
	pulumi.ResourceState

	ClusterName        pulumi.StringOutput `pulumi:"clusterName"`
	ClusterARN         pulumi.StringOutput `pulumi:"clusterArn"`
	WebServiceName     pulumi.StringOutput `pulumi:"webServiceName"`
	BackendServiceName pulumi.StringOutput `pulumi:"backendServiceName"`

	ALBARN       pulumi.StringOutput `pulumi:"albArn"`
	ALBARNSuffix pulumi.StringOutput `pulumi:"albArnSuffix"`
	ALBDNSName   pulumi.StringOutput `pulumi:"albDnsName"`
	ALBZoneID    pulumi.StringOutput `pulumi:"albZoneId"`
	// Target group ARN suffixes, the dimensions of the ALB/NLB CloudWatch metrics.
	WebTargetGroupARNSuffix     pulumi.StringOutput `pulumi:"webTargetGroupArnSuffix"`
	BackendTargetGroupARNSuffix pulumi.StringOutput `pulumi:"backendTargetGroupArnSuffix"`
	NLBARN                      pulumi.StringOutput `pulumi:"nlbArn"`
	NLBARNSuffix                pulumi.StringOutput `pulumi:"nlbArnSuffix"`
	NLBDNSName                  pulumi.StringOutput `pulumi:"nlbDnsName"`
	NLBTargetGroupARNSuffix     pulumi.StringOutput `pulumi:"nlbTargetGroupArnSuffix"`
	AccessLogBucket             pulumi.StringOutput `pulumi:"accessLogBucket"`

	// RepositoryURLs by image role (web, backend, utility).
	RepositoryURLs pulumi.StringMapOutput `pulumi:"repositoryUrls"`
	// OriginVerifySecretARN holds the origin-verify value; OriginVerifyValue is that value as
	// a secret output, for CloudFront's custom origin header.
	OriginVerifySecretARN pulumi.StringOutput `pulumi:"originVerifySecretArn"`
	OriginVerifyValue     pulumi.StringOutput `pulumi:"-"`
	// OperatorSecretARN holds the operator credential the web task gets as OPERATOR_SECRET.
	OperatorSecretARN pulumi.StringOutput `pulumi:"operatorSecretArn"`
	// OperatorSecretKMSKeyARN is the key that encrypts it (the services CMK), for the rotation
	// function's policy.
	OperatorSecretKMSKeyARN pulumi.StringOutput `pulumi:"operatorSecretKmsKeyArn"`

	// Plain values known at preview: the desired task counts (0 while bootstrapping).
	WebDesiredCount, BackendDesiredCount int

	Cluster        *ecs.Cluster
	WebTaskDef     *ecs.TaskDefinition
	BackendTaskDef *ecs.TaskDefinition
	WebService     *ecs.Service
	BackendService *ecs.Service
	ALB            *lb.LoadBalancer
	NLB            *lb.LoadBalancer
	HTTPSListener  *lb.Listener
	BackendTGroup  *lb.TargetGroup
	WebTGroup      *lb.TargetGroup
	NLBTargetGroup *lb.TargetGroup
	ExecutionRoles map[string]pulumi.StringOutput // task family role -> ARN
	TaskRoleARNs   map[string]pulumi.StringOutput
	repositoryArns map[string]pulumi.StringOutput
	repositoryURLs map[string]pulumi.StringOutput
	// deployedTaskDefs are the task definitions the services settled on, checked against the
	// requested ones (CheckDeployed); registering them makes a rollback fail `pulumi up`.
	deployedTaskDefs pulumi.StringMap
}

// builder carries what every part of New needs.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	parent pulumi.ResourceOption
	s      *Services

	keyArn         pulumi.StringOutput            // the services CMK
	logGroupNames  map[string]pulumi.StringInput  // container -> log group name (logGroups)
	built          map[string]pulumi.StringOutput // role -> imageUri of the awsx ecr.Image
	logBucketReady []pulumi.Resource              // the log bucket's policy and settings, before the ALB
	listeners      []pulumi.Resource              // target groups are attached before the services start
	// attachments are the listener rules (ALB) and listeners (NLB) forwarding to each target
	// group; a service waits for those of its target groups (attach).
	attachments map[*lb.TargetGroup][]pulumi.Resource
}

func (b *builder) wrap(what string, err error) error {
	return fmt.Errorf("ecsservices %s: %s: %w", b.name, what, err)
}

func (b *builder) tags(suffix string) pulumi.StringMap {
	return awsenv.Tags(b.args.Tags, b.args.NamePrefix+"-"+suffix)
}

// New creates the services.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Services, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("ecsservices %s: %w", name, err)
	}
	s := &Services{}
	if err := ctx.RegisterComponentResource(Type, name, s, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(s), s: s}
	for _, step := range []func() error{b.key, b.logGroups, b.repositories, b.images, b.originVerify, b.operatorSecret, b.cluster, b.logBucket, b.loadBalancers, b.roles, b.taskDefinitions, b.services} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	s.RepositoryURLs = pulumi.StringMap{
		"web": s.repositoryURLs["web"], "backend": s.repositoryURLs["backend"], "utility": s.repositoryURLs["utility"],
	}.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"clusterName":                 s.ClusterName,
		"clusterArn":                  s.ClusterARN,
		"webServiceName":              s.WebServiceName,
		"backendServiceName":          s.BackendServiceName,
		"albArn":                      s.ALBARN,
		"albArnSuffix":                s.ALBARNSuffix,
		"albDnsName":                  s.ALBDNSName,
		"albZoneId":                   s.ALBZoneID,
		"webTargetGroupArnSuffix":     s.WebTargetGroupARNSuffix,
		"backendTargetGroupArnSuffix": s.BackendTargetGroupARNSuffix,
		"nlbArn":                      s.NLBARN,
		"nlbArnSuffix":                s.NLBARNSuffix,
		"nlbDnsName":                  s.NLBDNSName,
		"nlbTargetGroupArnSuffix":     s.NLBTargetGroupARNSuffix,
		"accessLogBucket":             s.AccessLogBucket,
		"repositoryUrls":              s.RepositoryURLs,
		"originVerifySecretArn":       s.OriginVerifySecretARN,
		"operatorSecretArn":           s.OperatorSecretARN,
		"operatorSecretKmsKeyArn":     s.OperatorSecretKMSKeyARN,
		"deployedTaskDefinitions":     s.deployedTaskDefs,
	}); err != nil {
		return nil, fmt.Errorf("ecsservices %s: register outputs: %w", name, err)
	}
	return s, nil
}

// bootstrapping reports whether a task family has no image yet (neither configured nor built).
func (a *Args) webBootstrap() bool     { return !a.has("web") }
func (a *Args) backendBootstrap() bool { return !a.has("backend") }

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	errs := a.Common.Check()
	errs.Require(a.Project != "" && a.Stack != "", "Project and Stack")
	errs.Require(a.VPCID != nil, "VpcID")
	errs.Require(a.PublicSubnetIDs != nil && a.PrivateSubnetIDs != nil, "PublicSubnetIDs and PrivateSubnetIDs")
	sg := a.SecurityGroups
	errs.Require(sg.ALB != nil && sg.Web != nil && sg.Backend != nil && sg.NLB != nil, "SecurityGroups (ALB, Web, Backend, NLB)")
	errs.Require(a.WebPort > 0 && a.BackendPort > 0, "WebPort and BackendPort")
	errs.Require(a.WebCPU > 0 && a.WebMemory > 0 && a.BackendCPU > 0 && a.BackendMemory > 0, "Fargate CPU and memory")
	errs.Require(a.ScalingCPUPercent > 0 && a.ScalingRequestsPerTarget > 0, "ScalingCPUPercent and ScalingRequestsPerTarget")
	errs.Require(a.ECRMaxImages > 0, "ECRMaxImages")
	errs.Require(a.IdleTimeoutSeconds > 0, "IdleTimeoutSeconds")
	errs.Require(a.Database.Host != nil && a.Database.Port != nil && a.Database.Name != "" && a.Database.SecretARN != nil && a.Database.KMSKeyARN != nil && a.Database.ResourceID != nil,
		"Database (Host, Port, Name, SecretArn, KmsKeyArn, ResourceID)")
	errs.Require(a.Cache.Endpoint != nil && a.Cache.Port != nil && a.Cache.AuthSecretARN != nil && a.Cache.KMSKeyARN != nil, "Cache (Endpoint, Port, AuthSecretArn, KmsKeyArn)")
	g := a.Gateway
	errs.Require(g.ManagementEndpoint != nil && g.WebSocketURL != nil && g.ConnectionsARNs != nil && g.TokenKeySecretARN != nil && g.SharedSecretARN != nil && g.SecretsKMSKeyARN != nil,
		"Gateway (ManagementEndpoint, WebSocketURL, ConnectionsArns, TokenKeySecretArn, SharedSecretArn, SecretsKmsKeyArn)")
	errs.Require(a.LogsKMSKeyARN != nil, "LogsKMSKeyARN")
	for _, tc := range []struct {
		what string
		c    TaskCount
	}{{"WebTasks", a.WebTasks}, {"BackendTasks", a.BackendTasks}} {
		if tc.c.Min < 1 || tc.c.Max < tc.c.Min {
			errs = append(errs, fmt.Errorf("%s %+v: want 1 <= Min <= Max", tc.what, tc.c))
		}
	}
	if !slices.Contains([]string{"apigw", "direct"}, a.WSTransport) {
		errs = append(errs, fmt.Errorf("WSTransport %q: want apigw or direct", a.WSTransport))
	}
	if a.has("web") != a.has("utility") {
		errs = append(errs, errors.New("the web and utility images are set together, configured or built (one task runs both)"))
	}
	for role, bd := range a.Builds {
		if !slices.Contains(Repositories, role) {
			errs = append(errs, fmt.Errorf("Builds[%q]: want one of %v", role, Repositories))
		} else if bd != nil {
			if err := bd.validate(role); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Images must come from this stack's repositories: the execution roles may pull only those.
	for role, img := range map[string]string{"web": a.Images.Web, "backend": a.Images.Backend, "utility": a.Images.Utility} {
		if img == "" {
			continue
		}
		acct, region, repo, ok := config.ParseImage(img)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("Images.%s %q is not an ECR image pinned by digest", role, img))
		case acct != a.Account.ID || region != a.Account.Region || repo != RepositoryName(a.NamePrefix, role):
			errs = append(errs, fmt.Errorf("Images.%s %q: want an image in %s.dkr.ecr.%s.amazonaws.com/%s, the repository this stack creates", role, img, a.Account.ID, a.Account.Region, RepositoryName(a.NamePrefix, role)))
		}
	}
	errs.Require(a.CertificateARN != nil, "CertificateARN")
	if a.Domain != "" && strings.ContainsAny(a.Domain, "/: ") {
		errs = append(errs, fmt.Errorf("Domain %q must be a bare DNS name", a.Domain))
	}
	if n := len(a.NamePrefix + "-alb-logs-" + a.Account.ID); n > 63 {
		errs = append(errs, fmt.Errorf("NamePrefix %q makes the log bucket name %d characters long, more than 63", a.NamePrefix, n))
	}
	return errs.Err()
}
