package infratest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// remoteFiller is what a remote component's plugin would output. Under mocks a remote
// component (RegisterRemoteComponentResource) is one opaque registration: its plugin's
// Construct never runs, so it has no children and no outputs but the ones returned here.
// preview is true in a dry run: the filler returns what a preview knows.
type remoteFiller func(e env, name string, in resource.PropertyMap, preview bool) (map[string]any, error)

// remoteComponents is the allow-list of remote (multi-language) components the program may
// register; any other non-chess component fails.
var remoteComponents = map[string]remoteFiller{
	// awsx ecr.Image (v2.22.0) builds with docker-build and pushes to repositoryUrl during `up`;
	// imageUri is <repositoryUrl>@sha256:<digest> (awsx strips the tag). In a preview nothing
	// is pushed, so there is no digest: imageUri stays unknown.
	"awsx:ecr:Image": func(_ env, name string, in resource.PropertyMap, preview bool) (map[string]any, error) {
		repo := str(in, "repositoryUrl")
		if !ecrRepositoryURL.MatchString(repo) {
			return nil, fmt.Errorf("repositoryUrl %q is not an ECR repository URL", repo)
		}
		for _, k := range []string{"context", "dockerfile", "platform", "imageTag"} {
			if str(in, k) == "" {
				return nil, fmt.Errorf("%s is not set (awsx would fall back to a default)", k)
			}
		}
		if preview {
			return nil, nil
		}
		sum := sha256.Sum256([]byte(name + "|" + str(in, "imageTag") + "|" + str(in, "platform")))
		return map[string]any{"imageUri": repo + "@sha256:" + hex.EncodeToString(sum[:])}, nil
	},
}

var ecrRepositoryURL = regexp.MustCompile(`^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9][a-z0-9._/-]*$`)
