// Package stack composes the components of the chess platform from the typed config. main.go
// and the whole-stack tests both call Build, so the tests exercise exactly what `pulumi up` runs.
//
// Extending: add the component's handle to Stack, create it in Build after the components it
// depends on (passing their outputs as inputs), and add its exports to Outputs.
package stack

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/config"
	"chessplatform/infra/elasticache"
	"chessplatform/infra/network"
	"chessplatform/infra/rds"
)

// Logical names of the component instances (stable: renaming changes URNs).
const (
	NetworkName  = "network"
	DatabaseName = "database"
	CacheName    = "cache"
)

// Stack holds every component of a deployed stack.
type Stack struct {
	Config   *config.Config
	Account  awsenv.Account
	Network  *network.Network
	Database *rds.Database
	Cache    *elasticache.Cache
}

// Build creates the stack's components from cfg (already validated by config.Load).
func Build(ctx *pulumi.Context, cfg *config.Config) (*Stack, error) {
	if cfg == nil {
		return nil, fmt.Errorf("stack: config is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	acct, err := awsenv.Lookup(ctx)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	s := &Stack{Config: cfg, Account: acct}
	prefix := cfg.Name()

	s.Network, err = network.New(ctx, NetworkName, &network.Args{
		Account:               acct,
		NamePrefix:            prefix,
		VpcCIDR:               cfg.Network.VpcCIDR,
		AZCount:               cfg.Network.AZCount,
		SingleNATGateway:      cfg.Network.SingleNATGateway,
		ALBHTTPRedirect:       cfg.Network.ALBHTTPRedirect,
		WebPort:               cfg.Services.WebPort,
		BackendPort:           cfg.Services.BackendPort,
		LogRetentionDays:      cfg.Logs.RetentionDays,
		KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays,
		Tags:                  cfg.Tags("network"),
	})
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}

	db := cfg.Database
	s.Database, err = rds.New(ctx, DatabaseName, &rds.Args{
		Account:                          acct,
		NamePrefix:                       prefix,
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
		LogRetentionDays:                 cfg.Logs.RetentionDays,
		KMSDeletionWindowDays:            cfg.Logs.KMSDeletionWindowDays,
		Tags:                             cfg.Tags("rds"),
	})
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}

	c := cfg.Cache
	s.Cache, err = elasticache.New(ctx, CacheName, &elasticache.Args{
		Account:               acct,
		NamePrefix:            prefix,
		SubnetIDs:             s.Network.IsolatedSubnetIDs,
		SecurityGroupID:       s.Network.SecurityGroups.Redis,
		Engine:                c.Engine,
		EngineVersion:         c.EngineVersion,
		ParameterFamily:       c.ParameterFamily(),
		NodeType:              c.NodeType,
		NodeCount:             c.NodeCount,
		MultiAZ:               c.MultiAZ,
		SnapshotRetentionDays: c.SnapshotRetentionDays,
		LogRetentionDays:      cfg.Logs.RetentionDays,
		KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays,
		Tags:                  cfg.Tags("elasticache"),
	})
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	return s, nil
}

// Outputs are the stack outputs main.go exports, by name.
func (s *Stack) Outputs() map[string]pulumi.Input {
	sg := s.Network.SecurityGroups
	return map[string]pulumi.Input{
		"region":                 pulumi.String(s.Account.Region),
		"vpcId":                  s.Network.VpcID,
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
		"dbSecretArn":            s.Database.SecretArn,
		"redisEndpoint":          s.Cache.PrimaryEndpoint,
		"redisPort":              s.Cache.Port,
		"redisAuthSecretArn":     s.Cache.AuthSecretArn,
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
