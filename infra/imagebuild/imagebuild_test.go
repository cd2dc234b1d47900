package imagebuild_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/imagebuild"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := imagebuild.FindRoot(".")
	require.NoError(t, err)
	return r
}

// dockerignore reads a context's .dockerignore as (included, excluded) entries: the file must
// start with "*" (exclude everything), then name what comes back with "!" and what stays out.
func dockerignore(t *testing.T, path string) (inc, exc []string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if first {
			require.Equal(t, "*", line, "%s starts by excluding everything", path)
			first = false
			continue
		}
		if strings.HasPrefix(line, "!") {
			inc = append(inc, strings.TrimPrefix(line, "!"))
		} else {
			exc = append(exc, line)
		}
	}
	require.NoError(t, sc.Err())
	return inc, exc
}

// TestDockerignoreMatchesSpecs: the content tag hashes exactly the files Docker receives, so a
// change Docker would build is a new tag (ECR refuses to move an immutable tag).
func TestDockerignoreMatchesSpecs(t *testing.T) {
	r := root(t)
	for _, s := range []imagebuild.Spec{imagebuild.Backend(), imagebuild.Utility()} {
		inc, exc := dockerignore(t, filepath.Join(r, s.Context, ".dockerignore"))
		assert.Equal(t, s.Include, inc, "%s: included entries", s.Role)
		assert.Equal(t, s.Exclude, exc, "%s: excluded entries", s.Role)
		_, err := os.Stat(filepath.Join(r, s.Dockerfile))
		assert.NoError(t, err, "%s: Dockerfile", s.Role)
	}
}

// copySources are the sources of a Dockerfile's COPY/ADD lines without --from (context files).
func copySources(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || (f[0] != "COPY" && f[0] != "ADD") {
			continue
		}
		args := []string{}
		from := false
		for _, a := range f[1:] {
			switch {
			case strings.HasPrefix(a, "--from="):
				from = true
			case strings.HasPrefix(a, "--"):
			default:
				args = append(args, a)
			}
		}
		if from || strings.HasPrefix(args[0], "http") {
			continue
		}
		out = append(out, args[:len(args)-1]...)
	}
	return out
}

// TestContextsHoldWhatTheDockerfilesCopy: every context file a Dockerfile copies is inside the
// spec's included entries (so it is in the context and in the tag).
func TestContextsHoldWhatTheDockerfilesCopy(t *testing.T) {
	r := root(t)
	for _, s := range []imagebuild.Spec{imagebuild.Backend(), imagebuild.Utility()} {
		srcs := copySources(t, filepath.Join(r, s.Dockerfile))
		require.NotEmpty(t, srcs, s.Role)
		for _, src := range srcs {
			src = strings.TrimSuffix(strings.TrimPrefix(src, "./"), "/")
			ok := false
			for _, inc := range s.Include {
				ok = ok || src == inc || strings.HasPrefix(src, inc+"/")
			}
			assert.True(t, ok, "%s: COPY %s is in the context's included entries %v", s.Role, src, s.Include)
		}
	}
}

// TestWebDockerfilePackagesTheBuild: the web image builds nothing: it copies its whole context
// (the standalone build whose .next/static the cdn uploads) into its working directory.
func TestWebDockerfilePackagesTheBuild(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root(t), imagebuild.Web("x").Dockerfile))
	require.NoError(t, err)
	df := string(raw)
	for _, banned := range []string{"npm ci", "npm run build", "next build", "npm install"} {
		assert.NotContains(t, df, banned, "the web image must not build the app again")
	}
	assert.Regexp(t, regexp.MustCompile(`(?m)^WORKDIR /app$`), df)
	assert.Equal(t, []string{"."}, copySources(t, filepath.Join(root(t), "app/web/Dockerfile")), "COPY . ./ : the context is the build")
	assert.Regexp(t, regexp.MustCompile(`(?m)^COPY \. \./$`), df)
	assert.Regexp(t, regexp.MustCompile(`(?m)^CMD \["node", "server.js"\]$`), df)
}

// tree writes files (path -> content) under a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
	return dir
}

// TestTagFollowsContent: the tag changes with any included file, the Dockerfile or the
// platform, and not with an excluded file.
func TestTagFollowsContent(t *testing.T) {
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n", "go.mod": "module x\n", "app/a.go": "package a\n", "app/web/x.js": "1", "other": "o"})
	spec := imagebuild.Spec{Role: "backend", Context: ".", Dockerfile: "Dockerfile", Include: []string{"go.mod", "app"}, Exclude: []string{"app/web"}}
	tag := func() string {
		t.Helper()
		v, err := imagebuild.Tag(dir, spec, "linux/amd64")
		require.NoError(t, err)
		return v
	}
	base := tag()
	assert.Regexp(t, `^c-[0-9a-f]{32}$`, base)
	assert.Equal(t, base, tag(), "deterministic")
	write := func(p, c string) { require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)) }

	write("app/web/x.js", "2")
	write("other", "p")
	assert.Equal(t, base, tag(), "excluded and not-included files do not count")

	write("app/a.go", "package b\n")
	changed := tag()
	assert.NotEqual(t, base, changed, "an included file counts")
	write("Dockerfile", "FROM busybox\n")
	assert.NotEqual(t, changed, tag(), "the Dockerfile counts")
	other, err := imagebuild.Tag(dir, spec, "linux/arm64")
	require.NoError(t, err)
	assert.NotEqual(t, tag(), other, "the platform counts")

	_, err = imagebuild.Tag(dir, imagebuild.Spec{Role: "x", Context: ".", Dockerfile: "missing"}, "linux/amd64")
	assert.ErrorContains(t, err, "Dockerfile")
}

// TestWebBuildID: a complete standalone build gives its BUILD_ID; anything less is refused
// with what to run.
func TestWebBuildID(t *testing.T) {
	ok := map[string]string{"server.js": "", ".next/BUILD_ID": "b1d\n", ".next/static/b1d/_buildManifest.js": "", "node_modules/@img/sharp-linux-x64/lib/s.node": ""}
	id, err := imagebuild.WebBuildID("/", tree(t, ok))
	require.NoError(t, err)
	assert.Equal(t, "b1d", id)

	for name, drop := range map[string]string{"no server": "server.js", "no build id": ".next/BUILD_ID", "no static": ".next/static/b1d/_buildManifest.js"} {
		files := map[string]string{}
		for k, v := range ok {
			if k != drop {
				files[k] = v
			}
		}
		_, err := imagebuild.WebBuildID("/", tree(t, files))
		assert.ErrorIs(t, err, imagebuild.ErrNoWebBuild, name)
		assert.ErrorContains(t, err, "make web-build", name)
	}
	foreign := map[string]string{"node_modules/@img/sharp-darwin-arm64/lib/s.node": ""}
	for k, v := range ok {
		foreign[k] = v
	}
	_, err = imagebuild.WebBuildID("/", tree(t, foreign))
	assert.ErrorContains(t, err, "sharp-darwin-arm64", "a native module of another platform is refused")
}
