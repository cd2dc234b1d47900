package stack

import (
	"fmt"
	"os"
	"path/filepath"

	"chessplatform/infra/ecsservices"
	"chessplatform/infra/imagebuild"
)

// images decides, per image role, between the configured image (webImage, backendImage,
// utilityImage: an override, nothing is built) and a build by `pulumi up` (awsx ecr.Image) from
// the repository's Dockerfile with a content tag. The web image's context is webBuildDir, the
// Next.js build whose .next/static the cdn component uploads: one build feeds both.
//
// Preview and up compute the same builds (same tags, same inputs): only the pushed digest,
// awsx's imageUri, is unknown in a preview.
func (s *Stack) images() error {
	sv := s.Config.Services
	root, err := imagebuild.FindRoot(".")
	if err != nil {
		return err
	}
	s.root = root
	s.builds = map[string]*ecsservices.Build{}
	specs := []struct {
		configured string
		spec       imagebuild.Spec
	}{
		{sv.BackendImage, imagebuild.Backend()},
		{sv.UtilityImage, imagebuild.Utility()},
		{sv.WebImage, imagebuild.Web(s.Config.Edge.WebBuildDir)},
	}
	for _, sp := range specs {
		if sp.configured != "" {
			continue
		}
		if sp.spec.Role == "web" {
			if s.WebBuildID, err = imagebuild.WebBuildID(root, sp.spec.Context); err != nil {
				return fmt.Errorf("config %s:webBuildDir: %w", s.Config.Project, err)
			}
		}
		tag, err := imagebuild.Tag(root, sp.spec, ecsservices.ImagePlatform)
		if err != nil {
			return err
		}
		s.builds[sp.spec.Role] = &ecsservices.Build{Context: sp.spec.Context, Dockerfile: sp.spec.Dockerfile, Tag: tag}
	}
	return nil
}

// staticDir is the static directory the cdn component uploads: the web build's .next/static
// (read from the project directory). With a configured webImage it is uploaded when it exists:
// the override then names an image of that same build.
func (s *Stack) staticDir() string {
	dir := imagebuild.StaticDir(s.Config.Edge.WebBuildDir)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(s.root, dir)
	}
	if _, err := os.Stat(dir); err != nil && s.Config.Services.WebImage != "" {
		return ""
	}
	return dir
}

// Builds are the images this deployment builds, by role (empty for configured images).
func (s *Stack) Builds() map[string]ecsservices.Build {
	out := map[string]ecsservices.Build{}
	for k, v := range s.builds {
		out[k] = *v
	}
	return out
}
