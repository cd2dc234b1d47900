package stack_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
	"chessplatform/infra/stack"
)

// program is main.go's body: load config, build, export; it hands the stack and config out.
func program(s **stack.Stack, c **config.Config) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		st, err := stack.Build(ctx, cfg)
		if err != nil {
			return err
		}
		st.Export(ctx)
		if s != nil {
			*s = st
		}
		if c != nil {
			*c = cfg
		}
		return nil
	}
}

// digest is a well-formed image digest.
const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// Domains and zone of the test deployments.
const (
	zoneID = "Z0123456789ABCDEFGHIJ"
)

func domainOf(name string) string {
	if name == "prod" {
		return "chess.example.com"
	}
	return name + ".chess.example.com"
}

// authorizerZip writes a small zip standing in for dist/ws-authorizer.zip.
func authorizerZip(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ws-authorizer.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	e, err := w.Create("bootstrap")
	require.NoError(t, err)
	_, err = e.Write([]byte("\x7fELF test stand-in"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	return path
}

// webBuildID is the build ID of the web build fixture (testdata/web-build: a Next.js
// standalone build as `make web-build` leaves it, reduced to the files the program reads).
const webBuildID = "fxBuild7Q2"

// webBuild is the absolute path of the web build fixture (config webBuildDir).
func webBuild(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "web-build"))
	require.NoError(t, err)
	return dir
}

// artifacts adds what `make preview`/`make up` build before running the program: the
// authorizer package and the web build.
func artifacts(t testing.TB, cfg map[string]string) map[string]string {
	t.Helper()
	cfg[config.Project+":authorizerZip"] = authorizerZip(t)
	cfg[config.Project+":rotatorZip"] = authorizerZip(t)
	cfg[config.Project+":webBuildDir"] = webBuild(t)
	return cfg
}

// deployed is the committed Pulumi.<name>.yaml plus what a real deployment adds: the domain and
// its zone, configured image digests (the override of the build), and the build artifacts.
func deployed(t testing.TB, name string) map[string]string {
	t.Helper()
	cfg := infratest.StackConfig(t, name)
	registry := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/" + config.Project + "-" + name + "/"
	for k, v := range map[string]string{
		"domain":        domainOf(name),
		"hostedZoneId":  zoneID,
		"webImage":      registry + "web@" + digest,
		"backendImage":  registry + "backend@" + digest,
		"utilityImage":  registry + "utility@" + digest,
		"authorizerZip": authorizerZip(t),
		"webBuildDir":   webBuild(t),
		"rotatorZip":    authorizerZip(t),
		"alarmEmail":    "oncall@example.com",
	} {
		cfg[config.Project+":"+k] = v
	}
	return cfg
}

// deploy runs the program on a deployed configuration.
func deploy(t *testing.T, name string, opts ...pulumi.RunOption) (*infratest.Mocks, *config.Config) {
	t.Helper()
	var cfg *config.Config
	m := infratest.NewMocks()
	m.Run(t, program(nil, &cfg), append([]pulumi.RunOption{infratest.WithStack(name), infratest.WithConfig(deployed(t, name))}, opts...)...)
	return m, cfg
}

func networkParams(cfg *config.Config) controls.NetworkParams {
	return controls.NetworkParams{
		AZCount:          cfg.Network.AZCount,
		WebPort:          cfg.Services.WebPort,
		BackendPort:      cfg.Services.BackendPort,
		ALBHTTPRedirect:  cfg.Network.ALBHTTPRedirect,
		InterfaceEndpts:  controls.DefaultInterfaceEndpoints,
		GatewayEndpoints: controls.DefaultGatewayEndpoints,
	}
}

// allControls is every control of the whole stack: the foundation's, the services' and API's,
// and the edge's and observability's.
func allControls(cfg *config.Config) []controls.Control {
	var all []controls.Control
	for _, cs := range [][]controls.Control{
		controls.Foundation(networkParams(cfg)),
		controls.ECS(),
		controls.ALB(controls.ServiceParams{WebPort: cfg.Services.WebPort, BackendPort: cfg.Services.BackendPort, HTTPRedirect: cfg.Network.ALBHTTPRedirect, OriginVerifyHeader: "X-Origin-Verify"}),
		controls.ECR(),
		controls.APIGateway(),
		controls.ServicesIAM(),
		controls.PolicyWalk(),
		controls.EdgeControls(controls.EdgeParams{Region: "eu-west-1"}),
		controls.IAMWalk(),
		controls.SecretRotation(),
	} {
		all = append(all, cs...)
	}
	return all
}

// containers decodes the container definitions of the task definition of a family suffix.
func containers(t testing.TB, m infratest.Recorded, family string) map[string]map[string]any {
	t.Helper()
	for _, td := range m.ByType(controls.TTaskDef) {
		if f, _ := td.Str("family"); f == family {
			cs, err := controls.Containers(td)
			require.NoError(t, err)
			out := map[string]map[string]any{}
			for _, c := range cs {
				out[c["name"].(string)] = c
			}
			return out
		}
	}
	t.Fatalf("no task definition %s", family)
	return nil
}

// kv turns a container's environment or secrets list into name -> value (or valueFrom).
func kv(c map[string]any, key, value string) map[string]string {
	out := map[string]string{}
	list, _ := c[key].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		out[m["name"].(string)] = m[value].(string)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// taskRoles merges the inline policies of the task role of a task definition family.
func taskRoles(t testing.TB, m infratest.Recorded, family string) iampolicy.Document {
	t.Helper()
	tds := infratest.ByOutput(m, controls.TTaskDef, "family", family)
	require.Len(t, tds, 1)
	roleArn, _ := tds[0].Str("taskRoleArn")
	roles := infratest.ByOutput(m, controls.TRole, "arn", roleArn)
	require.Len(t, roles, 1)
	name, _ := roles[0].Output("name")
	doc := iampolicy.New()
	for _, p := range infratest.ByOutput(m, controls.TRolePolicy, "role", name.StringValue()) {
		d, err := p.Policy("policy")
		require.NoError(t, err)
		doc.Statement = append(doc.Statement, d.Statement...)
	}
	require.NotEmpty(t, doc.Statement, "the %s task role has policies", family)
	return doc
}
