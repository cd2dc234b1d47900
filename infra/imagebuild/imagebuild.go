// Package imagebuild describes the container images `pulumi up` builds (awsx ecr.Image) from the
// repository's Dockerfiles, and computes their immutable tags from the content that goes into
// them, so a tag names exactly one image: the ECR repositories refuse to move a tag
// (IMMUTABLE), so a tag that stayed the same while its build context changed would fail the
// push.
//
// A Spec lists what Docker sends as the build context (Include, relative to the context; the
// context's .dockerignore says the same, which a test checks) and the Dockerfile. Tag hashes
// the Dockerfile and every included file (path, mode and content), so any change Docker would
// see changes the tag.
package imagebuild

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Spec is one image's build: paths are relative to the project directory (where Pulumi.yaml
// is, the program's working directory under `pulumi up`), except where absolute.
type Spec struct {
	// Role is the image role and ECR repository suffix: web, backend or utility.
	Role string
	// Context is the build context directory.
	Context string
	// Dockerfile is the Dockerfile's path.
	Dockerfile string
	// Include lists the context's entries Docker receives (files or directories, relative to
	// Context); nil means the whole context.
	Include []string
	// Exclude lists entries under Include that Docker does not receive.
	Exclude []string
}

// Backend, Utility and Web are the three images. The web image packages the Next.js build in
// webBuildDir (app/web/.next/standalone after `make web-build`), the same build whose static
// files the cdn component uploads.
func Backend() Spec {
	return Spec{Role: "backend", Context: ".", Dockerfile: "app/cmd/chess-server/Dockerfile",
		Include: []string{"go.mod", "go.sum", "app"}, Exclude: []string{"app/web"}}
}

func Utility() Spec {
	return Spec{Role: "utility", Context: "scripts", Dockerfile: "scripts/Dockerfile",
		Include: []string{"health-check.sh", "list-services.sh"}}
}

func Web(buildDir string) Spec {
	return Spec{Role: "web", Context: buildDir, Dockerfile: "app/web/Dockerfile"}
}

// TagPrefix starts every built tag; the rest is the first TagHexLen hex digits of the hash.
const (
	TagPrefix = "c-"
	TagHexLen = 32
)

// Tag is the content tag of s built for platform, reading files under root (the project
// directory). The platform is part of the hash: another platform is another image.
func Tag(root string, s Spec, platform string) (string, error) {
	h := sha256.New()
	df, err := os.ReadFile(resolve(root, s.Dockerfile))
	if err != nil {
		return "", fmt.Errorf("image %s: Dockerfile: %w", s.Role, err)
	}
	fmt.Fprintf(h, "dockerfile %d\n", len(df))
	h.Write(df)
	fmt.Fprintf(h, "platform %s\n", platform)
	ctxDir := resolve(root, s.Context)
	include := s.Include
	if include == nil {
		include = []string{"."}
	}
	n := 0
	for _, inc := range include {
		start := filepath.Join(ctxDir, filepath.FromSlash(inc))
		err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(ctxDir, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if excluded(rel, s.Exclude) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "file %s %o %d\n", rel, info.Mode(), info.Size())
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "link %s\n", target)
				n++
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("image %s: context %s: %w", s.Role, s.Context, err)
		}
	}
	if n == 0 {
		return "", fmt.Errorf("image %s: context %s has no files", s.Role, s.Context)
	}
	return TagPrefix + hex.EncodeToString(h.Sum(nil))[:TagHexLen], nil
}

func excluded(rel string, excludes []string) bool {
	return slices.ContainsFunc(excludes, func(e string) bool { return rel == e || strings.HasPrefix(rel, e+"/") })
}

func resolve(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// ErrNoWebBuild means the web build directory is missing or incomplete.
var ErrNoWebBuild = errors.New("no complete Next.js build")

// WebBuildID checks that dir (relative to root unless absolute) holds a complete standalone
// Next.js build (server.js, .next/BUILD_ID and that build's .next/static/<id>) and returns its
// build ID.
func WebBuildID(root, dir string) (string, error) {
	d := resolve(root, dir)
	missing := func(what string) error {
		return fmt.Errorf("%w in %s (%s is missing): run `make web-build`, which writes app/web/.next/standalone", ErrNoWebBuild, dir, what)
	}
	if _, err := os.Stat(filepath.Join(d, "server.js")); err != nil {
		return "", missing("server.js")
	}
	raw, err := os.ReadFile(filepath.Join(d, ".next", "BUILD_ID"))
	if err != nil {
		return "", missing(".next/BUILD_ID")
	}
	id := strings.TrimSpace(string(raw))
	if id == "" || strings.ContainsAny(id, "/\\ ") {
		return "", fmt.Errorf("web build %s: .next/BUILD_ID %q is not a build ID", dir, id)
	}
	if st, err := os.Stat(filepath.Join(d, ".next", "static", id)); err != nil || !st.IsDir() {
		return "", missing(".next/static/" + id)
	}
	// The standalone output carries the native modules of the machine that built it (sharp's
	// .node files); the image runs them on linux/amd64 with glibc.
	var foreign []string
	err = filepath.WalkDir(filepath.Join(d, "node_modules"), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		if !e.IsDir() && strings.HasSuffix(p, ".node") && !strings.Contains(filepath.ToSlash(p), NativePlatform) {
			rel, _ := filepath.Rel(d, p)
			foreign = append(foreign, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("web build %s: %w", dir, err)
	}
	if len(foreign) > 0 {
		return "", fmt.Errorf("web build %s holds native modules for another platform than %s (%s): run `make web-build` on Linux x86_64 (e.g. in CI)", dir, NativePlatform, strings.Join(foreign, ", "))
	}
	return id, nil
}

// NativePlatform is the platform name in the paths of the native modules the web image can
// load (node:20-bookworm-slim on linux/amd64: glibc, x64).
const NativePlatform = "linux-x64"

// StaticDir is the build's static directory inside a web build directory: what the image
// serves under /_next/static and what the cdn component uploads.
func StaticDir(buildDir string) string { return filepath.Join(buildDir, ".next", "static") }

// FindRoot returns the nearest directory at or above dir that holds Pulumi.yaml: the project
// directory (the working directory under `pulumi up`; tests run deeper).
func FindRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("imagebuild: no Pulumi.yaml at or above %s", dir)
		}
		d = parent
	}
}
