// Package stack composes the components of the chess platform from the typed config. main.go
// and the whole-stack tests both call Build, so the tests exercise exactly what `pulumi up` runs.
//
// Extending: add the component's handle to Stack, create it in Build after the components it
// depends on (passing their outputs as inputs), and add its exports to Outputs.
package stack

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/apigwwebsocket"
	"chessplatform/infra/awsenv"
	"chessplatform/infra/cdn"
	"chessplatform/infra/component"
	"chessplatform/infra/config"
	"chessplatform/infra/dns"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/elasticache"
	"chessplatform/infra/network"
	"chessplatform/infra/observability"
	"chessplatform/infra/rds"
	"chessplatform/infra/rotation"
	"chessplatform/infra/waf"
)

// Names of the component instances: each is the component's logical name and its Component
// tag (the Go package and type token are the same name without hyphens). A rename changes
// URNs: moves.go aliases the old ones.
const (
	NetworkName       = "network"
	RDSName           = "rds"
	ElastiCacheName   = "elasticache"
	ObservabilityName = "observability"
	APIName           = "apigw-websocket"
	ServicesName      = "ecs-services"
	WAFName           = "waf"
	DNSName           = "dns"
	CDNName           = "cdn"
	RotationName      = "rotation"
	UsEast1Name       = "us-east-1"
)

// Stack holds every component of a deployed stack.
type Stack struct {
	Config        *config.Config
	Account       awsenv.Account
	Network       *network.Network
	Database      *rds.Database
	Cache         *elasticache.Cache
	Observability *observability.Observability
	API           *apigwwebsocket.API
	Services      *ecsservices.Services
	Rotation      *rotation.Rotation
	WAF           *waf.WAF
	DNS           *dns.DNS
	CDN           *cdn.CDN
	// UsEast1 is the provider of the CLOUDFRONT-scope resources (web ACL, certificate, logs).
	UsEast1 *aws.Provider
	// WebBuildID is the Next.js build the web image packages and the cdn uploads ("" when
	// webImage is configured).
	WebBuildID string

	ctx    *pulumi.Context
	root   string                        // the project directory (Pulumi.yaml)
	builds map[string]*ecsservices.Build // images `pulumi up` builds, by role
}

// ErrNoDomain stops `pulumi up` (not a preview) without a domain: the HTTPS listener and
// CloudFront need certificates for it.
var ErrNoDomain = errors.New("stack: chess-platform:domain is not set: pulumi up needs the site's domain with hostedZoneId " +
	"(the stack creates and validates the certificates) or with albCertificateArn and cdnCertificateArn; pulumi preview runs without")

// Build creates the stack's components from cfg (already validated by config.Load). The order
// breaks the cycle between the WebSocket API and the services: the API exists first (the
// backend needs its @connections endpoint and secrets), the services second, and the API's VPC
// link to the services' NLB last; the edge (WAF, CloudFront) follows the ALB, and the alarms
// come last, when everything they watch exists.
func Build(ctx *pulumi.Context, cfg *config.Config) (*Stack, error) {
	if cfg == nil {
		return nil, fmt.Errorf("stack: config is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	// Deliberate divergence: a preview needs no domain (it shows the plan of a stack whose
	// operator inputs are not set yet; cdn then plans the *.cloudfront.net certificate), but
	// `up` would create listeners and a distribution without a usable certificate, so it
	// stops here. Covered by TestPreviewWithoutDomainAndUpRefused.
	if cfg.Edge.Domain == "" && !ctx.DryRun() {
		return nil, ErrNoDomain
	}
	acct, err := awsenv.Lookup(ctx)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	s := &Stack{Config: cfg, Account: acct, ctx: ctx}
	// Before any resource: the transformation applies to every resource registered after it.
	if err := ctx.RegisterStackTransformation(StackLifecycle(cfg.Lifecycle.ProtectStatefulResources).Transformation()); err != nil {
		return nil, fmt.Errorf("stack: lifecycle policy: %w", err)
	}
	if err := ctx.RegisterStackTransformation(movesTransformation(ctx, moves(cfg.Name()))); err != nil {
		return nil, fmt.Errorf("stack: aliases of moved resources: %w", err)
	}
	for _, step := range []func() error{s.images, s.foundation, s.provider, s.observe, s.api, s.dns, s.services, s.origin, s.rotate, s.connect, s.waf, s.cdn, s.alias, s.watch} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("stack: %w", err)
		}
	}
	return s, nil
}

// foundation: network, database and cache.
func (s *Stack) foundation() error {
	cfg := s.Config
	var err error
	s.Network, err = network.New(s.ctx, NetworkName, &network.Args{
		Common:           s.common(NetworkName),
		VPCCIDR:          cfg.Network.VPCCIDR,
		AZCount:          cfg.Network.AZCount,
		SingleNATGateway: cfg.Network.SingleNATGateway,
		ALBHTTPRedirect:  cfg.Network.ALBHTTPRedirect,
		WebPort:          cfg.Services.WebPort,
		BackendPort:      cfg.Services.BackendPort,
	})
	if err != nil {
		return err
	}
	db := cfg.Database
	s.Database, err = rds.New(s.ctx, RDSName, &rds.Args{
		Common:                           s.common(RDSName),
		SubnetIDs:                        s.Network.IsolatedSubnetIDs,
		SecurityGroupID:                  s.Network.SecurityGroups.RDS,
		EngineVersion:                    db.EngineVersion,
		ParameterFamily:                  db.DBParameterFamily(),
		InstanceClass:                    db.InstanceClass,
		AllocatedStorageGB:               db.AllocatedStorageGB,
		MaxAllocatedStorageGB:            db.MaxAllocatedStorageGB,
		DBName:                           db.Name,
		MasterUsername:                   db.MasterUsername,
		MultiAZ:                          db.MultiAZ,
		DeletionProtection:               db.DeletionProtection,
		SkipFinalSnapshot:                db.SkipFinalSnapshot,
		BackupRetentionDays:              db.BackupRetentionDays,
		MonitoringIntervalSeconds:        db.MonitoringIntervalSeconds,
		PerformanceInsightsRetentionDays: db.PerformanceInsightsRetentionDays,
	})
	if err != nil {
		return err
	}
	c := cfg.Cache
	s.Cache, err = elasticache.New(s.ctx, ElastiCacheName, &elasticache.Args{
		Common:                s.common(ElastiCacheName),
		SubnetIDs:             s.Network.IsolatedSubnetIDs,
		SecurityGroupID:       s.Network.SecurityGroups.Redis,
		Engine:                c.Engine,
		EngineVersion:         c.EngineVersion,
		ParameterFamily:       c.ParameterFamily(),
		NodeType:              c.NodeType,
		NodeCount:             c.NodeCount,
		MultiAZ:               c.MultiAZ,
		SnapshotRetentionDays: c.SnapshotRetentionDays,
	})
	return err
}

// provider is the us-east-1 provider of CloudFront's web ACL, certificate and log delivery.
func (s *Stack) provider() error {
	var err error
	s.UsEast1, err = aws.NewProvider(s.ctx, UsEast1Name, &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
	return err
}

// observe creates the logs key (the components encrypt their own log groups with it), the
// alarm topic and CloudTrail.
func (s *Stack) observe() error {
	cfg := s.Config
	var err error
	s.Observability, err = observability.New(s.ctx, ObservabilityName, &observability.Args{
		Common:             s.common(ObservabilityName),
		AlarmEmail:         cfg.Observe.AlarmEmail,
		TrailRetentionDays: cfg.Observe.TrailRetentionDays,
	})
	return err
}

// api creates the WebSocket API (phase one): the backend needs its endpoint and secrets.
func (s *Stack) api() error {
	cfg, o := s.Config, s.Observability
	g := cfg.Gateway
	var err error
	s.API, err = apigwwebsocket.New(s.ctx, APIName, &apigwwebsocket.Args{
		Common:               s.common(APIName),
		StageName:            g.StageName,
		AuthorizerZip:        g.AuthorizerZip,
		LogsKMSKeyARN:        o.LogsKMSKeyARN,
		ManageAccountRole:    cfg.OwnsGatewayAccount(),
		ThrottlingRateLimit:  g.ThrottlingRateLimit,
		ThrottlingBurstLimit: g.ThrottlingBurstLimit,
		LoggingLevel:         g.LoggingLevel,
	})
	return err
}

// services creates the cluster, images, tasks, services and load balancers.
func (s *Stack) services() error {
	cfg, n, o := s.Config, s.Network, s.Observability
	sv, e := cfg.Services, cfg.Edge
	var err error
	s.Services, err = ecsservices.New(s.ctx, ServicesName, &ecsservices.Args{
		Common:           s.common(ServicesName),
		Project:          cfg.Project,
		Stack:            cfg.Stack,
		VPCID:            n.VPCID,
		PublicSubnetIDs:  n.PublicSubnetIDs,
		PrivateSubnetIDs: n.PrivateSubnetIDs,
		SecurityGroups: ecsservices.SecurityGroups{
			ALB: n.SecurityGroups.ALB, Web: n.SecurityGroups.Web, Backend: n.SecurityGroups.Backend, NLB: n.SecurityGroups.NLB,
		},
		WebPort: sv.WebPort, BackendPort: sv.BackendPort,
		WebCPU: sv.WebCPU, WebMemory: sv.WebMemory, BackendCPU: sv.BackendCPU, BackendMemory: sv.BackendMemory,
		Images:                   ecsservices.Images{Web: sv.WebImage, Backend: sv.BackendImage, Utility: sv.UtilityImage},
		Builds:                   s.builds,
		WebTasks:                 ecsservices.TaskCount{Min: sv.WebMinTasks, Max: sv.WebMaxTasks},
		BackendTasks:             ecsservices.TaskCount{Min: sv.BackendMinTasks, Max: sv.BackendMaxTasks},
		ScalingCPUPercent:        sv.ScalingCPUPercent,
		ScalingRequestsPerTarget: sv.ScalingRequestsPerTarget,
		ECRMaxImages:             sv.ECRMaxImages,
		Domain:                   e.Domain,
		CertificateARN:           s.DNS.ALBCertificateARN,
		HTTPRedirect:             cfg.Network.ALBHTTPRedirect,
		DeletionProtection:       e.ALBDeletionProtection,
		IdleTimeoutSeconds:       e.ALBIdleTimeoutSeconds,
		Database: ecsservices.Database{
			Host: s.Database.Address, Port: s.Database.Port, Name: s.Database.DBName,
			SecretARN: s.Database.SecretARN, KMSKeyARN: s.Database.KMSKeyARN, ResourceID: s.Database.ResourceID,
		},
		Cache: ecsservices.Cache{
			Endpoint: s.Cache.PrimaryEndpoint, Port: s.Cache.Port, AuthSecretARN: s.Cache.AuthSecretARN, KMSKeyARN: s.Cache.KMSKeyARN,
		},
		Gateway: ecsservices.Gateway{
			ManagementEndpoint: s.API.ManagementEndpoint, WebSocketURL: s.API.WebSocketURL, ConnectionsARNs: s.API.ConnectionsARNs,
			TokenKeySecretARN: s.API.TokenKeySecretARN, SharedSecretARN: s.API.SharedSecretARN, SecretsKMSKeyARN: s.API.SecretsKMSKeyARN,
		},
		WSTransport:   sv.WSTransport,
		LogsKMSKeyARN: o.LogsKMSKeyARN,
	})
	return err
}

// rotate schedules the rotation of the session key, the Redis AUTH token and the operator
// secret by the rotation Lambda, which redeploys the service that reads the rotated secret (the
// backend; the web service for the operator secret).
func (s *Stack) rotate() error {
	cfg := s.Config
	var err error
	s.Rotation, err = rotation.New(s.ctx, RotationName, &rotation.Args{
		Account:             s.Account,
		NamePrefix:          cfg.Name(),
		Zip:                 cfg.Gateway.RotatorZip,
		LogsKMSKeyARN:       s.Observability.LogsKMSKeyARN,
		LogRetentionDays:    cfg.Logs.RetentionDays,
		SessionKey:          rotation.Secret{ARN: s.API.TokenKeySecretARN, KMSKeyARN: s.API.SecretsKMSKeyARN},
		RedisAuth:           rotation.Secret{ARN: s.Cache.AuthSecretARN, KMSKeyARN: s.Cache.KMSKeyARN},
		Operator:            rotation.Secret{ARN: s.Services.OperatorSecretARN, KMSKeyARN: s.Services.OperatorSecretKMSKeyARN},
		ReplicationGroupARN: s.Cache.ARN,
		ClusterName:         s.Services.ClusterName,
		ServiceName:         s.Services.BackendServiceName,
		WebServiceName:      s.Services.WebServiceName,
		Days:                cfg.Gateway.RotationDays,
		Tags:                cfg.Tags(RotationName),
	})
	return err
}

// connect links the API to the services' NLB (phase two).
func (s *Stack) connect() error {
	return s.API.Connect(s.ctx, &apigwwebsocket.ConnectArgs{
		NLBARN: s.Services.NLBARN, NLBDNSName: s.Services.NLBDNSName, BackendPort: s.Config.Services.BackendPort,
	})
}

// waf creates the REGIONAL web ACL on the ALB and the CLOUDFRONT one.
func (s *Stack) waf() error {
	cfg := s.Config
	var err error
	s.WAF, err = waf.New(s.ctx, WAFName, &waf.Args{
		Common:            s.common(WAFName),
		ALBARN:            s.Services.ALBARN,
		UsEast1:           s.UsEast1,
		RateLimit:         cfg.Edge.WAFRateLimit,
		RateWindowSeconds: cfg.Edge.WAFRateWindow,
	})
	return err
}

// dns creates (or takes) the certificates of the ALB and of CloudFront.
func (s *Stack) dns() error {
	e := s.Config.Edge
	var err error
	s.DNS, err = dns.New(s.ctx, DNSName, &dns.Args{
		NamePrefix:        s.Config.Name(),
		Domain:            e.Domain,
		HostedZoneID:      e.HostedZoneID,
		ALBCertificateARN: e.ALBCertificateARN,
		CDNCertificateARN: e.CDNCertificateARN,
		UsEast1:           s.UsEast1,
		Tags:              s.Config.Tags(DNSName),
	})
	return err
}

// origin points origin.<domain> at the ALB.
func (s *Stack) origin() error {
	return s.DNS.Origin(s.ctx, s.Services.ALBDNSName, s.Services.ALBZoneID)
}

// cdn creates the assets bucket, the upload and the distribution in front of the ALB.
func (s *Stack) cdn() error {
	e := s.Config.Edge
	args := &cdn.Args{
		Common:              s.common(CDNName),
		UsEast1:             s.UsEast1,
		OriginDomainName:    s.DNS.OriginDomainName,
		OriginVerifySecret:  s.Services.OriginVerifyValue,
		WebACLARN:           s.WAF.CloudfrontACLARN,
		StaticDir:           s.staticDir(),
		PriceClass:          e.CDNPriceClass,
		ForceDestroyBuckets: !e.ALBDeletionProtection,
	}
	if e.Domain != "" {
		args.Aliases = []string{e.Domain}
		args.CertificateARN = s.DNS.CDNCertificateARN
	} else {
		// Preview without a domain only (Build refuses `pulumi up`): *.cloudfront.net.
		args.AllowDefaultCertificate = true
	}
	var err error
	s.CDN, err = cdn.New(s.ctx, CDNName, args)
	return err
}

// alias points the domain at the distribution.
func (s *Stack) alias() error { return s.DNS.Alias(s.ctx, s.CDN.DomainName) }

// watch creates the alarms and the dashboard over everything above.
func (s *Stack) watch() error {
	cfg, sv := s.Config, s.Services
	return s.Observability.Watch(s.ctx, &observability.WatchArgs{
		ALBARNSuffix: sv.ALBARNSuffix,
		TargetGroups: map[string]pulumi.StringInput{"web": sv.WebTargetGroupARNSuffix, "backend": sv.BackendTargetGroupARNSuffix},
		ClusterName:  sv.ClusterName,
		Services: map[string]observability.Service{
			"web":     {Name: sv.WebServiceName, DesiredCount: sv.WebDesiredCount},
			"backend": {Name: sv.BackendServiceName, DesiredCount: sv.BackendDesiredCount},
		},
		RDSInstanceID:           pulumi.String(s.Database.Identifier),
		RDSAllocatedStorageGB:   cfg.Database.AllocatedStorageGB,
		RDSInstanceClass:        cfg.Database.InstanceClass,
		RedisReplicationGroupID: s.Cache.ReplicationGroup.ReplicationGroupId,
		RedisNodeCount:          cfg.Cache.NodeCount,
		APIID:                   s.API.APIID,
		APIStage:                pulumi.String(s.API.StageName),
		RegionalACLName:         s.WAF.RegionalACLName,
		CloudfrontACLName:       s.WAF.CloudfrontACLName,
		UsEast1:                 s.UsEast1,
	})
}

// common are the arguments every component takes, tagged with the component's name.
func (s *Stack) common(name string) component.Common {
	cfg := s.Config
	return component.Common{
		Account:               s.Account,
		NamePrefix:            cfg.Name(),
		LogRetentionDays:      cfg.Logs.RetentionDays,
		KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays,
		Tags:                  cfg.Tags(name),
	}
}

// WebSocketURL is what browsers connect to: the API stage, or /ws on the site (direct).
func (s *Stack) WebSocketURL() pulumi.StringOutput {
	if s.Config.Services.WSTransport == "direct" && s.Config.Edge.Domain != "" {
		return pulumi.String("wss://" + s.Config.Edge.Domain + "/ws").ToStringOutput()
	}
	return s.API.WebSocketURL
}

// Outputs are the stack outputs main.go exports, by name.
func (s *Stack) Outputs() map[string]pulumi.Input {
	sg := s.Network.SecurityGroups
	return map[string]pulumi.Input{
		// What an operator uses.
		"siteUrl":           s.CDN.SiteURL,
		"webSocketUrl":      s.WebSocketURL(),
		"albDnsName":        s.Services.ALBDNSName,
		"ecrRepositoryUrls": s.Services.RepositoryURLs,
		"dashboardUrl":      s.Observability.DashboardURL,
		"alarmTopicArn":     s.Observability.AlarmTopicARN,
		// Wiring details.
		"region":                 pulumi.String(s.Account.Region),
		"vpcId":                  s.Network.VPCID,
		"availabilityZones":      pulumi.ToStringArray(s.Network.AvailabilityZones),
		"publicSubnetIds":        s.Network.PublicSubnetIDs,
		"privateSubnetIds":       s.Network.PrivateSubnetIDs,
		"isolatedSubnetIds":      s.Network.IsolatedSubnetIDs,
		"natPublicIps":           s.Network.NatPublicIPs,
		"albSecurityGroupId":     sg.ALB,
		"webSecurityGroupId":     sg.Web,
		"backendSecurityGroupId": sg.Backend,
		"nlbSecurityGroupId":     sg.NLB,
		"dbEndpoint":             s.Database.Address,
		"dbPort":                 s.Database.Port,
		"dbName":                 pulumi.String(s.Database.DBName),
		"dbSecretArn":            s.Database.SecretARN,
		"redisEndpoint":          s.Cache.PrimaryEndpoint,
		"redisPort":              s.Cache.Port,
		"redisAuthSecretArn":     s.Cache.AuthSecretARN,
		"clusterName":            s.Services.ClusterName,
		"secretRotatorFunction":  s.Rotation.FunctionName,
		"apiManagementEndpoint":  s.API.ManagementEndpoint,
		"apiId":                  s.API.APIID,
		"cloudfrontDistribution": s.CDN.DistributionID,
		"cloudfrontDomainName":   s.CDN.DomainName,
		"regionalWebAclArn":      s.WAF.RegionalACLARN,
		"cloudfrontWebAclArn":    s.WAF.CloudfrontACLARN,
		"trailArn":               s.Observability.TrailARN,
	}
}

// Export exports every output, in name order.
func (s *Stack) Export(ctx *pulumi.Context) {
	outs := s.Outputs()
	names := make([]string, 0, len(outs))
	for k := range outs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ctx.Export(k, outs[k])
	}
}
