package controls

import (
	"errors"
	"fmt"

	"chessplatform/infra/infratest"
)

// ECR repositories of the service images.

// ECR lists the repository controls.
func ECR() []Control {
	return named(
		imagesScannedOnPush,
		tagsImmutable,
		repoLifecyclePolicy,
		reposEncrypted,
	)
}

var imagesScannedOnPush = Control{
	Name: "imagesScannedOnPush",
	ID:   "ECR.1 images are scanned on push",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TRepo, 1, func(r infratest.Resource) error { return isBool(r, "imageScanningConfiguration.scanOnPush", true) })
	},
	Props: []Prop{{TRepo, "imageScanningConfiguration", map[string]any{"scanOnPush": false}}},
}

var tagsImmutable = Control{
	Name: "tagsImmutable",
	ID:   "ECR.2 tags are immutable",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TRepo, 1, func(r infratest.Resource) error { return isStr(r, "imageTagMutability", "IMMUTABLE") })
	},
	Props: []Prop{{TRepo, "imageTagMutability", "MUTABLE"}},
}

var repoLifecyclePolicy = Control{
	Name: "repoLifecyclePolicy",
	ID:   "ECR.3 every repository has a lifecycle policy",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TRepo, 1, func(r infratest.Resource) error {
			name, _ := r.Output("name")
			ps := infratest.ByOutput(rec, TRepoLifecycle, "repository", name.StringValue())
			if len(ps) != 1 {
				return fmt.Errorf("%d lifecycle policies, want 1", len(ps))
			}
			_, err := nonEmpty(ps[0], "policy")
			return err
		})
	},
	Props: []Prop{{TRepoLifecycle, "repository", "another-repo"}},
}

var reposEncrypted = Control{
	Name: "reposEncrypted",
	ID:   "CKV_AWS_136 repositories encrypted with a CMK",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TRepo, 1, func(r infratest.Resource) error {
			return errors.Join(isStr(r, "encryptionConfigurations[0].encryptionType", "KMS"), cmk(rec, r, "encryptionConfigurations[0].kmsKey"))
		})
	},
	Props: []Prop{{TRepo, "encryptionConfigurations", []any{map[string]any{"encryptionType": "AES256"}}}},
}
