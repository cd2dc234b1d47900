package controls

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"chessplatform/infra/infratest"
)

// Owning component types, for "own key" checks.
const (
	RDSComponent   = "chess:rds:Database"
	CacheComponent = "chess:elasticache:Cache"
)

var (
	monitoringIntervals = []int{1, 5, 10, 15, 30, 60}
	rdsCAs              = []string{"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"}
	defaultAdminNames   = []string{"postgres", "admin", "administrator", "root", "rdsadmin", "master"}
)

// RDS lists the database controls.
func RDS() []Control {
	inst := func(fn func(infratest.Recorded, infratest.Resource) error) func(infratest.Recorded) error {
		return func(rec infratest.Recorded) error {
			return each(rec, TRDSInstance, 1, func(r infratest.Resource) error { return fn(rec, r) })
		}
	}
	flag := func(path string, want bool) func(infratest.Recorded) error {
		return inst(func(_ infratest.Recorded, r infratest.Resource) error { return isBool(r, path, want) })
	}
	return []Control{
		{
			ID: "RDS.3 storage encrypted with CMK",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
				err := errors.Join(isBool(r, "storageEncrypted", true), cmk(rec, r, "kmsKeyId"))
				if err == nil && keyOwner(rec, r, "kmsKeyId") != RDSComponent {
					err = errors.New("kmsKeyId is not the database's own key")
				}
				return err
			}),
			Props: []Prop{{TRDSInstance, "storageEncrypted", false}, {TRDSInstance, "kmsKeyId", "alias/aws/rds"}},
		},
		{
			ID: "RDS.2 not publicly accessible, in isolated subnets",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
				return errors.Join(isBool(r, "publiclyAccessible", false), inIsolatedSubnets(rec, r, "dbSubnetGroupName", TRDSSubnetGroup))
			}),
			Props: []Prop{{TRDSInstance, "publiclyAccessible", true}, {TRDSInstance, "dbSubnetGroupName", "default"}, {TRDSSubnetGroup, "subnetIds", nil}},
		},
		{ID: "RDS.5 Multi-AZ", Check: flag("multiAz", true), Props: []Prop{{TRDSInstance, "multiAz", false}}},
		{ID: "RDS.8 deletion protection", Check: flag("deletionProtection", true), Props: []Prop{{TRDSInstance, "deletionProtection", false}}},
		{
			ID: "CKV_AWS_293 final snapshot",
			Check: inst(func(_ infratest.Recorded, r infratest.Resource) error {
				_, err := nonEmpty(r, "finalSnapshotIdentifier")
				return errors.Join(isBool(r, "skipFinalSnapshot", false), err)
			}),
			Props: []Prop{{TRDSInstance, "skipFinalSnapshot", true}, {TRDSInstance, "finalSnapshotIdentifier", nil}},
		},
		{
			ID: "RDS.11 backups retained 7 to 35 days",
			Check: inst(func(_ infratest.Recorded, r infratest.Resource) error {
				return intBetween(r, "backupRetentionPeriod", 7, 35)
			}),
			Props: []Prop{{TRDSInstance, "backupRetentionPeriod", 1}},
		},
		{ID: "RDS.10 IAM database authentication", Check: flag("iamDatabaseAuthenticationEnabled", true), Props: []Prop{{TRDSInstance, "iamDatabaseAuthenticationEnabled", false}}},
		{
			ID: "RDS.9 postgresql and upgrade logs exported to pre-created log groups",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
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
		},
		{
			ID: "CKV2_AWS_30 statement and slow-query logging",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
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
		},
		{
			ID: "CKV2_AWS_69 TLS forced with rds.force_ssl=1",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
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
		},
		{
			ID: "RDS.6 enhanced monitoring with a monitoring role",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
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
		},
		{ID: "RDS.13 automatic minor version upgrades", Check: flag("autoMinorVersionUpgrade", true), Props: []Prop{{TRDSInstance, "autoMinorVersionUpgrade", false}}},
		{ID: "RDS.17 tags copied to snapshots", Check: flag("copyTagsToSnapshot", true), Props: []Prop{{TRDSInstance, "copyTagsToSnapshot", false}}},
		{
			ID: "CKV_AWS_353 Performance Insights on, encrypted with CMK",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
				return errors.Join(isBool(r, "performanceInsightsEnabled", true), cmk(rec, r, "performanceInsightsKmsKeyId"))
			}),
			Props: []Prop{{TRDSInstance, "performanceInsightsEnabled", false}, {TRDSInstance, "performanceInsightsKmsKeyId", nil}},
		},
		{
			ID: "CKV_AWS_211 current CA certificate",
			Check: inst(func(_ infratest.Recorded, r infratest.Resource) error {
				if v, _ := r.Str("caCertIdentifier"); !slices.Contains(rdsCAs, v) {
					return fmt.Errorf("caCertIdentifier %q, want one of %v", v, rdsCAs)
				}
				return nil
			}),
			Props: []Prop{{TRDSInstance, "caCertIdentifier", "rds-ca-2019"}},
		},
		{
			ID: "RDS.25 non-default master user name",
			Check: inst(func(_ infratest.Recorded, r infratest.Resource) error {
				u, err := nonEmpty(r, "username")
				if err == nil && slices.Contains(defaultAdminNames, strings.ToLower(u)) {
					err = fmt.Errorf("username %q is a default admin name", u)
				}
				return err
			}),
			Props: []Prop{{TRDSInstance, "username", "postgres"}},
		},
		{
			ID: "RDS.SECRET master password managed by RDS in Secrets Manager with CMK",
			Check: inst(func(rec infratest.Recorded, r infratest.Resource) error {
				var errs []error
				errs = append(errs, isBool(r, "manageMasterUserPassword", true), cmk(rec, r, "masterUserSecretKmsKeyId"))
				if r.Has("password") {
					errs = append(errs, errors.New("a password is set in the program; RDS must manage it"))
				}
				return errors.Join(errs...)
			}),
			Props: []Prop{{TRDSInstance, "manageMasterUserPassword", false}, {TRDSInstance, "masterUserSecretKmsKeyId", nil}, {TRDSInstance, "password", AbsentIsSecure("hunter2hunter2")}},
		},
	}
}

// ElastiCache lists the cache controls.
func ElastiCache() []Control {
	rg := func(fn func(infratest.Recorded, infratest.Resource) error) func(infratest.Recorded) error {
		return func(rec infratest.Recorded) error {
			return each(rec, TCacheGroup, 1, func(r infratest.Resource) error { return fn(rec, r) })
		}
	}
	flag := func(path string, want bool) func(infratest.Recorded) error {
		return rg(func(_ infratest.Recorded, r infratest.Resource) error { return isBool(r, path, want) })
	}
	return []Control{
		{
			ID: "ElastiCache.4 at-rest encryption with CMK",
			Check: rg(func(rec infratest.Recorded, r infratest.Resource) error {
				err := errors.Join(isBool(r, "atRestEncryptionEnabled", true), cmk(rec, r, "kmsKeyId"))
				if err == nil && keyOwner(rec, r, "kmsKeyId") != CacheComponent {
					err = errors.New("kmsKeyId is not the cache's own key")
				}
				return err
			}),
			Props: []Prop{{TCacheGroup, "atRestEncryptionEnabled", false}, {TCacheGroup, "kmsKeyId", nil}},
		},
		{
			ID: "ElastiCache.5 TLS in transit required",
			Check: rg(func(_ infratest.Recorded, r infratest.Resource) error {
				return errors.Join(isBool(r, "transitEncryptionEnabled", true), isStr(r, "transitEncryptionMode", "required"))
			}),
			Props: []Prop{{TCacheGroup, "transitEncryptionEnabled", false}, {TCacheGroup, "transitEncryptionMode", "preferred"}},
		},
		{
			ID: "ElastiCache.6 AUTH token generated, kept in Secrets Manager, secret in state",
			Check: rg(func(rec infratest.Recorded, r infratest.Resource) error {
				token, ok := r.Str("authToken")
				if !ok || len(token) < 16 || len(token) > 128 {
					return fmt.Errorf("authToken missing or not 16-128 characters")
				}
				var errs []error
				if !r.IsSecret("authToken") {
					errs = append(errs, errors.New("authToken is not a secret input"))
				}
				var versions []infratest.Resource
				for _, v := range rec.ByType(TSecretVersion) {
					if s, _ := v.Str("secretString"); s == token {
						versions = append(versions, v)
					}
				}
				if len(versions) != 1 {
					return errors.Join(append(errs, fmt.Errorf("authToken is held by %d secret versions, want 1", len(versions)))...)
				}
				v := versions[0]
				if !v.IgnoresChanges("secretString") {
					errs = append(errs, fmt.Errorf("%s must ignore changes to secretString, or every run rotates the token", label(v)))
				}
				id, _ := v.Str("secretId")
				if s, ok := rec.ByID(id); !ok || s.Type != TSecret {
					errs = append(errs, fmt.Errorf("%s: secretId %s is not a secret of the stack", label(v), id))
				} else if err := cmk(rec, s, "kmsKeyId"); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", label(s), err))
				}
				return errors.Join(errs...)
			}),
			Props: []Prop{{TCacheGroup, "authToken", "short"}, {TSecretVersion, "secretString", "not-the-token-value"}, {TSecret, "kmsKeyId", nil}},
		},
		{
			ID: "ElastiCache.3 Multi-AZ with automatic failover",
			Check: rg(func(_ infratest.Recorded, r infratest.Resource) error {
				return errors.Join(isBool(r, "multiAzEnabled", true), isBool(r, "automaticFailoverEnabled", true))
			}),
			Props: []Prop{{TCacheGroup, "multiAzEnabled", false}, {TCacheGroup, "automaticFailoverEnabled", false}},
		},
		{
			ID: "ElastiCache.3 at least 2 nodes",
			Check: rg(func(_ infratest.Recorded, r infratest.Resource) error {
				return intBetween(r, "numCacheClusters", 2, 6)
			}),
			Props: []Prop{{TCacheGroup, "numCacheClusters", 1}},
		},
		{
			ID: "ElastiCache.1 daily snapshots retained",
			Check: rg(func(_ infratest.Recorded, r infratest.Resource) error {
				return intBetween(r, "snapshotRetentionLimit", 1, 35)
			}),
			Props: []Prop{{TCacheGroup, "snapshotRetentionLimit", 0}},
		},
		{ID: "ElastiCache.2 automatic minor version upgrades", Check: flag("autoMinorVersionUpgrade", true), Props: []Prop{{TCacheGroup, "autoMinorVersionUpgrade", false}}},
		{
			ID: "ElastiCache.7 own subnet group in isolated subnets",
			Check: rg(func(rec infratest.Recorded, r infratest.Resource) error {
				return inIsolatedSubnets(rec, r, "subnetGroupName", TCacheSubnetGroup)
			}),
			Props: []Prop{{TCacheGroup, "subnetGroupName", "default"}},
		},
		{
			ID: "CACHE.EVICT eviction policy never drops live game state",
			Check: rg(func(rec infratest.Recorded, r infratest.Resource) error {
				ps, err := paramsOf(rec, r, TCacheParams)
				if err != nil {
					return err
				}
				if ps["maxmemory-policy"] != "noeviction" {
					return fmt.Errorf("maxmemory-policy is %q, want noeviction", ps["maxmemory-policy"])
				}
				return nil
			}),
			Props: []Prop{{TCacheParams, "parameters", []any{map[string]any{"name": "maxmemory-policy", "value": "allkeys-lru"}}}, {TCacheGroup, "parameterGroupName", nil}},
		},
		{
			ID: "CACHE.LOGS slow-log and engine-log delivered to the stack's log groups",
			Check: rg(func(rec infratest.Recorded, r infratest.Resource) error {
				got := map[string]bool{}
				for i := 0; i < r.Len("logDeliveryConfigurations"); i++ {
					p := fmt.Sprintf("logDeliveryConfigurations[%d].", i)
					typ, _ := r.Str(p + "logType")
					dt, _ := r.Str(p + "destinationType")
					dest, _ := r.Str(p + "destination")
					if dt == "cloudwatch-logs" && len(infratest.ByOutput(rec, TLogGroup, "name", dest)) == 1 {
						got[typ] = true
					}
				}
				if !got["slow-log"] || !got["engine-log"] {
					return fmt.Errorf("log delivery %v, want slow-log and engine-log to log groups of the stack", got)
				}
				return nil
			}),
			Props: []Prop{{TCacheGroup, "logDeliveryConfigurations", []any{}}},
		},
	}
}

// paramsOf resolves the parameter group r names in parameterGroupName.
func paramsOf(rec infratest.Recorded, r infratest.Resource, groupType string) (map[string]string, error) {
	name, err := nonEmpty(r, "parameterGroupName")
	if err != nil {
		return nil, err
	}
	groups := infratest.ByOutput(rec, groupType, "name", name)
	if len(groups) != 1 {
		return nil, fmt.Errorf("parameterGroupName %q is not a parameter group of the stack", name)
	}
	return parameters(groups[0]), nil
}
