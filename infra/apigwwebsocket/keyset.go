package apigwwebsocket

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KeySet is the session-key secret's first value, the JSON document authn.KeySet reads (the
// infrastructure does not import the application): a generated current key, a generated next
// key the first rotation promotes, and previous repeating current (no key retired yet; ECS
// injects every field, so none may be missing).
type KeySet struct {
	Current  string `json:"current"`
	Next     string `json:"next"`
	Previous string `json:"previous"`
}

// generatedKeySet stores a new KeySet of two generated keys in a secret (later values ignored:
// the rotation Lambda owns it after creation).
func generatedKeySet(ctx *pulumi.Context, name, description string, keyArn pulumi.StringOutput, tags pulumi.StringMap, parent pulumi.ResourceOption) (*secretsmanager.Secret, pulumi.StringOutput, error) {
	// The next key is longer (both decode to well over 32 bytes): two generator calls with the
	// same arguments are one call to Pulumi, which would give the same key twice.
	doc := pulumi.All(randomValue(ctx, TokenKeyLength), randomValue(ctx, TokenKeyLength+4)).ApplyT(func(v []any) (string, error) {
		b, err := json.Marshal(KeySet{Current: v[0].(string), Next: v[1].(string), Previous: v[0].(string)})
		return string(b), err
	}).(pulumi.StringOutput)
	return storedSecret(ctx, name, doc, description, keyArn, tags, parent)
}
