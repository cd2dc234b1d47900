package rds_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
	"chessplatform/infra/network"
	"chessplatform/infra/rds"
)

func dbArgs(a awsenv.Account, cfg *config.Config, n *network.Network) *rds.Args {
	d := cfg.Database
	return &rds.Args{
		Common:                           component.Common{Account: a, NamePrefix: cfg.Name(), LogRetentionDays: cfg.Logs.RetentionDays, KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays, Tags: cfg.Tags("rds")},
		SubnetIDs:                        n.IsolatedSubnetIDs,
		SecurityGroupID:                  n.SecurityGroups.RDS,
		EngineVersion:                    d.EngineVersion,
		ParameterFamily:                  d.DBParameterFamily(),
		InstanceClass:                    d.InstanceClass,
		AllocatedStorageGB:               d.AllocatedStorageGB,
		MaxAllocatedStorageGB:            d.MaxAllocatedStorageGB,
		DBName:                           d.Name,
		MasterUsername:                   d.MasterUsername,
		MultiAZ:                          d.MultiAZ,
		DeletionProtection:               d.DeletionProtection,
		SkipFinalSnapshot:                d.SkipFinalSnapshot,
		BackupRetentionDays:              d.BackupRetentionDays,
		MonitoringIntervalSeconds:        d.MonitoringIntervalSeconds,
		PerformanceInsightsRetentionDays: d.PerformanceInsightsRetentionDays,
	}
}

// outputs of the component, awaited inside the program.
type outputs struct {
	secretArn, endpoint, address, kmsKeyArn, sgID, isolatedSG string
	port                                                      int
	isolated                                                  []string
}

// build runs the network (which the database needs) and the database.
func build(t *testing.T, cfg *config.Config) (*infratest.Mocks, outputs) {
	t.Helper()
	var o outputs
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		n, err := network.New(ctx, "network", &network.Args{Common: component.Common{Account: a, NamePrefix: cfg.Name(), LogRetentionDays: cfg.Logs.RetentionDays, KMSDeletionWindowDays: cfg.Logs.KMSDeletionWindowDays, Tags: cfg.Tags("network")}, VPCCIDR: cfg.Network.VPCCIDR, AZCount: cfg.Network.AZCount,
			WebPort: cfg.Services.WebPort, BackendPort: cfg.Services.BackendPort,
		})
		if err != nil {
			return err
		}
		db, err := rds.New(ctx, "database", dbArgs(a, cfg, n))
		if err != nil {
			return err
		}
		for _, f := range []struct {
			dst *string
			out pulumi.StringOutput
		}{{&o.secretArn, db.SecretARN}, {&o.endpoint, db.Endpoint}, {&o.address, db.Address}, {&o.kmsKeyArn, db.KMSKeyARN}, {&o.sgID, db.SecurityGroupID}, {&o.isolatedSG, n.SecurityGroups.RDS}} {
			if *f.dst, err = infratest.Await[string](ctx, f.out); err != nil {
				return err
			}
		}
		if o.port, err = infratest.Await[int](ctx, db.Port); err != nil {
			return err
		}
		o.isolated, err = infratest.Await[[]string](ctx, n.IsolatedSubnetIDs)
		return err
	}, infratest.WithStack(cfg.Stack))
	return m, o
}

func dbControls() []controls.Control {
	var cs []controls.Control
	cs = append(cs, controls.RDS()...)
	cs = append(cs, controls.KMS()...)
	cs = append(cs, controls.Logs()...)
	cs = append(cs, controls.IAM()...)
	return append(cs, controls.Tags()...)
}

// TestDatabaseSecurity enforces every RDS control on the default (production) settings.
func TestDatabaseSecurity(t *testing.T) {
	m, _ := build(t, config.Defaults(config.Project, "prod"))
	controls.Require(t, m, dbControls())
}

func TestDatabaseControlsCanFail(t *testing.T) {
	m, _ := build(t, config.Defaults(config.Project, "prod"))
	controls.Breakable(t, m.Snapshot(), dbControls())
}

// TestDatabaseDevWaivers: the dev values relax exactly RDS.5, RDS.8 and the final snapshot.
func TestDatabaseDevWaivers(t *testing.T) {
	cfg := config.Defaults(config.Project, "dev")
	cfg.Database.MultiAZ, cfg.Database.DeletionProtection, cfg.Database.SkipFinalSnapshot = false, false, true
	m, _ := build(t, cfg)
	var failing []string
	for _, c := range dbControls() {
		if c.Check(m) != nil {
			failing = append(failing, c.ID)
		}
	}
	assert.Equal(t, []string{"RDS.5 Multi-AZ", "RDS.8 deletion protection", "CKV_AWS_293 final snapshot"}, failing)
	db := m.One(t, controls.TRDSInstance)
	assert.False(t, db.Has("finalSnapshotIdentifier"), "no snapshot name when the snapshot is skipped")
}

func TestDatabaseWiringAndOutputs(t *testing.T) {
	cfg := config.Defaults(config.Project, "prod")
	m, o := build(t, cfg)
	db := m.One(t, controls.TRDSInstance)

	secrets, _ := db.Output("masterUserSecrets")
	require.True(t, secrets.IsArray())
	assert.Equal(t, secrets.ArrayValue()[0].ObjectValue()["secretArn"].StringValue(), o.secretArn)
	assert.True(t, strings.HasPrefix(o.secretArn, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-"))
	assert.Equal(t, 5432, o.port)
	assert.Equal(t, o.address+":5432", o.endpoint)
	assert.Equal(t, o.isolatedSG, o.sgID)
	assert.Equal(t, []string{o.sgID}, db.Strings("vpcSecurityGroupIds"))

	key := m.ByType(controls.TKMSKey)
	var own []infratest.Resource
	for _, k := range key {
		if k.ParentType() == rds.Type {
			own = append(own, k)
		}
	}
	require.Len(t, own, 1, "the database has its own key")
	arn, _ := own[0].Output("arn")
	assert.Equal(t, arn.StringValue(), o.kmsKeyArn)
	for _, p := range []string{"kmsKeyId", "performanceInsightsKmsKeyId", "masterUserSecretKmsKeyId"} {
		v, _ := db.Str(p)
		assert.Equal(t, o.kmsKeyArn, v, p)
	}

	group := m.One(t, controls.TRDSSubnetGroup)
	assert.ElementsMatch(t, o.isolated, group.Strings("subnetIds"))

	ident, _ := db.Str("identifier")
	assert.Equal(t, "chess-platform-prod-pg", ident)
	v, _ := db.Str("engineVersion")
	assert.Equal(t, "18", v)
	pg := m.One(t, controls.TRDSParams)
	fam, _ := pg.Str("family")
	assert.Equal(t, "postgres18", fam)

	// The instance waits for its log groups, or RDS would create them unencrypted first.
	var deps []string
	for _, d := range db.Dependencies {
		deps = append(deps, d[strings.LastIndex(d, "::")+2:])
	}
	assert.Subset(t, deps, []string{"database-log-postgresql", "database-log-upgrade", "database-monitoring"})
}

func TestDatabaseArgsValidation(t *testing.T) {
	cases := map[string]func(*rds.Args){
		"no subnets":        func(a *rds.Args) { a.SubnetIDs = nil },
		"no security group": func(a *rds.Args) { a.SecurityGroupID = nil },
		"short backups":     func(a *rds.Args) { a.BackupRetentionDays = 1 },
		"no monitoring":     func(a *rds.Args) { a.MonitoringIntervalSeconds = 0 },
		"no master user":    func(a *rds.Args) { a.MasterUsername = "" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				a, err := awsenv.Lookup(ctx)
				if err != nil {
					return err
				}
				args := dbArgs(a, config.Defaults(config.Project, "test"), &network.Network{
					IsolatedSubnetIDs: pulumi.ToStringArray([]string{"subnet-1", "subnet-2"}).ToStringArrayOutput(),
					SecurityGroups:    network.SecurityGroups{RDS: pulumi.String("sg-1").ToStringOutput()},
				})
				mutate(args)
				_, err = rds.New(ctx, "database", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "rds database:")
			assert.Empty(t, m.Resources(), "nothing is created")
		})
	}
}
