package infratest

import "github.com/pulumi/pulumi/sdk/v3/go/common/resource"

// rotationTypes are the resource types of the rotation component, merged into resourceTypes.
var rotationTypes = map[string]filler{
	"aws:secretsmanager/secretRotation:SecretRotation": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		// AWS's id is the secret's ARN; the harness needs ids unique across resources.
		return "rotation|" + str(in, "secretId"), map[string]any{"rotationEnabled": true}, nil
	},
}

func init() {
	for t, f := range rotationTypes {
		if _, dup := resourceTypes[t]; dup {
			panic("infratest: resource type " + t + " is declared twice")
		}
		resourceTypes[t] = f
	}
}
