package ecsservices_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/controls"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/infratest"
)

// TestOperatorSecret (issue 13, point 7): the operator credential is generated into a secret
// encrypted with the services key, secret in state and never overwritten by a later deployment;
// the web container gets it only through secrets[].valueFrom, and only the web execution role may
// read it (that secret, that key, through Secrets Manager). Up and preview.
func TestOperatorSecret(t *testing.T) {
	for _, mode := range []struct {
		name string
		dry  bool
	}{{"up", false}, {"preview", true}} {
		t.Run(mode.name, func(t *testing.T) {
			var m *infratest.Mocks
			var err error
			if mode.dry {
				m, _, err = run(t, args(), infratest.DryRun())
			} else {
				m, _, err = run(t, args())
			}
			require.NoError(t, err)

			secret := m.Named(t, controls.TSecret, "services-operator")
			key := m.Named(t, "aws:kms/key:Key", "services-key")
			keyArn, _ := key.Output("arn")
			kmsKey, _ := secret.Str("kmsKeyId")
			assert.Equal(t, keyArn.StringValue(), kmsKey, "encrypted with the services CMK")
			prefix, _ := secret.Str("namePrefix")
			assert.Equal(t, "chess-platform-test/operator-", prefix)
			version := m.Named(t, controls.TSecretVersion, "services-operator")
			assert.True(t, version.IsSecret("secretString"), "the generated value is secret in state")
			assert.Contains(t, version.AdditionalSecretOutputs, "secretString")
			assert.True(t, version.IgnoresChanges("secretString"), "a deployment never replaces (or un-rotates) the value")
			generated := slices.IndexFunc(m.Calls(), func(c infratest.Call) bool {
				return c.Token == "aws:secretsmanager/getRandomPassword:getRandomPassword" && c.Args["passwordLength"].NumberValue() == ecsservices.OperatorSecretLength
			})
			assert.GreaterOrEqual(t, generated, 0, "the value is generated (%d characters)", ecsservices.OperatorSecretLength)

			arn, _ := secret.Output("arn")
			web := infratest.ByOutput(m, controls.TTaskDef, "family", "chess-platform-test-web")
			require.Len(t, web, 1)
			cs, err := controls.Containers(web[0])
			require.NoError(t, err)
			for _, c := range cs {
				env := map[string]any{}
				for _, e := range c["environment"].([]any) {
					env[e.(map[string]any)["name"].(string)] = e.(map[string]any)["value"]
				}
				assert.NotContains(t, env, ecsservices.OperatorSecretEnv, "%s: never in plain environment", c["name"])
				if c["name"] != ecsservices.ContainerWeb {
					assert.Empty(t, c["secrets"], "%s: the sidecars get no secret", c["name"])
					continue
				}
				assert.Equal(t, []any{map[string]any{"name": ecsservices.OperatorSecretEnv, "valueFrom": arn.StringValue()}}, c["secrets"])
				assert.Equal(t, "2", env["TRUSTED_PROXY_HOPS"], "CloudFront and the ALB append to X-Forwarded-For")
			}

			readers := map[string][]string{}
			for _, rp := range m.ByType("aws:iam/rolePolicy:RolePolicy") {
				doc, err := rp.Policy("policy")
				require.NoError(t, err)
				for _, s := range doc.Statement {
					for _, a := range s.Action {
						if a == "secretsmanager:GetSecretValue" && slices.Contains(s.Resource, arn.StringValue()) {
							readers[rp.Name] = append(readers[rp.Name], s.Resource...)
						}
					}
				}
				if rp.Name != "services-web-exec" {
					continue
				}
				var decrypt []string
				for _, s := range doc.Statement {
					if slices.Contains(s.Action, "kms:Decrypt") {
						decrypt = append(decrypt, s.Resource...)
						assert.Equal(t, []string{"secretsmanager.eu-west-1.amazonaws.com"}, []string(s.Condition["StringEquals"]["kms:ViaService"]))
					}
					for _, a := range s.Action {
						if regexp.MustCompile(`^secretsmanager:`).MatchString(a) {
							assert.Equal(t, "secretsmanager:GetSecretValue", a, "the web execution role only reads")
						}
					}
				}
				assert.Equal(t, []string{keyArn.StringValue()}, decrypt)
			}
			assert.Equal(t, map[string][]string{"services-web-exec": {arn.StringValue()}}, readers,
				"only the web execution role reads the operator secret, and no other secret")
		})
	}
}

// TestWebEnvironmentContract: the variables the web container gets for operator access are the
// ones the web app reads (app/web/src/lib/server/operator.ts).
func TestWebEnvironmentContract(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "app", "web", "src", "lib", "server", "operator.ts"))
	require.NoError(t, err)
	src := string(b)
	cs := ecsservices.WebContainers(ecsservices.WebTaskInputs{Region: "eu-west-1", WebPort: 3000, OperatorSecretARN: "arn:operator"})
	web := cs[0]
	require.Equal(t, ecsservices.ContainerWeb, web.Name)
	assert.Equal(t, []ecsservices.SecretRef{{Name: "OPERATOR_SECRET", ValueFrom: "arn:operator"}}, web.Secrets)
	for _, n := range []string{ecsservices.OperatorSecretEnv, "TRUSTED_PROXY_HOPS"} {
		assert.Contains(t, src, "env."+n, "%s is set but the web app does not read it", n)
	}
}
