package ecsservices

import (
	"fmt"
	"regexp"

	awsxecr "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ImageType is the type token of awsx's ecr.Image, a remote component: the awsx plugin builds
// the image with docker buildx (BuildKit) and pushes it during `pulumi up`.
const ImageType = "awsx:ecr:Image"

// ImagePlatform is the platform the images are built for, and RuntimeCPUArchitecture the task
// definitions' runtimePlatform.cpuArchitecture: the two must name the same CPU.
const (
	ImagePlatform          = "linux/amd64"
	RuntimeCPUArchitecture = "X86_64"
)

// Build is an image `pulumi up` builds from the repository and pushes to the role's repository
// (awsx ecr.Image). Paths are relative to the project directory, the program's (and the awsx
// plugin's) working directory.
type Build struct {
	// Context is the build context directory; Dockerfile the Dockerfile's path. Required.
	Context, Dockerfile string
	// Tag is the immutable tag (a content hash, infra/imagebuild). Required.
	Tag string
}

// ecrTag is what ECR accepts as an image tag.
var ecrTag = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

func (bd *Build) validate(role string) error {
	switch {
	case bd.Context == "" || bd.Dockerfile == "":
		return fmt.Errorf("Builds[%q]: Context and Dockerfile are required", role)
	case !ecrTag.MatchString(bd.Tag):
		return fmt.Errorf("Builds[%q]: Tag %q is not an ECR image tag", role, bd.Tag)
	}
	return nil
}

// configured is the configured image of a role ("" when none).
func (im Images) configured(role string) string {
	switch role {
	case "web":
		return im.Web
	case "backend":
		return im.Backend
	case "utility":
		return im.Utility
	}
	return ""
}

// has reports whether a role gets an image: configured (it wins) or built.
func (a *Args) has(role string) bool {
	return a.Images.configured(role) != "" || a.Builds[role] != nil
}

// images creates an awsx ecr.Image for every role that has a Build and no configured image.
// Its imageUri output is <repository>@sha256:<digest> of the pushed image, so the task
// definitions pin the exact image; a new build (new tag) means a new task definition revision.
func (b *builder) images() error {
	b.built = map[string]pulumi.StringOutput{}
	for _, role := range Repositories {
		bd := b.args.Builds[role]
		if b.args.Images.configured(role) != "" || bd == nil {
			continue
		}
		img, err := awsxecr.NewImage(b.ctx, b.name+"-"+role+"-image", &awsxecr.ImageArgs{
			RepositoryUrl: b.s.repositoryURLs[role],
			Context:       pulumi.String(bd.Context),
			Dockerfile:    pulumi.String(bd.Dockerfile),
			Platform:      pulumi.String(ImagePlatform),
			ImageTag:      pulumi.String(bd.Tag),
		}, b.parent)
		if err != nil {
			return b.wrap("image "+role, err)
		}
		b.built[role] = img.ImageUri
	}
	return nil
}
