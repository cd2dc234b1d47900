package ecsservices

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// OperatorSecretLength is the length of the generated operator credential (alphanumeric; the web
// app refuses fewer than 32 characters). Distinct from the other generated secrets' lengths: the
// mocks' generator is deterministic per argument set, and the controls tell secrets apart by value.
const OperatorSecretLength = 88

// OperatorSecretEnv is the web container's variable ECS fills from the operator secret.
const OperatorSecretEnv = "OPERATOR_SECRET"

// operatorSecret generates the credential that opens the service listing on /status and
// /api/services (app/web/README.md, "Operator access") and keeps it in a secret encrypted with the
// services key. Same pattern as originVerify: the version keeps its first value, so a later
// deployment neither changes it nor reverts a rotation. Nothing else in the stack reads the value:
// ECS injects it into the web container at task start (WebContainers), which is why a rotation
// must be followed by a new deployment of the web service, which the rotation function
// (infra/rotation) starts (docs/infra.md, "Operator secret").
func (b *builder) operatorSecret() error {
	a := b.args
	generated := secretsmanager.GetRandomPasswordOutput(b.ctx, secretsmanager.GetRandomPasswordOutputArgs{
		PasswordLength:     pulumi.Int(OperatorSecretLength),
		ExcludePunctuation: pulumi.Bool(true),
		IncludeSpace:       pulumi.Bool(false),
	}).RandomPassword()
	secret, err := secretsmanager.NewSecret(b.ctx, b.name+"-operator", &secretsmanager.SecretArgs{
		NamePrefix:           pulumi.String(a.NamePrefix + "/operator-"),
		Description:          pulumi.String("Operator credential of the " + a.NamePrefix + " web app: the service listing on /status and /api/services"),
		KmsKeyId:             b.keyArn,
		RecoveryWindowInDays: pulumi.Int(7),
		Tags:                 b.tags("operator"),
	}, b.parent)
	if err != nil {
		return b.wrap("operator secret", err)
	}
	if _, err := secretsmanager.NewSecretVersion(b.ctx, b.name+"-operator", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(generated).(pulumi.StringOutput),
	}, b.parent, pulumi.IgnoreChanges([]string{"secretString"}), pulumi.AdditionalSecretOutputs([]string{"secretString"})); err != nil {
		return b.wrap("operator secret version", err)
	}
	b.s.OperatorSecretARN, b.s.OperatorSecretKMSKeyARN = secret.Arn, b.keyArn
	return nil
}
