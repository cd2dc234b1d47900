package ecsservices

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/kmskey"
)

// OriginVerifyLength is the length of the generated origin-verify value (alphanumeric; an ALB
// condition value takes at most 128 characters).
const OriginVerifyLength = 96

// key is the services CMK: ECR images and the origin-verify secret. ECR uses it through grants
// it creates on the repository's behalf, so no service principal is named in the key policy.
func (b *builder) key() error {
	a := b.args
	key, err := kmskey.New(b.ctx, b.name+"-key", &kmskey.Args{
		Account:            a.Account,
		Description:        "Services of " + a.NamePrefix + ": ECR images, origin-verify secret",
		Alias:              a.NamePrefix + "/services",
		DeletionWindowDays: a.KMSDeletionWindowDays,
		Tags:               a.Tags,
	}, b.parent)
	if err != nil {
		return b.wrap("key", err)
	}
	b.keyArn = key.ARN
	return nil
}

// lifecycleRule is one rule of an ECR lifecycle policy.
type lifecycleRule struct {
	RulePriority int               `json:"rulePriority"`
	Description  string            `json:"description"`
	Selection    lifecycleSelector `json:"selection"`
	Action       map[string]string `json:"action"`
}

type lifecycleSelector struct {
	TagStatus   string `json:"tagStatus"`
	CountType   string `json:"countType"`
	CountUnit   string `json:"countUnit,omitempty"`
	CountNumber int    `json:"countNumber"`
}

// LifecyclePolicy expires untagged images after a day and keeps the newest maxImages images.
func LifecyclePolicy(maxImages int) (string, error) {
	doc := struct {
		Rules []lifecycleRule `json:"rules"`
	}{Rules: []lifecycleRule{
		{
			RulePriority: 1,
			Description:  "Untagged images (superseded build layers) go after a day",
			Selection:    lifecycleSelector{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1},
			Action:       map[string]string{"type": "expire"},
		},
		{
			RulePriority: 2,
			Description:  "Keep the newest images only",
			Selection:    lifecycleSelector{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: maxImages},
			Action:       map[string]string{"type": "expire"},
		},
	}}
	out, err := json.Marshal(doc)
	return string(out), err
}

// repositories creates one private repository per image role: immutable tags, scan on push,
// KMS encryption with the services key, and a lifecycle policy.
func (b *builder) repositories() error {
	a := b.args
	policy, err := LifecyclePolicy(a.ECRMaxImages)
	if err != nil {
		return b.wrap("lifecycle policy", err)
	}
	b.s.repositoryArns = map[string]pulumi.StringOutput{}
	b.s.repositoryURLs = map[string]pulumi.StringOutput{}
	for _, role := range Repositories {
		repo, err := ecr.NewRepository(b.ctx, b.name+"-"+role+"-repo", &ecr.RepositoryArgs{
			Name:               pulumi.String(RepositoryName(a.NamePrefix, role)),
			ImageTagMutability: pulumi.String("IMMUTABLE"),
			ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
				ScanOnPush: pulumi.Bool(true),
			},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
				&ecr.RepositoryEncryptionConfigurationArgs{EncryptionType: pulumi.String("KMS"), KmsKey: b.keyArn},
			},
			ForceDelete: pulumi.Bool(false),
			Tags:        b.tags(role + "-repo"),
		}, b.parent)
		if err != nil {
			return b.wrap("repository "+role, err)
		}
		if _, err := ecr.NewLifecyclePolicy(b.ctx, b.name+"-"+role+"-lifecycle", &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(policy),
		}, b.parent); err != nil {
			return b.wrap("lifecycle policy "+role, err)
		}
		b.s.repositoryArns[role] = repo.Arn
		b.s.repositoryURLs[role] = repo.RepositoryUrl
	}
	return nil
}

// originVerify generates the value CloudFront sends in OriginVerifyHeader and keeps it in a
// secret (the pattern of the Redis AUTH token: the generator runs on every deployment, the
// version keeps the first value, and everything downstream reads the version).
func (b *builder) originVerify() error {
	a := b.args
	generated := secretsmanager.GetRandomPasswordOutput(b.ctx, secretsmanager.GetRandomPasswordOutputArgs{
		PasswordLength:     pulumi.Int(OriginVerifyLength),
		ExcludePunctuation: pulumi.Bool(true),
		IncludeSpace:       pulumi.Bool(false),
	}).RandomPassword()
	secret, err := secretsmanager.NewSecret(b.ctx, b.name+"-origin-verify", &secretsmanager.SecretArgs{
		Description:          pulumi.String("Value of the " + OriginVerifyHeader + " header CloudFront sends to the " + a.NamePrefix + " ALB"),
		KmsKeyId:             b.keyArn,
		RecoveryWindowInDays: pulumi.Int(7),
		Tags:                 b.tags("origin-verify"),
	}, b.parent)
	if err != nil {
		return b.wrap("origin-verify secret", err)
	}
	version, err := secretsmanager.NewSecretVersion(b.ctx, b.name+"-origin-verify", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(generated).(pulumi.StringOutput),
	}, b.parent, pulumi.IgnoreChanges([]string{"secretString"}), pulumi.AdditionalSecretOutputs([]string{"secretString"}))
	if err != nil {
		return b.wrap("origin-verify secret version", err)
	}
	b.s.OriginVerifySecretARN = secret.Arn
	b.s.OriginVerifyValue = pulumi.ToSecret(version.SecretString.Elem()).(pulumi.StringOutput)
	return nil
}

// cluster creates the ECS cluster with Container Insights. ECS Exec stays off for every
// service, so the cluster has no exec configuration.
func (b *builder) cluster() error {
	a := b.args
	c, err := ecs.NewCluster(b.ctx, b.name+"-cluster", &ecs.ClusterArgs{
		Name: pulumi.String(a.NamePrefix),
		Settings: ecs.ClusterSettingArray{
			&ecs.ClusterSettingArgs{Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled")},
		},
		Tags: b.tags("cluster"),
	}, b.parent)
	if err != nil {
		return b.wrap("cluster", err)
	}
	b.s.Cluster = c
	b.s.ClusterName = c.Name
	b.s.ClusterARN = c.Arn
	return nil
}
