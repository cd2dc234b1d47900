package kmskey_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
	"chessplatform/infra/kmskey"
)

func TestKeyWithLogsGrant(t *testing.T) {
	var arn string
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		k, err := kmskey.New(ctx, "k", &kmskey.Args{
			Account: a, Description: "test key", Alias: "chess-platform-test/x", DeletionWindowDays: 10,
			Grants: []kmskey.ServiceGrant{kmskey.LogsGrant(a, "/chess-platform-test/x/")},
			Tags:   map[string]string{"Project": "chess-platform"},
		})
		if err != nil {
			return err
		}
		arn, err = infratest.Await[string](ctx, k.ARN)
		return err
	})
	key := m.One(t, controls.TKMSKey)
	v, _ := key.Output("arn")
	assert.Equal(t, v.StringValue(), arn)
	controls.Require(t, m, controls.KMS())

	doc, err := key.Policy("policy")
	require.NoError(t, err)
	require.Len(t, doc.Statement, 2)
	assert.Equal(t, []string{"arn:aws:iam::123456789012:root"}, []string(doc.Statement[0].Principal.AWS))
	logs := doc.Statement[1]
	assert.Equal(t, []string{"logs.eu-west-1.amazonaws.com"}, []string(logs.Principal.Service))
	assert.Equal(t, []string{"arn:aws:logs:eu-west-1:123456789012:log-group:/chess-platform-test/x/*"},
		[]string(logs.Condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]))
	for _, a := range logs.Action {
		assert.NotEqual(t, "kms:*", a)
	}

	alias := m.One(t, "aws:kms/alias:Alias")
	name, _ := alias.Str("name")
	assert.Equal(t, "alias/chess-platform-test/x", name)
	target, _ := alias.Str("targetKeyId")
	assert.Equal(t, key.ID, target)
	tags := key.Tags()
	assert.Equal(t, "chess-platform-test/x", tags["Name"])
	assert.Equal(t, "chess-platform", tags["Project"])
}

func TestArgsValidation(t *testing.T) {
	acct := awsenv.Account{ID: "123456789012", Region: "eu-west-1", Partition: "aws", DNSSuffix: "amazonaws.com", ServicePrefix: "com.amazonaws"}
	good := func() *kmskey.Args {
		return &kmskey.Args{Account: acct, Description: "d", Alias: "a/b", DeletionWindowDays: 7}
	}
	cases := map[string]func(*kmskey.Args){
		"no account":        func(a *kmskey.Args) { a.Account = awsenv.Account{} },
		"no description":    func(a *kmskey.Args) { a.Description = "" },
		"alias with prefix": func(a *kmskey.Args) { a.Alias = "alias/x" },
		"aws alias":         func(a *kmskey.Args) { a.Alias = "aws/rds" },
		"window too short":  func(a *kmskey.Args) { a.DeletionWindowDays = 6 },
		"window too long":   func(a *kmskey.Args) { a.DeletionWindowDays = 31 },
		"unconditional grant": func(a *kmskey.Args) {
			a.Grants = []kmskey.ServiceGrant{{Sid: "x", Principal: "logs.amazonaws.com", Actions: []string{"kms:Decrypt"}}}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				a := good()
				mutate(a)
				_, err := kmskey.New(ctx, "k", a)
				return err
			})
			require.Error(t, err)
			assert.Empty(t, m.Resources())
		})
	}
	require.NotPanics(t, func() {
		_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
			_, err := kmskey.New(ctx, "k", nil)
			return err
		})
		require.Error(t, err)
	})
}
