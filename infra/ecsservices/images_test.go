package ecsservices_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/controls"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/infratest"
)

// builds are the three images built by `pulumi up`, as the stack passes them.
func builds() map[string]*ecsservices.Build {
	return map[string]*ecsservices.Build{
		"backend": {Context: ".", Dockerfile: "app/cmd/chess-server/Dockerfile", Tag: "c-backend0123"},
		"utility": {Context: "scripts", Dockerfile: "scripts/Dockerfile", Tag: "c-utility0123"},
		"web":     {Context: "app/web/.next/standalone", Dockerfile: "app/web/Dockerfile", Tag: "c-web0123"},
	}
}

// builtArgs are args with no configured image: every image is built.
func builtArgs() *ecsservices.Args {
	a := args()
	a.Images = ecsservices.Images{}
	a.Builds = builds()
	return a
}

// imageByRole returns the awsx:ecr:Image of each role, keyed by the role in its logical name.
func imageByRole(t *testing.T, m *infratest.Mocks) map[string]infratest.Resource {
	t.Helper()
	out := map[string]infratest.Resource{}
	for _, r := range m.ByType(ecsservices.ImageType) {
		role := strings.TrimSuffix(strings.TrimPrefix(r.Name, "services-"), "-image")
		out[role] = r
	}
	return out
}

// taskImages maps container name -> image of both task definitions.
func taskImages(t *testing.T, m *infratest.Mocks) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, td := range m.ByType(controls.TTaskDef) {
		cs, err := controls.Containers(td)
		require.NoError(t, err)
		for _, c := range cs {
			out[c["name"].(string)] = c["image"].(string)
		}
	}
	return out
}

// TestImagesBuiltByAwsx: with no configured image, each role gets one awsx ecr.Image (a remote
// component under the services component) with the build's context, Dockerfile and tag, the
// platform of the task definitions, and the role's repository; the task definitions run the
// digest-pinned imageUri it outputs.
func TestImagesBuiltByAwsx(t *testing.T) {
	m, s, err := run(t, builtArgs())
	require.NoError(t, err)
	imgs := imageByRole(t, m)
	require.Len(t, imgs, 3, "one image per role")
	repos := map[string]string{}
	for _, r := range m.ByType(controls.TRepo) {
		url, _ := r.Output("repositoryUrl")
		name, _ := r.Str("name")
		repos[name[strings.LastIndex(name, "/")+1:]] = url.StringValue()
	}
	uris := map[string]string{}
	for role, want := range builds() {
		img, ok := imgs[role]
		require.True(t, ok, "an image for %s", role)
		assert.True(t, img.Remote, "%s: awsx ecr.Image is a remote component", role)
		assert.False(t, img.Custom)
		assert.Equal(t, ecsservices.Type, img.ParentType(), "%s: parented to the services component", role)
		for k, v := range map[string]string{
			"context": want.Context, "dockerfile": want.Dockerfile, "imageTag": want.Tag,
			"platform": ecsservices.ImagePlatform, "repositoryUrl": repos[role],
		} {
			got, _ := img.Str(k)
			assert.Equal(t, v, got, "%s: input %s", role, k)
		}
		uri, ok := img.Output("imageUri")
		require.True(t, ok, "%s: imageUri", role)
		assert.Regexp(t, `^`+repos[role]+`@sha256:[0-9a-f]{64}$`, uri.StringValue())
		uris[role] = uri.StringValue()
	}
	assert.Equal(t, map[string]string{
		ecsservices.ContainerWeb:          uris["web"],
		ecsservices.ContainerHealthCheck:  uris["utility"],
		ecsservices.ContainerListServices: uris["utility"],
		ecsservices.ContainerBackend:      uris["backend"],
		ecsservices.ContainerMigrate:      uris["backend"],
	}, taskImages(t, m), "every container runs the digest-pinned imageUri of its build")
	assert.Equal(t, 1, s.WebDesiredCount, "built images: the web service runs")
	assert.Equal(t, 2, s.BackendDesiredCount, "built images: the backend service runs")
}

// TestImagePlatformMatchesTaskDefinitions: the build platform and every task definition's
// runtimePlatform name the same OS and CPU.
func TestImagePlatformMatchesTaskDefinitions(t *testing.T) {
	cpu := map[string]string{"linux/amd64": "X86_64", "linux/arm64": "ARM64"}
	want, ok := cpu[ecsservices.ImagePlatform]
	require.True(t, ok, "known platform %s", ecsservices.ImagePlatform)
	m, _, err := run(t, builtArgs())
	require.NoError(t, err)
	tds := m.ByType(controls.TTaskDef)
	require.Len(t, tds, 2)
	for _, td := range tds {
		arch, _ := td.Str("runtimePlatform.cpuArchitecture")
		osFamily, _ := td.Str("runtimePlatform.operatingSystemFamily")
		assert.Equal(t, want, arch, td.Name)
		assert.Equal(t, "LINUX", osFamily, td.Name)
	}
	for _, img := range m.ByType(ecsservices.ImageType) {
		p, _ := img.Str("platform")
		assert.Equal(t, ecsservices.ImagePlatform, p, img.Name)
	}
}

// TestConfiguredImageOverridesBuild: a configured image is used as is and its role is not built.
func TestConfiguredImageOverridesBuild(t *testing.T) {
	a := builtArgs()
	configured := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-test/backend@" + digest
	a.Images.Backend = configured
	m, _, err := run(t, a)
	require.NoError(t, err)
	imgs := imageByRole(t, m)
	assert.NotContains(t, imgs, "backend", "nothing is built for a configured image")
	assert.Contains(t, imgs, "web")
	assert.Contains(t, imgs, "utility")
	assert.Equal(t, configured, taskImages(t, m)[ecsservices.ContainerBackend])
}

// TestImagesInPreview: a preview registers the same images with the same inputs; the pushed
// digest is unknown, so the task definitions' containers are unknown too (not a placeholder).
func TestImagesInPreview(t *testing.T) {
	up, _, err := run(t, builtArgs())
	require.NoError(t, err)
	pre, _, err := run(t, builtArgs(), infratest.DryRun())
	require.NoError(t, err)
	upImgs, preImgs := imageByRole(t, up), imageByRole(t, pre)
	require.Len(t, preImgs, 3)
	for role, u := range upImgs {
		p := preImgs[role]
		assert.Equal(t, u.Plain(), p.Plain(), "%s: same inputs in preview and up", role)
		_, known := p.Output("imageUri")
		assert.False(t, known, "%s: no digest in a preview", role)
	}
	for _, td := range pre.ByType(controls.TTaskDef) {
		// Unknown inputs reach the mock monitor as null.
		_, known := td.Str("containerDefinitions")
		assert.False(t, known, "%s: containers wait for the digest in a preview", td.Name)
	}
}

// TestBuildValidation: a bad build is refused before anything is created.
func TestBuildValidation(t *testing.T) {
	for name, mutate := range map[string]func(*ecsservices.Args){
		"tag with a colon": func(a *ecsservices.Args) { a.Builds["web"].Tag = "c:1" },
		"no context":       func(a *ecsservices.Args) { a.Builds["backend"].Context = "" },
		"unknown role": func(a *ecsservices.Args) {
			a.Builds["worker"] = &ecsservices.Build{Context: ".", Dockerfile: "D", Tag: "t"}
		},
		"web without utility": func(a *ecsservices.Args) {
			delete(a.Builds, "utility")
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := builtArgs()
			mutate(a)
			m, _, err := run(t, a)
			require.Error(t, err)
			assert.Empty(t, m.Resources(), "nothing is created")
		})
	}
}

// TestBootstrapWithoutImages: with neither a configured nor a built image (the component alone;
// the stack always builds), the services run no task and cannot scale, and the task
// definitions name the never-pulled bootstrap tag.
func TestBootstrapWithoutImages(t *testing.T) {
	a := args()
	a.Images = ecsservices.Images{}
	m, s, err := run(t, a)
	require.NoError(t, err)
	assert.Empty(t, m.ByType(ecsservices.ImageType))
	assert.Equal(t, 0, s.WebDesiredCount)
	assert.Equal(t, 0, s.BackendDesiredCount)
	for _, tgt := range m.ByType(controls.TScalingTarget) {
		hi, _ := tgt.Int("maxCapacity")
		assert.Equal(t, 0, hi, tgt.Name)
	}
	for name, img := range taskImages(t, m) {
		assert.True(t, strings.HasSuffix(img, ":"+ecsservices.BootstrapTag), "%s: %s", name, img)
	}
}
