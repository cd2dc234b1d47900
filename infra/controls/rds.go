package controls

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"chessplatform/infra/infratest"
)

// RDS: the PostgreSQL instance of the rds component.

// RDS lists the database controls.
func RDS() []Control {
	return named(
		dbEncrypted,
		dbPrivate,
		dbMultiAZ,
		dbDeletionProtection,
		dbFinalSnapshot,
		dbBackupRetention,
		dbIAMAuth,
		dbLogExports,
		dbStatementLogging,
		dbForceTLS,
		dbEnhancedMonitoring,
		dbMinorUpgrades,
		dbTagsToSnapshots,
		dbPerformanceInsights,
		dbCurrentCA,
		dbNonDefaultUser,
		dbManagedPassword,
	)
}

// RDSComponent is the type of the component owning the database, for the "own key" check.
const RDSComponent = "chess:rds:Database"

var (
	monitoringIntervals = []int{1, 5, 10, 15, 30, 60}
	rdsCAs              = []string{"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"}
	defaultAdminNames   = []string{"postgres", "admin", "administrator", "root", "rdsadmin", "master"}
)

var dbEncrypted = Control{
	Name: "dbEncrypted",
	ID:   "RDS.3 storage encrypted with CMK",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		err := errors.Join(isBool(r, "storageEncrypted", true), cmk(rec, r, "kmsKeyId"))
		if err == nil && keyOwner(rec, r, "kmsKeyId") != RDSComponent {
			err = errors.New("kmsKeyId is not the database's own key")
		}
		return err
	}),
	Props: []Prop{{TRDSInstance, "storageEncrypted", false}, {TRDSInstance, "kmsKeyId", "alias/aws/rds"}},
}

var dbPrivate = Control{
	Name: "dbPrivate",
	ID:   "RDS.2 not publicly accessible, in isolated subnets",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		return errors.Join(isBool(r, "publiclyAccessible", false), inIsolatedSubnets(rec, r, "dbSubnetGroupName", TRDSSubnetGroup))
	}),
	Props: []Prop{{TRDSInstance, "publiclyAccessible", true}, {TRDSInstance, "dbSubnetGroupName", "default"}, {TRDSSubnetGroup, "subnetIds", nil}},
}

var dbMultiAZ = Control{Name: "dbMultiAZ", ID: "RDS.5 Multi-AZ", Check: dbFlag("multiAz", true),
	Props: []Prop{{TRDSInstance, "multiAz", false}}}

var dbDeletionProtection = Control{Name: "dbDeletionProtection", ID: "RDS.8 deletion protection", Check: dbFlag("deletionProtection", true),
	Props: []Prop{{TRDSInstance, "deletionProtection", false}}}

var dbFinalSnapshot = Control{
	Name: "dbFinalSnapshot",
	ID:   "CKV_AWS_293 final snapshot",
	Check: eachDB(func(_ infratest.Recorded, r infratest.Resource) error {
		_, err := nonEmpty(r, "finalSnapshotIdentifier")
		return errors.Join(isBool(r, "skipFinalSnapshot", false), err)
	}),
	Props: []Prop{{TRDSInstance, "skipFinalSnapshot", true}, {TRDSInstance, "finalSnapshotIdentifier", nil}},
}

var dbBackupRetention = Control{
	Name: "dbBackupRetention",
	ID:   "RDS.11 backups retained 7 to 35 days",
	Check: eachDB(func(_ infratest.Recorded, r infratest.Resource) error {
		return intBetween(r, "backupRetentionPeriod", 7, 35)
	}),
	Props: []Prop{{TRDSInstance, "backupRetentionPeriod", 1}},
}

var dbIAMAuth = Control{Name: "dbIAMAuth", ID: "RDS.10 IAM database authentication", Check: dbFlag("iamDatabaseAuthenticationEnabled", true),
	Props: []Prop{{TRDSInstance, "iamDatabaseAuthenticationEnabled", false}}}

var dbLogExports = Control{
	Name: "dbLogExports",
	ID:   "RDS.9 postgresql and upgrade logs exported to pre-created log groups",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		exports := r.Strings("enabledCloudwatchLogsExports")
		ident, _ := r.Str("identifier")
		var errs []error
		for _, want := range []string{"postgresql", "upgrade"} {
			if !slices.Contains(exports, want) {
				errs = append(errs, fmt.Errorf("log export %q missing (have %v)", want, exports))
			}
			group := "/aws/rds/instance/" + ident + "/" + want
			if len(infratest.ByOutput(rec, TLogGroup, "name", group)) != 1 {
				errs = append(errs, fmt.Errorf("log group %s is not created by the stack (RDS would create it without retention or KMS)", group))
			}
		}
		return errors.Join(errs...)
	}),
	Props: []Prop{{TRDSInstance, "enabledCloudwatchLogsExports", []any{"postgresql"}}, {TRDSInstance, "identifier", nil}},
}

var dbStatementLogging = Control{
	Name: "dbStatementLogging",
	ID:   "CKV2_AWS_30 statement and slow-query logging",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		ps, err := paramsOf(rec, r, TRDSParams)
		if err != nil {
			return err
		}
		var errs []error
		if v := ps["log_statement"]; v == "" || v == "none" {
			errs = append(errs, fmt.Errorf("log_statement is %q, want ddl, mod or all", v))
		}
		if v, err := strconv.Atoi(ps["log_min_duration_statement"]); err != nil || v < 0 {
			errs = append(errs, fmt.Errorf("log_min_duration_statement is %q, want a threshold in ms", ps["log_min_duration_statement"]))
		}
		return errors.Join(errs...)
	}),
	Props: []Prop{{TRDSParams, "parameters", []any{map[string]any{"name": "log_statement", "value": "none"}}}, {TRDSInstance, "parameterGroupName", nil}},
}

var dbForceTLS = Control{
	Name: "dbForceTLS",
	ID:   "CKV2_AWS_69 TLS forced with rds.force_ssl=1",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		ps, err := paramsOf(rec, r, TRDSParams)
		if err != nil {
			return err
		}
		if ps["rds.force_ssl"] != "1" {
			return fmt.Errorf("rds.force_ssl is %q, want \"1\"", ps["rds.force_ssl"])
		}
		return nil
	}),
	Props: []Prop{{TRDSParams, "parameters", []any{map[string]any{"name": "rds.force_ssl", "value": "0"}}}},
}

var dbEnhancedMonitoring = Control{
	Name: "dbEnhancedMonitoring",
	ID:   "RDS.6 enhanced monitoring with a monitoring role",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		var errs []error
		if v, ok := r.Int("monitoringInterval"); !ok || !slices.Contains(monitoringIntervals, v) {
			errs = append(errs, fmt.Errorf("monitoringInterval %d, want one of %v", v, monitoringIntervals))
		}
		arn, err := nonEmpty(r, "monitoringRoleArn")
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		roles := infratest.ByOutput(rec, TRole, "arn", arn)
		if len(roles) != 1 {
			return errors.Join(append(errs, fmt.Errorf("monitoringRoleArn %s is not a role of the stack", arn))...)
		}
		doc, err := roles[0].Policy("assumeRolePolicy")
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if len(doc.Statement) != 1 || doc.Statement[0].Principal == nil || !slices.Equal(doc.Statement[0].Principal.Service, []string{"monitoring.rds.amazonaws.com"}) {
			errs = append(errs, errors.New("monitoring role must trust only monitoring.rds.amazonaws.com"))
		}
		return errors.Join(errs...)
	}),
	Props: []Prop{{TRDSInstance, "monitoringInterval", 0}, {TRDSInstance, "monitoringRoleArn", nil}},
}

var dbMinorUpgrades = Control{Name: "dbMinorUpgrades", ID: "RDS.13 automatic minor version upgrades", Check: dbFlag("autoMinorVersionUpgrade", true),
	Props: []Prop{{TRDSInstance, "autoMinorVersionUpgrade", false}}}

var dbTagsToSnapshots = Control{Name: "dbTagsToSnapshots", ID: "RDS.17 tags copied to snapshots", Check: dbFlag("copyTagsToSnapshot", true),
	Props: []Prop{{TRDSInstance, "copyTagsToSnapshot", false}}}

var dbPerformanceInsights = Control{
	Name: "dbPerformanceInsights",
	ID:   "CKV_AWS_353 Performance Insights on, encrypted with CMK",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		return errors.Join(isBool(r, "performanceInsightsEnabled", true), cmk(rec, r, "performanceInsightsKmsKeyId"))
	}),
	Props: []Prop{{TRDSInstance, "performanceInsightsEnabled", false}, {TRDSInstance, "performanceInsightsKmsKeyId", nil}},
}

var dbCurrentCA = Control{
	Name: "dbCurrentCA",
	ID:   "CKV_AWS_211 current CA certificate",
	Check: eachDB(func(_ infratest.Recorded, r infratest.Resource) error {
		if v, _ := r.Str("caCertIdentifier"); !slices.Contains(rdsCAs, v) {
			return fmt.Errorf("caCertIdentifier %q, want one of %v", v, rdsCAs)
		}
		return nil
	}),
	Props: []Prop{{TRDSInstance, "caCertIdentifier", "rds-ca-2019"}},
}

var dbNonDefaultUser = Control{
	Name: "dbNonDefaultUser",
	ID:   "RDS.25 non-default master user name",
	Check: eachDB(func(_ infratest.Recorded, r infratest.Resource) error {
		u, err := nonEmpty(r, "username")
		if err == nil && slices.Contains(defaultAdminNames, strings.ToLower(u)) {
			err = fmt.Errorf("username %q is a default admin name", u)
		}
		return err
	}),
	Props: []Prop{{TRDSInstance, "username", "postgres"}},
}

var dbManagedPassword = Control{
	Name: "dbManagedPassword",
	ID:   "RDS.SECRET master password managed by RDS in Secrets Manager with CMK",
	Check: eachDB(func(rec infratest.Recorded, r infratest.Resource) error {
		var errs []error
		errs = append(errs, isBool(r, "manageMasterUserPassword", true), cmk(rec, r, "masterUserSecretKmsKeyId"))
		if r.Has("password") {
			errs = append(errs, errors.New("a password is set in the program; RDS must manage it"))
		}
		return errors.Join(errs...)
	}),
	Props: []Prop{{TRDSInstance, "manageMasterUserPassword", false}, {TRDSInstance, "masterUserSecretKmsKeyId", nil}, {TRDSInstance, "password", AbsentIsSecure("hunter2hunter2")}},
}

// eachDB is a check applying fn to every instance (at least one).
func eachDB(fn func(infratest.Recorded, infratest.Resource) error) func(infratest.Recorded) error {
	return func(rec infratest.Recorded) error {
		return each(rec, TRDSInstance, 1, func(r infratest.Resource) error { return fn(rec, r) })
	}
}

// dbFlag is a check requiring a boolean input of every instance to be set to want.
func dbFlag(path string, want bool) func(infratest.Recorded) error {
	return eachDB(func(_ infratest.Recorded, r infratest.Resource) error { return isBool(r, path, want) })
}
