package rotation_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
	"chessplatform/infra/rotation"
)

func zipFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret-rotator.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	e, err := w.Create("bootstrap")
	require.NoError(t, err)
	_, err = e.Write([]byte("stand-in"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	return path
}

const (
	keyArn   = "arn:aws:kms:eu-west-1:123456789012:key/apigw"
	cacheKey = "arn:aws:kms:eu-west-1:123456789012:key/cache"
	svcKey   = "arn:aws:kms:eu-west-1:123456789012:key/services"
	groupArn = "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:chess-platform-test-redis"
)

// build runs the component with three secrets standing in for the API's, the cache's and the
// services' operator secret, plus one the component does not rotate, exempt by name
// (controls.RotationExempt).
func build(t *testing.T, zipPath string, mutate func(*rotation.Args), opts ...pulumi.RunOption) (*infratest.Mocks, error) {
	return infratest.RunErr(func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		tags := map[string]string{"Project": "chess-platform"}
		session, err := secretsmanager.NewSecret(ctx, "token-key", &secretsmanager.SecretArgs{KmsKeyId: pulumi.String(keyArn), Tags: awsenv.Tags(tags, "chess-platform-test-token-key")})
		if err != nil {
			return err
		}
		redis, err := secretsmanager.NewSecret(ctx, "auth", &secretsmanager.SecretArgs{KmsKeyId: pulumi.String(cacheKey), Tags: awsenv.Tags(tags, "chess-platform-test-redis-auth")})
		if err != nil {
			return err
		}
		operator, err := secretsmanager.NewSecret(ctx, "operator", &secretsmanager.SecretArgs{KmsKeyId: pulumi.String(svcKey), Tags: awsenv.Tags(tags, "chess-platform-test-operator")})
		if err != nil {
			return err
		}
		if _, err := secretsmanager.NewSecret(ctx, "shared", &secretsmanager.SecretArgs{KmsKeyId: pulumi.String(keyArn), Tags: awsenv.Tags(tags, "chess-platform-test-shared-secret")}); err != nil {
			return err
		}
		args := &rotation.Args{
			Account: a, NamePrefix: "chess-platform-test", Zip: zipPath, LogsKMSKeyARN: pulumi.String(keyArn), LogRetentionDays: 365,
			SessionKey:          rotation.Secret{ARN: session.Arn, KMSKeyARN: pulumi.String(keyArn)},
			RedisAuth:           rotation.Secret{ARN: redis.Arn, KMSKeyARN: pulumi.String(cacheKey)},
			Operator:            rotation.Secret{ARN: operator.Arn, KMSKeyARN: pulumi.String(svcKey)},
			ReplicationGroupARN: pulumi.String(groupArn),
			ClusterName:         pulumi.String("chess-platform-test"), ServiceName: pulumi.String("chess-platform-test-backend"),
			WebServiceName: pulumi.String("chess-platform-test-web"),
			Days:           30, Tags: tags,
		}
		if mutate != nil {
			mutate(args)
		}
		_, err = rotation.New(ctx, "rotation", args)
		return err
	}, opts...)
}

// TestRotationWiring: one arm64 function outside the VPC with the ARNs (never the values) in its
// environment; a role with exactly the three secrets, their keys, the replication group and the
// two services (the backend for the session key and the Redis token, the web service for the
// operator secret); an invoke permission and a schedule per secret. In up and in preview mode.
func TestRotationWiring(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"up", nil}, {"preview", []pulumi.RunOption{infratest.DryRun()}}} {
		t.Run(mode.name, func(t *testing.T) {
			m, err := build(t, zipFile(t), nil, mode.opts...)
			require.NoError(t, err)
			fn := m.One(t, "aws:lambda/function:Function")
			for k, want := range map[string]string{"runtime": "provided.al2023", "handler": "bootstrap", "name": "chess-platform-test-secret-rotator"} {
				got, _ := fn.Str(k)
				assert.Equal(t, want, got, k)
			}
			assert.Equal(t, []string{"arm64"}, fn.Strings("architectures"))
			timeout, _ := fn.Int("timeout")
			assert.Equal(t, 900, timeout)
			_, inVPC := fn.Get("vpcConfig")
			assert.False(t, inVPC)
			env := map[string]string{}
			for _, k := range []string{"SESSION_KEY_SECRET_ARN", "REDIS_AUTH_SECRET_ARN", "OPERATOR_SECRET_ARN", "REPLICATION_GROUP_ID", "ECS_CLUSTER", "ECS_SERVICE", "ECS_WEB_SERVICE"} {
				env[k], _ = fn.Str("environment.variables." + k)
			}
			assert.Equal(t, "chess-platform-test-redis", env["REPLICATION_GROUP_ID"])
			assert.Equal(t, "chess-platform-test-backend", env["ECS_SERVICE"])
			assert.Equal(t, "chess-platform-test-web", env["ECS_WEB_SERVICE"])
			assert.Regexp(t, `^arn:aws:secretsmanager:eu-west-1:123456789012:secret:`, env["OPERATOR_SECRET_ARN"])
			secrets := []string{env["SESSION_KEY_SECRET_ARN"], env["REDIS_AUTH_SECRET_ARN"], env["OPERATOR_SECRET_ARN"]}
			assert.Regexp(t, `^arn:aws:secretsmanager:eu-west-1:123456789012:secret:`, env["SESSION_KEY_SECRET_ARN"])

			doc, err := m.One(t, "aws:iam/rolePolicy:RolePolicy").Policy("policy")
			require.NoError(t, err)
			got := map[string][]string{}
			for _, st := range doc.Statement {
				got[st.Sid] = st.Resource
			}
			assert.ElementsMatch(t, secrets, got["RotateSecrets"])
			assert.ElementsMatch(t, []string{keyArn, cacheKey, svcKey}, got["UseSecretKeys"])
			assert.Equal(t, []string{groupArn}, got["UpdateRedisAuthToken"])
			assert.Equal(t, []string{"arn:aws:ecs:eu-west-1:123456789012:service/chess-platform-test/chess-platform-test-backend"}, got["RedeployBackend"])
			assert.Equal(t, []string{"arn:aws:ecs:eu-west-1:123456789012:service/chess-platform-test/chess-platform-test-web"}, got["RedeployWeb"])
			assert.Len(t, doc.Statement, 6, "no statement beyond these")

			perms := m.ByType("aws:lambda/permission:Permission")
			require.Len(t, perms, 3)
			var sources []string
			for _, p := range perms {
				principal, _ := p.Str("principal")
				assert.Equal(t, "secretsmanager.amazonaws.com", principal)
				src, _ := p.Str("sourceArn")
				sources = append(sources, src)
			}
			assert.ElementsMatch(t, secrets, sources)
			rots := m.ByType("aws:secretsmanager/secretRotation:SecretRotation")
			require.Len(t, rots, 3)
			var scheduled []string
			for _, r := range rots {
				id, _ := r.Str("secretId")
				scheduled = append(scheduled, id)
				days, _ := r.Int("rotationRules.automaticallyAfterDays")
				assert.Equal(t, 30, days)
				now, ok := r.Bool("rotateImmediately")
				assert.True(t, ok && !now)
			}
			assert.ElementsMatch(t, secrets, scheduled)
			controls.Require(t, m, controls.SecretRotation())
			controls.Require(t, m, controls.PolicyWalk())
		})
	}
}

// The rotation control fails on each of its breaks, and on a secret left without a schedule.
func TestRotationControlCanFail(t *testing.T) {
	m, err := build(t, zipFile(t), nil)
	require.NoError(t, err)
	controls.Breakable(t, m.Snapshot(), controls.SecretRotation())
}

func TestRotationArgsValidation(t *testing.T) {
	notZip := filepath.Join(t.TempDir(), "bootstrap")
	require.NoError(t, os.WriteFile(notZip, []byte("ELF"), 0o600))
	for name, c := range map[string]struct {
		mutate func(*rotation.Args)
		want   string
	}{
		"no package":      {func(a *rotation.Args) { a.Zip = filepath.Join(t.TempDir(), "none.zip") }, "run make build-rotator"},
		"not a zip":       {func(a *rotation.Args) { a.Zip = notZip }, "is not a zip file"},
		"never":           {func(a *rotation.Args) { a.Days = 0 }, "Days 0"},
		"no redis secret": {func(a *rotation.Args) { a.RedisAuth.ARN = nil }, "RedisAuth"},
		"no service":      {func(a *rotation.Args) { a.ServiceName = nil }, "ClusterName, ServiceName and WebServiceName"},
		"no web service":  {func(a *rotation.Args) { a.WebServiceName = nil }, "WebServiceName"},
		"no operator key": {func(a *rotation.Args) { a.Operator.KMSKeyARN = nil }, "Operator (Arn, KmsKeyArn)"},
		"no group":        {func(a *rotation.Args) { a.ReplicationGroupARN = nil }, "ReplicationGroupArn"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := build(t, zipFile(t), c.mutate)
			require.ErrorContains(t, err, c.want)
			assert.Empty(t, m.ByType("aws:lambda/function:Function"), "nothing is created")
			assert.Empty(t, m.ByType("aws:iam/role:Role"))
		})
	}
}
