// Package kmskey creates the customer managed KMS keys of the stack, all alike: rotation on, an
// explicit key policy (account root for IAM delegation plus only the service principals that must
// use the key, each with a condition), a deletion window and an alias.
package kmskey

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/iampolicy"
)

// Args configures one key.
type Args struct {
	// Account is where the key lives. Required.
	Account awsenv.Account
	// Description says what the key encrypts. Required.
	Description string
	// Alias is the alias name without "alias/", e.g. "chess-platform-dev/rds". Required.
	Alias string
	// DeletionWindowDays is the wait before a deleted key is destroyed (7-30). Required.
	DeletionWindowDays int
	// Grants lets AWS service principals use the key. Optional; see LogsGrant.
	Grants []ServiceGrant
	// Tags are added to the key. Optional.
	Tags map[string]string
}

// ServiceGrant lets one service principal use the key, under conditions.
type ServiceGrant struct {
	Sid        string
	Principal  string // e.g. logs.eu-west-1.amazonaws.com
	Actions    []string
	Conditions iampolicy.Conditions
}

// Key is a created key and its alias.
type Key struct {
	Key   *kms.Key
	Alias *kms.Alias
	// Arn is the key ARN, what KmsKeyId inputs of other resources take.
	ARN pulumi.StringOutput
}

// LogsGrant lets CloudWatch Logs encrypt the log groups whose names start with logGroupPrefix,
// and no others (encryption-context condition on the log group ARN).
func LogsGrant(a awsenv.Account, logGroupPrefix string) ServiceGrant {
	return ServiceGrant{
		Sid:       "AllowCloudWatchLogs",
		Principal: a.RegionalServicePrincipal("logs"),
		Actions:   []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
		Conditions: iampolicy.Conditions{
			"ArnLike": {"kms:EncryptionContext:aws:logs:arn": iampolicy.List{a.ARN("logs", "log-group:"+logGroupPrefix+"*")}},
		},
	}
}

// Policy is the key policy for the given account and grants. The root statement keeps the key
// manageable and lets IAM policies (e.g. an ECS execution role's kms:Decrypt) grant use of it.
func Policy(a awsenv.Account, grants []ServiceGrant) iampolicy.Document {
	stmts := []iampolicy.Statement{{
		Sid:       "EnableIAMPoliciesAndAdministration",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{AWS: iampolicy.List{a.RootARN()}},
		Action:    iampolicy.List{"kms:*"},
		Resource:  iampolicy.List{"*"},
	}}
	for _, g := range grants {
		stmts = append(stmts, iampolicy.Statement{
			Sid:       g.Sid,
			Effect:    "Allow",
			Principal: &iampolicy.Principal{Service: iampolicy.List{g.Principal}},
			Action:    iampolicy.List(g.Actions),
			Resource:  iampolicy.List{"*"}, // in a key policy "*" is this key
			Condition: g.Conditions,
		})
	}
	return iampolicy.New(stmts...)
}

// New creates the key and its alias; pass pulumi.Parent of the calling component in opts.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Key, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("kmskey %s: %w", name, err)
	}
	policy, err := Policy(args.Account, args.Grants).JSON()
	if err != nil {
		return nil, fmt.Errorf("kmskey %s: %w", name, err)
	}
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(args.Description),
		KeyUsage:             pulumi.String("ENCRYPT_DECRYPT"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(args.DeletionWindowDays),
		Policy:               pulumi.String(policy),
		Tags:                 awsenv.Tags(args.Tags, args.Alias),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("kmskey %s: key: %w", name, err)
	}
	alias, err := kms.NewAlias(ctx, name+"-alias", &kms.AliasArgs{
		Name:        pulumi.String("alias/" + args.Alias),
		TargetKeyId: key.KeyId,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("kmskey %s: alias: %w", name, err)
	}
	return &Key{Key: key, Alias: alias, ARN: key.Arn}, nil
}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	if a.Account.ID == "" {
		errs = append(errs, errors.New("Account is required"))
	}
	if a.Description == "" {
		errs = append(errs, errors.New("Description is required"))
	}
	if a.Alias == "" || strings.HasPrefix(a.Alias, "alias/") || strings.HasPrefix(a.Alias, "aws/") {
		errs = append(errs, fmt.Errorf("Alias %q must be set, without alias/, and not under aws/", a.Alias))
	}
	if a.DeletionWindowDays < 7 || a.DeletionWindowDays > 30 {
		errs = append(errs, fmt.Errorf("DeletionWindowDays %d must be 7 to 30", a.DeletionWindowDays))
	}
	for _, g := range a.Grants {
		if g.Principal == "" || len(g.Actions) == 0 || len(g.Conditions) == 0 {
			errs = append(errs, fmt.Errorf("grant %q needs a principal, actions and a condition", g.Sid))
		}
	}
	return errors.Join(errs...)
}
