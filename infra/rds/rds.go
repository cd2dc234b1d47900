// Package rds is the database component: RDS for PostgreSQL in the isolated subnets, encrypted
// with its own KMS key, TLS forced, IAM auth on, the master password managed by RDS in Secrets
// Manager, Performance Insights and enhanced monitoring, logs exported to pre-created
// KMS-encrypted log groups with retention.
package rds

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/kmskey"
)

// Type is the component's type token.
const Type = "chess:rds:Database"

// Port is the PostgreSQL port (the security groups use the same constant in network).
const Port = 5432

// LogExports are the PostgreSQL logs exported to CloudWatch (FSBP RDS.9 / RDS.36).
var LogExports = []string{"postgresql", "upgrade"}

// CACertificate is the server certificate authority (CKV_AWS_211).
const CACertificate = "rds-ca-rsa2048-g1"

// Args configures the database.
type Args struct {
	// Common are the Account, NamePrefix, LogRetentionDays, KMSDeletionWindowDays and Tags
	// every component takes.
	component.Common
	// SubnetIDs are the isolated subnets (at least 2 AZs). Required.
	SubnetIDs pulumi.StringArrayInput
	// SecurityGroupID is the RDS group from the network component. Required.
	SecurityGroupID pulumi.StringInput

	// EngineVersion is the PostgreSQL major version, e.g. "18". Required.
	EngineVersion string
	// ParameterFamily is the parameter group family, e.g. "postgres18". Required.
	ParameterFamily string
	// InstanceClass, e.g. "db.t4g.medium". Required.
	InstanceClass string
	// AllocatedStorageGB and MaxAllocatedStorageGB (0: no autoscaling) size gp3 storage.
	AllocatedStorageGB, MaxAllocatedStorageGB int
	// DBName is the database created with the instance; MasterUsername its owner. Required.
	DBName, MasterUsername string
	// MultiAZ, DeletionProtection and SkipFinalSnapshot come from config (dev waivers).
	MultiAZ, DeletionProtection, SkipFinalSnapshot bool
	// BackupRetentionDays (7-35), MonitoringIntervalSeconds and PerformanceInsightsRetentionDays.
	BackupRetentionDays, MonitoringIntervalSeconds, PerformanceInsightsRetentionDays int
}

// Database is the component.
type Database struct {
	pulumi.ResourceState

	// Address is the DNS name of the instance; Endpoint is "address:port".
	Address  pulumi.StringOutput `pulumi:"address"`
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	Port     pulumi.IntOutput    `pulumi:"port"`
	// SecretARN is the RDS-managed master secret (JSON keys username, password); ECS injects
	// it as "<SecretARN>:password::".
	SecretARN pulumi.StringOutput `pulumi:"secretArn"`
	// KMSKeyARN encrypts storage, Performance Insights, the secret and the log groups; readers
	// of the secret need kms:Decrypt on it.
	KMSKeyARN pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// ResourceID is the DbiResourceId used in rds-db:connect ARNs for IAM authentication.
	ResourceID      pulumi.StringOutput `pulumi:"resourceId"`
	ARN             pulumi.StringOutput `pulumi:"arn"`
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`

	// Plain values known at preview.
	Identifier     string
	DBName         string
	MasterUsername string

	Instance *rds.Instance
}

// New creates the database.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Database, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("rds %s: %w", name, err)
	}
	a := args.Account
	identifier := args.NamePrefix + "-pg"
	d := &Database{Identifier: identifier, DBName: args.DBName, MasterUsername: args.MasterUsername}
	if err := ctx.RegisterComponentResource(Type, name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	wrap := component.Wrap("rds", name)
	tags := func(suffix string) pulumi.StringMap { return awsenv.Tags(args.Tags, identifier+suffix) }

	// RDS creates its export groups without retention or encryption unless they exist first.
	logPrefix := "/aws/rds/instance/" + identifier + "/"
	key, err := kmskey.New(ctx, name+"-key", &kmskey.Args{
		Account:            a,
		Description:        "RDS " + identifier + ": storage, Performance Insights, master secret, logs",
		Alias:              args.NamePrefix + "/rds",
		DeletionWindowDays: args.KMSDeletionWindowDays,
		Grants:             []kmskey.ServiceGrant{kmskey.LogsGrant(a, logPrefix)},
		Tags:               args.Tags,
	}, parent)
	if err != nil {
		return nil, wrap("key", err)
	}
	var logGroups []pulumi.Resource
	for _, export := range LogExports {
		lg, err := cloudwatch.NewLogGroup(ctx, name+"-log-"+export, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(logPrefix + export),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
			KmsKeyId:        key.ARN,
			Tags:            tags("-" + export),
		}, parent)
		if err != nil {
			return nil, wrap("log group "+export, err)
		}
		logGroups = append(logGroups, lg)
	}

	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String("Isolated subnets of " + identifier),
		SubnetIds:   args.SubnetIDs,
		Tags:        tags("-subnets"),
	}, parent)
	if err != nil {
		return nil, wrap("subnet group", err)
	}

	params, err := rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Family:      pulumi.String(args.ParameterFamily),
		Description: pulumi.String("TLS-only connections and statement logging for " + identifier),
		Parameters: rds.ParameterGroupParameterArray{
			// pending-reboot is accepted for dynamic and static parameters alike.
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1"), ApplyMethod: pulumi.String("pending-reboot")},
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("log_statement"), Value: pulumi.String("ddl"), ApplyMethod: pulumi.String("immediate")},
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("log_min_duration_statement"), Value: pulumi.String("1000"), ApplyMethod: pulumi.String("immediate")},
		},
		Tags: tags("-params"),
	}, parent)
	if err != nil {
		return nil, wrap("parameter group", err)
	}

	trust, err := iampolicy.ServiceTrust(a.ServicePrincipal("monitoring.rds"), a.ID).JSON()
	if err != nil {
		return nil, wrap("monitoring trust policy", err)
	}
	monitoring, err := iam.NewRole(ctx, name+"-monitoring", &iam.RoleArgs{
		// Named under the stack prefix: the deploy role may manage only role/<prefix>-*.
		Name:             pulumi.String(args.NamePrefix + "-rds-monitoring"),
		Description:      pulumi.String("RDS enhanced monitoring for " + identifier),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             tags("-monitoring"),
	}, parent)
	if err != nil {
		return nil, wrap("monitoring role", err)
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-monitoring", &iam.RolePolicyAttachmentArgs{
		Role:      monitoring.Name,
		PolicyArn: pulumi.String(a.ManagedPolicyARN("service-role/AmazonRDSEnhancedMonitoringRole")),
	}, parent)
	if err != nil {
		return nil, wrap("monitoring policy", err)
	}

	var finalSnapshot pulumi.StringPtrInput
	if !args.SkipFinalSnapshot {
		finalSnapshot = pulumi.String(identifier + "-final")
	}
	db, err := rds.NewInstance(ctx, name+"-instance", &rds.InstanceArgs{
		Identifier:    pulumi.String(identifier),
		Engine:        pulumi.String("postgres"),
		EngineVersion: pulumi.String(args.EngineVersion),
		InstanceClass: pulumi.String(args.InstanceClass),

		AllocatedStorage:    pulumi.Int(args.AllocatedStorageGB),
		MaxAllocatedStorage: pulumi.Int(args.MaxAllocatedStorageGB),
		StorageType:         pulumi.String("gp3"),
		StorageEncrypted:    pulumi.Bool(true),
		KmsKeyId:            key.ARN,

		DbName:                           pulumi.String(args.DBName),
		Username:                         pulumi.String(args.MasterUsername),
		ManageMasterUserPassword:         pulumi.Bool(true),
		MasterUserSecretKmsKeyId:         key.ARN,
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),

		Port:                pulumi.Int(Port),
		DbSubnetGroupName:   subnets.Name,
		VpcSecurityGroupIds: pulumi.StringArray{args.SecurityGroupID},
		PubliclyAccessible:  pulumi.Bool(false),
		NetworkType:         pulumi.String("IPV4"),
		CaCertIdentifier:    pulumi.String(CACertificate),
		ParameterGroupName:  params.Name,

		MultiAz:                 pulumi.Bool(args.MultiAZ),
		DeletionProtection:      pulumi.Bool(args.DeletionProtection),
		SkipFinalSnapshot:       pulumi.Bool(args.SkipFinalSnapshot),
		FinalSnapshotIdentifier: finalSnapshot,
		BackupRetentionPeriod:   pulumi.Int(args.BackupRetentionDays),
		BackupWindow:            pulumi.String("02:00-03:00"),
		MaintenanceWindow:       pulumi.String("sun:03:30-sun:04:30"),
		CopyTagsToSnapshot:      pulumi.Bool(true),
		DeleteAutomatedBackups:  pulumi.Bool(false),

		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		AllowMajorVersionUpgrade: pulumi.Bool(false),

		DatabaseInsightsMode:               pulumi.String("standard"),
		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        key.ARN,
		PerformanceInsightsRetentionPeriod: pulumi.Int(args.PerformanceInsightsRetentionDays),
		MonitoringInterval:                 pulumi.Int(args.MonitoringIntervalSeconds),
		MonitoringRoleArn:                  monitoring.Arn,
		EnabledCloudwatchLogsExports:       pulumi.ToStringArray(LogExports),

		Tags: tags(""),
	}, parent, pulumi.DependsOn(append(logGroups, attachment)))
	if err != nil {
		return nil, wrap("instance", err)
	}

	d.Instance = db
	d.Address = db.Address
	d.Endpoint = db.Endpoint
	d.Port = db.Port
	d.SecretARN = db.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	d.KMSKeyARN = key.ARN
	d.ResourceID = db.ResourceId
	d.ARN = db.Arn
	d.SecurityGroupID = args.SecurityGroupID.ToStringOutput()
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"address":         d.Address,
		"endpoint":        d.Endpoint,
		"port":            d.Port,
		"secretArn":       d.SecretARN,
		"kmsKeyArn":       d.KMSKeyARN,
		"resourceId":      d.ResourceID,
		"arn":             d.ARN,
		"securityGroupId": d.SecurityGroupID,
	}); err != nil {
		return nil, wrap("register outputs", err)
	}
	return d, nil
}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	errs := a.Common.Check()
	errs.Require(a.SubnetIDs != nil, "SubnetIDs")
	errs.Require(a.SecurityGroupID != nil, "SecurityGroupID")
	errs.Require(a.EngineVersion != "", "EngineVersion")
	errs.Require(a.ParameterFamily != "", "ParameterFamily")
	errs.Require(a.InstanceClass != "", "InstanceClass")
	errs.Require(a.DBName != "", "DBName")
	errs.Require(a.MasterUsername != "", "MasterUsername")
	errs.Require(a.AllocatedStorageGB > 0, "AllocatedStorageGB")
	if a.BackupRetentionDays < 7 || a.BackupRetentionDays > 35 {
		errs = append(errs, fmt.Errorf("BackupRetentionDays %d must be 7 to 35", a.BackupRetentionDays))
	}
	if a.MonitoringIntervalSeconds <= 0 {
		errs = append(errs, errors.New("MonitoringIntervalSeconds must be positive: enhanced monitoring stays on"))
	}
	return errs.Err()
}
