// Package config is the typed stack configuration of the chess platform.
//
// Every key lives in one Go struct (Config) whose fields carry the key name, its default and its
// description in struct tags. The same keys, types, defaults and descriptions are declared in
// Pulumi.yaml; a test keeps the two identical. Load reads every key once with Try (never Require,
// which panics), applies the Go defaults for keys the stack does not set, and validates the result
// before any resource is created. dev and prod differ only in these values.
//
// Adding a key: add a tagged field, add its validation to validate.go, declare it in Pulumi.yaml
// with the same type/default/description, and regenerate docs/config.md
// (go test ./infra/config -run TestConfigDoc -update).
package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Project is the Pulumi project name (Pulumi.yaml `name`) and the namespace of every key:
// stack files set "chess-platform:<key>".
const Project = "chess-platform"

// Config is the whole stack configuration. Field tags: `key` is the config key, `default` the
// value used when the stack does not set it (also declared in Pulumi.yaml), `help` the description,
// and `waives` the security control a non-default value relaxes (a named cost waiver); for
// integers with `secureMin`, only values below it relax the control.
type Config struct {
	// Project and Stack come from the Pulumi context, not from keys.
	Project string
	Stack   string

	Network   Network
	Services  Services
	Edge      Edge
	Gateway   Gateway
	Observe   Observability
	Database  Database
	Cache     Cache
	Logs      Logs
	Lifecycle Lifecycle
}

// Network configures the VPC and the security-group graph.
type Network struct {
	VPCCIDR          string `key:"vpcCidr" default:"10.40.0.0/16" help:"IPv4 CIDR of the VPC: RFC 1918, /16 to /20; split into 16 equal blocks, one public, private and isolated subnet per AZ"`
	AZCount          int    `key:"azCount" default:"3" help:"Number of availability zones the subnets span: 2 or 3"`
	SingleNATGateway bool   `key:"singleNatGateway" default:"false" help:"Cost waiver: one NAT gateway for all AZs instead of one per AZ (loses egress when that AZ fails)" waives:"NAT.1 one NAT gateway per AZ"`
	ALBHTTPRedirect  bool   `key:"albHttpRedirect" default:"false" help:"Waiver: open :80 on the ALB to the internet for a listener that only redirects to HTTPS (CloudFront already redirects viewers; the design admits only 443)" waives:"EC2.18 only the ALB accepts traffic from the internet, on 443 only"`
}

// Services sizes the ECS Fargate services (built on top of this foundation).
type Services struct {
	WebPort       int `key:"webPort" default:"3000" help:"Container port of the web (Next.js) service; the ALB and security groups use it"`
	BackendPort   int `key:"backendPort" default:"8080" help:"Container port of the backend (Go) service; the ALB, the internal NLB and security groups use it"`
	WebCPU        int `key:"webCpu" default:"512" help:"Fargate task CPU units of the web service (256, 512, 1024, 2048, 4096, 8192, 16384)"`
	WebMemory     int `key:"webMemory" default:"1024" help:"Fargate task memory (MiB) of the web service; must be a valid pair with webCpu"`
	BackendCPU    int `key:"backendCpu" default:"512" help:"Fargate task CPU units of the backend service"`
	BackendMemory int `key:"backendMemory" default:"1024" help:"Fargate task memory (MiB) of the backend service; must be a valid pair with backendCpu"`

	// Images are built by `pulumi up` (docs/infra.md, "Images"); a key set here is an override,
	// an image pinned by digest that is used as is.
	WebImage     string `key:"webImage" default:"" help:"Override of the web (Next.js) image build: <account>.dkr.ecr.<region>.amazonaws.com/<stack prefix>/web@sha256:<digest>, an image of the webBuildDir build; empty: pulumi up builds app/web/Dockerfile"`
	BackendImage string `key:"backendImage" default:"" help:"Override of the backend (Go) image build: <account>.dkr.ecr.<region>.amazonaws.com/<stack prefix>/backend@sha256:<digest>; empty: pulumi up builds app/cmd/chess-server/Dockerfile"`
	UtilityImage string `key:"utilityImage" default:"" help:"Override of the utility sidecar image build (health-check, list-services): <account>.dkr.ecr.<region>.amazonaws.com/<stack prefix>/utility@sha256:<digest>; set together with webImage; empty: pulumi up builds scripts/Dockerfile"`

	WebMinTasks     int `key:"webMinTasks" default:"2" help:"Minimum (and initial) number of web tasks; auto scaling stays between webMinTasks and webMaxTasks"`
	WebMaxTasks     int `key:"webMaxTasks" default:"6" help:"Maximum number of web tasks auto scaling may run"`
	BackendMinTasks int `key:"backendMinTasks" default:"2" help:"Minimum (and initial) number of backend tasks"`
	BackendMaxTasks int `key:"backendMaxTasks" default:"10" help:"Maximum number of backend tasks auto scaling may run"`
	// Target-tracking goals of the auto scaling policies of both services.
	ScalingCPUPercent        int `key:"scalingCpuPercent" default:"60" help:"Target average CPU utilization (percent, 20 to 90) of the CPU scaling policy of both services"`
	ScalingRequestsPerTarget int `key:"scalingRequestsPerTarget" default:"1000" help:"Target ALB requests per target per minute (10 to 100000) of the request-count scaling policy of both services"`

	WSTransport  string `key:"wsTransport" default:"apigw" help:"Real-time transport the web app hands to browsers: apigw (API Gateway WebSocket stage) or direct (/ws through CloudFront and the ALB, sticky)"`
	ECRMaxImages int    `key:"ecrMaxImages" default:"30" help:"Images each ECR repository keeps (lifecycle policy expires older ones; 5 to 1000)"`
}

// Edge configures the public entry: the site's domain, the ALB certificate and the ALB.
type Edge struct {
	Domain            string `key:"domain" default:"" help:"Public DNS name of the site (e.g. chess.example.com); required for pulumi up (certificates), optional for preview"`
	HostedZoneID      string `key:"hostedZoneId" default:"" help:"Route 53 public hosted zone of domain; with it the stack creates and DNS-validates the ACM certificates"`
	ALBCertificateARN string `key:"albCertificateArn" default:"" help:"Existing ACM certificate in the stack's region covering domain and origin.<domain>, used by the ALB instead of creating one"`
	CDNCertificateARN string `key:"cdnCertificateArn" default:"" help:"Existing ACM certificate in us-east-1 covering domain, used by CloudFront instead of creating one"`

	ALBDeletionProtection bool `key:"albDeletionProtection" default:"true" help:"ALB deletion protection; false is a waiver for dev (lets pulumi destroy remove it)" waives:"ELB.6 ALB deletion protection"`
	ALBIdleTimeoutSeconds int  `key:"albIdleTimeoutSeconds" default:"300" help:"ALB idle timeout in seconds (60 to 4000); long enough for WebSockets on /ws, whose clients ping every 2.5 s"`

	CDNPriceClass string `key:"cdnPriceClass" default:"PriceClass_100" help:"CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All"`
	WebBuildDir   string `key:"webBuildDir" default:"app/web/.next/standalone" help:"The Next.js standalone build (make web-build): the web image's build context, and its .next/static is uploaded to the assets bucket (relative to the project directory)"`
	WAFRateLimit  int    `key:"wafRateLimit" default:"2000" help:"Requests per client IP within wafRateWindowSeconds before the WAF rate rule blocks (10 to 2000000000)"`
	WAFRateWindow int    `key:"wafRateWindowSeconds" default:"300" help:"Window of the WAF rate rule in seconds: 60, 120, 300 or 600"`
}

// Observability configures alarms and the audit trail.
type Observability struct {
	AlarmEmail         string `key:"alarmEmail" default:"" help:"E-mail address subscribed to the alarm topics (it must confirm the subscription); empty subscribes nobody"`
	TrailRetentionDays int    `key:"trailRetentionDays" default:"365" help:"Days CloudTrail log files stay in their bucket (90 to 3653)"`
}

// Gateway configures the API Gateway WebSocket API and its $connect authorizer.
type Gateway struct {
	StageName            string `key:"apiStageName" default:"live" help:"Stage of the WebSocket API (letters, digits, _ and -; 1 to 64); part of the wss:// and @connections URLs"`
	AccountOwner         string `key:"apiGatewayAccountOwner" default:"prod" help:"The one stack per account and region that sets API Gateway's CloudWatch Logs role (apigateway.Account): a stack name (the stack of that name creates the role), or none when the account's role is managed outside this project"`
	ThrottlingRateLimit  int    `key:"apiThrottlingRateLimit" default:"1000" help:"Steady-state WebSocket messages per second the stage accepts (1 to 10000)"`
	ThrottlingBurstLimit int    `key:"apiThrottlingBurstLimit" default:"500" help:"Burst of WebSocket messages the stage accepts (1 to 5000)"`
	LoggingLevel         string `key:"apiLoggingLevel" default:"ERROR" help:"Execution logging level of the stage: ERROR or INFO (never OFF)"`
	AuthorizerZip        string `key:"authorizerZip" default:"dist/ws-authorizer.zip" help:"The $connect authorizer's deployment package, built by make build-authorizer (relative to the project directory)"`
	RotatorZip           string `key:"rotatorZip" default:"dist/secret-rotator.zip" help:"The secret rotation Lambda's deployment package, built by make build-rotator (relative to the project directory)"`
	RotationDays         int    `key:"secretRotationDays" default:"30" help:"Days between rotations of the session-signing key, the Redis AUTH token and the operator secret (1 to 365); at least the backend's TOKEN_TTL (1 day), which is how long a retired signing key stays accepted"`
}

// Database configures RDS for PostgreSQL.
type Database struct {
	InstanceClass                    string `key:"dbInstanceClass" default:"db.t4g.medium" help:"RDS instance class (Graviton t4g/m7g/r7g families)"`
	EngineVersion                    string `key:"dbEngineVersion" default:"18" help:"PostgreSQL major version (16, 17 or 18); RDS picks the latest minor and upgrades minors automatically"`
	AllocatedStorageGB               int    `key:"dbAllocatedStorageGb" default:"20" help:"Initial gp3 storage in GiB (20 to 65536)"`
	MaxAllocatedStorageGB            int    `key:"dbMaxAllocatedStorageGb" default:"100" help:"Storage autoscaling ceiling in GiB; 0 disables autoscaling, otherwise at least dbAllocatedStorageGb"`
	MultiAZ                          bool   `key:"dbMultiAz" default:"true" help:"Multi-AZ standby; false is a cost waiver for dev" waives:"RDS.5 Multi-AZ"`
	DeletionProtection               bool   `key:"dbDeletionProtection" default:"true" help:"RDS deletion protection; false is a cost waiver for dev (lets pulumi destroy remove the instance)" waives:"RDS.8 deletion protection"`
	SkipFinalSnapshot                bool   `key:"dbSkipFinalSnapshot" default:"false" help:"Skip the final snapshot on delete; true is a waiver for dev (repeated destroys would collide on the snapshot name)" waives:"CKV_AWS_293 final snapshot"`
	BackupRetentionDays              int    `key:"dbBackupRetentionDays" default:"14" help:"Automated backup retention in days (7 to 35)"`
	MonitoringIntervalSeconds        int    `key:"dbMonitoringIntervalSeconds" default:"60" help:"Enhanced monitoring interval in seconds (1, 5, 10, 15, 30 or 60)"`
	PerformanceInsightsRetentionDays int    `key:"dbPerformanceInsightsRetentionDays" default:"7" help:"Performance Insights retention in days (7, a multiple of 31 up to 713, or 731)"`
	MasterUsername                   string `key:"dbMasterUsername" default:"chess_admin" help:"Master user name; not postgres/admin/rdsadmin; the password is managed by RDS in Secrets Manager"`
	Name                             string `key:"dbName" default:"chess" help:"Name of the application database created with the instance"`
}

// Cache configures the ElastiCache replication group.
type Cache struct {
	Engine                string `key:"cacheEngine" default:"redis" help:"ElastiCache engine: redis or valkey"`
	EngineVersion         string `key:"cacheEngineVersion" default:"7.1" help:"Engine version: redis 7.0/7.1, valkey 7.2/8.0/8.1/8.2"`
	NodeType              string `key:"cacheNodeType" default:"cache.t4g.small" help:"ElastiCache node type (Graviton t4g/m7g/r7g families)"`
	NodeCount             int    `key:"cacheNodeCount" default:"2" help:"Nodes in the replication group (1 primary + replicas, 1 to 6); Multi-AZ needs at least 2; 1 is a cost waiver for dev" waives:"ElastiCache.3 at least 2 nodes" secureMin:"2"`
	MultiAZ               bool   `key:"cacheMultiAz" default:"true" help:"Multi-AZ with automatic failover; false is a cost waiver for dev" waives:"ElastiCache.3 Multi-AZ with automatic failover"`
	SnapshotRetentionDays int    `key:"cacheSnapshotRetentionDays" default:"7" help:"Daily snapshot retention in days (1 to 35)"`
}

// Logs configures CloudWatch log groups and KMS keys shared by every component.
type Logs struct {
	RetentionDays         int `key:"logRetentionDays" default:"365" help:"Retention of every log group, in days (a CloudWatch allowed value); below 365 is a cost waiver" waives:"CKV_AWS_338 log retention at least 365 days" secureMin:"365"`
	KMSDeletionWindowDays int `key:"kmsDeletionWindowDays" default:"30" help:"Waiting period before a deleted KMS key is destroyed, in days (7 to 30)"`
}

// Lifecycle configures what Pulumi may delete (infra/stack/lifecycle.go).
type Lifecycle struct {
	ProtectStatefulResources bool `key:"protectStatefulResources" default:"true" help:"Pulumi protect on RDS, the ElastiCache replication group and the KMS keys, retainOnDelete on the S3 buckets; false (dev) lets pulumi destroy remove them"`
}

// GatewayAccountOwnerNone says no stack of this project sets the account's API Gateway role.
const GatewayAccountOwnerNone = "none"

// OwnsGatewayAccount reports whether this stack sets the account's API Gateway CloudWatch role.
func (c *Config) OwnsGatewayAccount() bool { return c.Gateway.AccountOwner == c.Stack }

// Name is the prefix of physical names that must be unique per account and region, e.g.
// "chess-platform-dev". Valid for RDS identifiers, log groups and KMS aliases.
func (c *Config) Name() string {
	return c.Project + "-" + sanitize(c.Stack)
}

// Tags are the tags every taggable resource of a component carries; list-services.sh finds
// the stack's resources by Project and Stack.
func (c *Config) Tags(component string) map[string]string {
	return map[string]string{
		"Project":   c.Project,
		"Stack":     c.Stack,
		"Component": component,
		"ManagedBy": "pulumi",
	}
}

// Waiver is a cost-driven relaxation of a security control, switched on by a config value.
type Waiver struct {
	Key     string // config key, without the project prefix
	Value   string // the value that relaxes the control
	Control string // control id and title, as in the security tests
}

// Waivers lists the waivers this configuration switches on: keys tagged `waives` whose value
// differs from the secure default (or, with `secureMin`, is below it).
func (c *Config) Waivers() []Waiver {
	var out []Waiver
	walk(reflect.ValueOf(c).Elem(), func(f reflect.StructField, v reflect.Value) {
		control := f.Tag.Get("waives")
		if control == "" {
			return
		}
		val := format(v)
		if m := f.Tag.Get("secureMin"); m != "" {
			if floor, err := strconv.Atoi(m); err == nil && v.Int() >= int64(floor) {
				return
			}
		} else if val == f.Tag.Get("default") {
			return
		}
		out = append(out, Waiver{Key: f.Tag.Get("key"), Value: val, Control: control})
	})
	return out
}

// Key describes one config key as declared in Pulumi.yaml.
type Key struct {
	Name        string // without the project prefix
	Type        string // Pulumi.yaml schema type: string, integer or boolean
	Default     string // default as text, parsed per Type
	Description string
	Waives      string // control a non-default value relaxes; empty if none
}

// Keys lists every key in declaration order.
func Keys() []Key {
	var out []Key
	walk(reflect.ValueOf(&Config{}).Elem(), func(f reflect.StructField, v reflect.Value) {
		out = append(out, Key{
			Name:        f.Tag.Get("key"),
			Type:        schemaType(v.Kind()),
			Default:     f.Tag.Get("default"),
			Description: f.Tag.Get("help"),
			Waives:      f.Tag.Get("waives"),
		})
	})
	return out
}

// Defaults returns the configuration a stack gets when it sets no key.
func Defaults(project, stack string) *Config {
	c := &Config{Project: project, Stack: stack}
	walk(reflect.ValueOf(c).Elem(), func(f reflect.StructField, v reflect.Value) {
		// Tags are checked by TestDefaultsParse; a bad tag is a programming error.
		if err := set(v, f.Tag.Get("default")); err != nil {
			panic(fmt.Sprintf("config: bad default tag on %s: %v", f.Name, err))
		}
	})
	return c
}

// Load reads every key of the project namespace from the stack configuration, applies defaults
// and validates. The error joins one *Error per bad key.
func Load(ctx *pulumi.Context) (*Config, error) {
	if ctx.Project() != Project {
		return nil, fmt.Errorf("config: project is %q but the program declares %q; rename the project in Pulumi.yaml or config.Project", ctx.Project(), Project)
	}
	pc := pconfig.New(ctx, Project)
	c := Defaults(ctx.Project(), ctx.Stack())
	var errs []error
	walk(reflect.ValueOf(c).Elem(), func(f reflect.StructField, v reflect.Value) {
		key := f.Tag.Get("key")
		raw, err := pc.Try(key)
		if errors.Is(err, pconfig.ErrMissingVar) {
			return // keep the default
		}
		if err != nil {
			errs = append(errs, &Error{Key: fullKey(key), Value: raw, Problem: err.Error()})
			return
		}
		if err := set(v, raw); err != nil {
			errs = append(errs, &Error{Key: fullKey(key), Value: raw, Problem: err.Error()})
		}
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Error is one invalid config value: the key (with project prefix), the value and what is allowed.
type Error struct {
	Key     string
	Value   string
	Problem string
}

func (e *Error) Error() string {
	return fmt.Sprintf("config %s = %q: %s", e.Key, e.Value, e.Problem)
}

func fullKey(key string) string { return Project + ":" + key }

// walk calls fn for every tagged leaf field of the struct v, depth first in declaration order.
func walk(v reflect.Value, fn func(reflect.StructField, reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			walk(fv, fn)
		case f.Tag.Get("key") != "":
			fn(f, fv)
		}
	}
}

func schemaType(k reflect.Kind) string {
	switch k {
	case reflect.Int:
		return "integer"
	case reflect.Bool:
		return "boolean"
	default:
		return "string"
	}
}

// set parses raw into the field according to its kind.
func set(v reflect.Value, raw string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return errors.New("not an integer")
		}
		v.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return errors.New("not a boolean (true or false)")
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported field kind %s", v.Kind())
	}
	return nil
}

func format(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	default:
		return v.String()
	}
}

var (
	unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)
	dashes     = regexp.MustCompile(`-+`)
)

// sanitize makes a stack name usable in RDS identifiers and log group names.
func sanitize(s string) string {
	s = unsafeName.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(dashes.ReplaceAllString(s, "-"), "-")
	if s == "" {
		return "stack"
	}
	return s
}
