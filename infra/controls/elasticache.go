package controls

import (
	"errors"
	"fmt"

	"chessplatform/infra/infratest"
)

// ElastiCache: the Redis (Valkey) replication group of the elasticache component.

// ElastiCache lists the cache controls.
func ElastiCache() []Control {
	return named(
		cacheEncrypted,
		cacheTLS,
		cacheAuthToken,
		cacheMultiAZ,
		cacheTwoNodes,
		cacheSnapshots,
		cacheMinorUpgrades,
		cacheIsolatedSubnets,
		cacheNoEviction,
		cacheLogs,
	)
}

// CacheComponent is the type of the component owning the cache, for the "own key" check.
const CacheComponent = "chess:elasticache:Cache"

var cacheEncrypted = Control{
	Name: "cacheEncrypted",
	ID:   "ElastiCache.4 at-rest encryption with CMK",
	Check: eachCache(func(rec infratest.Recorded, r infratest.Resource) error {
		err := errors.Join(isBool(r, "atRestEncryptionEnabled", true), cmk(rec, r, "kmsKeyId"))
		if err == nil && keyOwner(rec, r, "kmsKeyId") != CacheComponent {
			err = errors.New("kmsKeyId is not the cache's own key")
		}
		return err
	}),
	Props: []Prop{{TCacheGroup, "atRestEncryptionEnabled", false}, {TCacheGroup, "kmsKeyId", nil}},
}

var cacheTLS = Control{
	Name: "cacheTLS",
	ID:   "ElastiCache.5 TLS in transit required",
	Check: eachCache(func(_ infratest.Recorded, r infratest.Resource) error {
		return errors.Join(isBool(r, "transitEncryptionEnabled", true), isStr(r, "transitEncryptionMode", "required"))
	}),
	Props: []Prop{{TCacheGroup, "transitEncryptionEnabled", false}, {TCacheGroup, "transitEncryptionMode", "preferred"}},
}

var cacheAuthToken = Control{
	Name: "cacheAuthToken",
	ID:   "ElastiCache.6 AUTH token generated, kept in Secrets Manager, secret in state",
	Check: eachCache(func(rec infratest.Recorded, r infratest.Resource) error {
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
}

var cacheMultiAZ = Control{
	Name: "cacheMultiAZ",
	ID:   "ElastiCache.3 Multi-AZ with automatic failover",
	Check: eachCache(func(_ infratest.Recorded, r infratest.Resource) error {
		return errors.Join(isBool(r, "multiAzEnabled", true), isBool(r, "automaticFailoverEnabled", true))
	}),
	Props: []Prop{{TCacheGroup, "multiAzEnabled", false}, {TCacheGroup, "automaticFailoverEnabled", false}},
}

var cacheTwoNodes = Control{
	Name: "cacheTwoNodes",
	ID:   "ElastiCache.3 at least 2 nodes",
	Check: eachCache(func(_ infratest.Recorded, r infratest.Resource) error {
		return intBetween(r, "numCacheClusters", 2, 6)
	}),
	Props: []Prop{{TCacheGroup, "numCacheClusters", 1}},
}

var cacheSnapshots = Control{
	Name: "cacheSnapshots",
	ID:   "ElastiCache.1 daily snapshots retained",
	Check: eachCache(func(_ infratest.Recorded, r infratest.Resource) error {
		return intBetween(r, "snapshotRetentionLimit", 1, 35)
	}),
	Props: []Prop{{TCacheGroup, "snapshotRetentionLimit", 0}},
}

var cacheMinorUpgrades = Control{
	Name: "cacheMinorUpgrades",
	ID:   "ElastiCache.2 automatic minor version upgrades",
	Check: eachCache(func(_ infratest.Recorded, r infratest.Resource) error {
		return isBool(r, "autoMinorVersionUpgrade", true)
	}),
	Props: []Prop{{TCacheGroup, "autoMinorVersionUpgrade", false}},
}

var cacheIsolatedSubnets = Control{
	Name: "cacheIsolatedSubnets",
	ID:   "ElastiCache.7 own subnet group in isolated subnets",
	Check: eachCache(func(rec infratest.Recorded, r infratest.Resource) error {
		return inIsolatedSubnets(rec, r, "subnetGroupName", TCacheSubnetGroup)
	}),
	Props: []Prop{{TCacheGroup, "subnetGroupName", "default"}},
}

var cacheNoEviction = Control{
	Name: "cacheNoEviction",
	ID:   "CACHE.EVICT eviction policy never drops live game state",
	Check: eachCache(func(rec infratest.Recorded, r infratest.Resource) error {
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
}

var cacheLogs = Control{
	Name: "cacheLogs",
	ID:   "CACHE.LOGS slow-log and engine-log delivered to the stack's log groups",
	Check: eachCache(func(rec infratest.Recorded, r infratest.Resource) error {
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
}

// eachCache is a check applying fn to every replication group (at least one).
func eachCache(fn func(infratest.Recorded, infratest.Resource) error) func(infratest.Recorded) error {
	return func(rec infratest.Recorded) error {
		return each(rec, TCacheGroup, 1, func(r infratest.Resource) error { return fn(rec, r) })
	}
}
