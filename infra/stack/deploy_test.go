package stack_test

import (
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/config"
	"chessplatform/infra/controls"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/infratest"
	"chessplatform/infra/stack"
)

// operatorInputs runs scripts/operator-config.sh --print on the committed example, the script
// the deploy workflow and an operator run, and returns the config it would set.
func operatorInputs(t *testing.T) map[string]string {
	t.Helper()
	root := infratest.RepoRoot(t)
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "operator-config.sh"), "--print",
		"--file", filepath.Join(root, "operator", "example.env")).Output()
	require.NoError(t, err)
	cfg := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, line)
		cfg[k] = v
	}
	require.Contains(t, cfg, config.Project+":domain")
	return cfg
}

// operated is the committed stack file, the example operator inputs and the build artifacts:
// exactly what `make up` hands the program (no image is configured: all three are built).
func operated(t *testing.T, name string) map[string]string {
	t.Helper()
	cfg := artifacts(t, infratest.StackConfig(t, name))
	for k, v := range operatorInputs(t) {
		cfg[k] = v
	}
	return cfg
}

// TestUpWithOperatorInputs: `pulumi up` of dev and prod with the committed stack files plus
// operator/example.env succeeds, and every container image is the digest-pinned imageUri of an
// awsx ecr.Image built from the repository.
func TestUpWithOperatorInputs(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			var st *stack.Stack
			m := infratest.NewMocks()
			m.Run(t, program(&st, nil), infratest.WithStack(name), infratest.WithConfig(operated(t, name)))
			uris := map[string]bool{}
			for _, img := range m.ByType(ecsservices.ImageType) {
				uri, ok := img.Output("imageUri")
				require.True(t, ok, img.Name)
				uris[uri.StringValue()] = true
			}
			require.Len(t, uris, 3)
			n := 0
			for _, family := range []string{"web", "backend"} {
				for cname, c := range containers(t, m, config.Project+"-"+name+"-"+family) {
					assert.True(t, uris[c["image"].(string)], "%s runs a built image, got %v", cname, c["image"])
					n++
				}
			}
			assert.Equal(t, len(ecsservices.Containers), n)
			for _, s := range m.ByType(controls.TService) {
				c, _ := s.Int("desiredCount")
				assert.Positive(t, c, "%s runs tasks", s.Name)
			}
			assert.Equal(t, webBuildID, st.WebBuildID)
		})
	}
}

// TestOneWebBuild: the static files uploaded to S3 and the web image come from one Next.js
// build: the image's context is webBuildDir, the uploaded keys carry that build's ID, and every
// uploaded file is read from the same build's .next/static (the web Dockerfile copies the
// whole context: TestWebDockerfilePackagesTheBuild in infra/imagebuild).
func TestOneWebBuild(t *testing.T) {
	m := infratest.NewMocks()
	m.Run(t, program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(operated(t, "dev")))
	var web infratest.Resource
	for _, img := range m.ByType(ecsservices.ImageType) {
		if strings.HasSuffix(img.Name, "-web-image") {
			web = img
		}
	}
	ctxDir, _ := web.Str("context")
	require.Equal(t, webBuild(t), ctxDir, "the web image's context is the web build")
	df, _ := web.Str("dockerfile")
	assert.Equal(t, "app/web/Dockerfile", df)

	objs := m.ByType("aws:s3/bucketObjectv2:BucketObjectv2")
	require.NotEmpty(t, objs)
	var keys []string
	ids := map[string]bool{}
	for _, o := range objs {
		key, _ := o.Str("key")
		keys = append(keys, key)
		src, ok := o.Get("source")
		require.True(t, ok, key)
		p := src.AssetValue().Path
		assert.True(t, strings.HasPrefix(p, filepath.Join(ctxDir, ".next", "static")+string(filepath.Separator)), "%s is read from the image's build: %s", key, p)
		if strings.HasSuffix(key, "/_buildManifest.js") {
			ids[path.Base(path.Dir(key))] = true
		}
	}
	sort.Strings(keys)
	assert.Equal(t, map[string]bool{webBuildID: true}, ids, "the uploaded build ID is the image's (%v)", keys)
	assert.Contains(t, keys, "_next/static/"+webBuildID+"/_buildManifest.js")
}

// TestNoWebBuild: without a complete web build, neither a preview nor an up runs, and the error
// says what to run.
func TestNoWebBuild(t *testing.T) {
	for _, dry := range []bool{false, true} {
		cfg := operated(t, "dev")
		cfg[config.Project+":webBuildDir"] = t.TempDir()
		m := infratest.NewMocks()
		var err error
		if dry {
			err = m.RunErr(program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg), infratest.DryRun())
		} else {
			err = m.RunErr(program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg))
		}
		require.Error(t, err, "dry run %v", dry)
		assert.Contains(t, err.Error(), "make web-build")
		assert.Contains(t, err.Error(), "chess-platform:webBuildDir")
		assert.Empty(t, m.Resources())
	}
}

// registered is every registration as "type name".
func registered(m *infratest.Mocks) []string {
	var out []string
	for _, r := range m.Resources() {
		out = append(out, r.Type+" "+r.Name)
	}
	sort.Strings(out)
	return out
}

// TestPreviewAndUpAgree: with the operator inputs, preview and up of dev and prod register the
// same resources (no ctx.DryRun branch changes the plan), and the images have the same inputs.
func TestPreviewAndUpAgree(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			cfg := operated(t, name)
			up := infratest.NewMocks()
			up.Run(t, program(nil, nil), infratest.WithStack(name), infratest.WithConfig(cfg))
			pre := infratest.NewMocks()
			pre.Run(t, program(nil, nil), infratest.WithStack(name), infratest.WithConfig(cfg), infratest.DryRun())
			assert.Equal(t, registered(up), registered(pre))
			imgs := func(m *infratest.Mocks) map[string]map[string]any {
				out := map[string]map[string]any{}
				for _, r := range m.ByType(ecsservices.ImageType) {
					out[r.Name] = r.Plain()
				}
				return out
			}
			assert.Equal(t, imgs(up), imgs(pre))
		})
	}
}

// TestPreviewWithoutDomainAndUpRefused: the two deliberate divergences. Without a domain a
// preview runs (the certificate is unknown, CloudFront plans its default certificate) and up
// stops with ErrNoDomain before anything is created.
func TestPreviewWithoutDomainAndUpRefused(t *testing.T) {
	cfg := operated(t, "dev")
	delete(cfg, config.Project+":domain")
	delete(cfg, config.Project+":hostedZoneId")
	pre := infratest.NewMocks()
	pre.Run(t, program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg), infratest.DryRun())
	dist := pre.One(t, "aws:cloudfront/distribution:Distribution")
	def, _ := dist.Bool("viewerCertificate.cloudfrontDefaultCertificate")
	assert.True(t, def, "a preview without a domain plans the *.cloudfront.net certificate")
	up := infratest.NewMocks()
	err := up.RunErr(program(nil, nil), infratest.WithStack("dev"), infratest.WithConfig(cfg))
	require.ErrorIs(t, err, stack.ErrNoDomain)
	assert.Empty(t, up.Resources())
}
