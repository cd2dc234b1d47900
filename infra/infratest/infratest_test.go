package infratest_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/infratest"
)

func TestUnknownResourceTypeFails(t *testing.T) {
	m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		_, err := sqs.NewQueue(ctx, "jobs", &sqs.QueueArgs{})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unmocked resource type "aws:sqs/queue:Queue"`)
	assert.Empty(t, m.Resources())
}

func TestUnknownInvokeFails(t *testing.T) {
	m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		_, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{Default: pulumi.BoolRef(true)})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unmocked invoke "aws:ec2/getVpc:getVpc"`)
	require.Len(t, m.Calls(), 1, "the call is still recorded")
}

func TestForeignComponentFails(t *testing.T) {
	_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		var c struct{ pulumi.ResourceState }
		return ctx.RegisterRemoteComponentResource("awsx:ec2:Vpc", "vpc", pulumi.Map{}, &c)
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not ours")
}

type comp struct{ pulumi.ResourceState }

func TestRecordsInputsOptionsAndOutputs(t *testing.T) {
	var vpcID, arn string
	var idKnown bool
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		c := &comp{}
		if err := ctx.RegisterComponentResource("chess:test:Thing", "thing", c); err != nil {
			return err
		}
		vpc, err := ec2.NewVpc(ctx, "thing-vpc", &ec2.VpcArgs{
			CidrBlock: pulumi.String("10.0.0.0/16"),
			Tags:      pulumi.StringMap{"Name": pulumi.String("v")},
		}, pulumi.Parent(c), pulumi.Protect(true), pulumi.RetainOnDelete(true), pulumi.DeleteBeforeReplace(true), pulumi.IgnoreChanges([]string{"tags"}))
		if err != nil {
			return err
		}
		if _, err := secretsmanager.NewSecretVersion(ctx, "thing-secret", &secretsmanager.SecretVersionArgs{
			SecretId:     pulumi.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-abcdef"),
			SecretString: pulumi.String("s3cr3t"),
		}, pulumi.Parent(c)); err != nil {
			return err
		}
		id, err := infratest.AwaitResult[string](ctx, vpc.ID())
		if err != nil {
			return err
		}
		vpcID, idKnown = id.Value, id.Known
		arn, err = infratest.Await[string](ctx, vpc.Arn)
		return err
	})

	v := m.One(t, "aws:ec2/vpc:Vpc")
	assert.True(t, idKnown)
	assert.Equal(t, v.ID, vpcID)
	assert.Regexp(t, `^vpc-0[0-9a-f]{16}$`, v.ID)
	assert.Equal(t, "arn:aws:ec2:eu-west-1:123456789012:vpc/"+v.ID, arn)
	assert.True(t, v.Protect)
	assert.True(t, v.RetainOnDelete)
	assert.True(t, v.DeleteBeforeReplace)
	assert.True(t, v.IgnoresChanges("tags"))
	assert.Equal(t, "chess:test:Thing", v.ParentType())
	assert.Equal(t, "thing", v.ParentName())
	cidr, ok := v.Str("cidrBlock")
	assert.True(t, ok)
	assert.Equal(t, "10.0.0.0/16", cidr)
	name, _ := v.Str("tags.Name")
	assert.Equal(t, "v", name)
	assert.Equal(t, map[string]string{"Name": "v"}, v.Tags())
	_, ok = v.Bool("enableDnsSupport")
	assert.False(t, ok, "a property the program does not set is absent (no provider defaults)")

	sv := m.One(t, "aws:secretsmanager/secretVersion:SecretVersion")
	assert.False(t, sv.Protect || sv.RetainOnDelete || sv.DeleteBeforeReplace, "options are recorded per resource")
	assert.True(t, sv.IsSecret("secretString"))
	s, _ := sv.Str("secretString")
	assert.Equal(t, "s3cr3t", s, "Str unwraps secrets")
	assert.Contains(t, sv.AdditionalSecretOutputs, "secretString")
	assert.Equal(t, "s3cr3t", sv.Plain()["secretString"])

	assert.Equal(t, map[string]int{"aws:ec2/vpc:Vpc": 1, "aws:secretsmanager/secretVersion:SecretVersion": 1}, m.CountByType())
	table := infratest.CountTable(m.CountByType())
	assert.Contains(t, table, "aws:ec2/vpc:Vpc")
	assert.True(t, strings.HasSuffix(strings.TrimSpace(table), "2"), table)
}

func TestPathLookup(t *testing.T) {
	r := infratest.Resource{Inputs: resource.NewPropertyMapFromMap(map[string]any{
		"parameters": []any{map[string]any{"name": "a", "value": "1"}, map[string]any{"name": "b", "value": "2"}},
		"nested":     map[string]any{"list": []any{[]any{"x", "y"}}},
		"n":          3,
	})}
	v, ok := r.Str("parameters[1].name")
	assert.True(t, ok)
	assert.Equal(t, "b", v)
	v, _ = r.Str("nested.list[0][1]")
	assert.Equal(t, "y", v)
	n, _ := r.Int("n")
	assert.Equal(t, 3, n)
	assert.Equal(t, 2, r.Len("parameters"))
	for _, bad := range []string{"parameters[2].name", "parameters[x]", "missing", "n.deeper", "nested.list[0][5]"} {
		_, ok := r.Get(bad)
		assert.False(t, ok, bad)
	}
}

func TestRandomPasswordHonoursArguments(t *testing.T) {
	var pw string
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		r, err := secretsmanager.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordArgs{
			PasswordLength:     pulumi.IntRef(40),
			ExcludePunctuation: pulumi.BoolRef(true),
			ExcludeUppercase:   pulumi.BoolRef(true),
		})
		if err != nil {
			return err
		}
		pw = r.RandomPassword
		return nil
	})
	assert.Regexp(t, `^[a-z0-9]{40}$`, pw)
	require.Len(t, m.Calls(), 1)
}

func TestWithConfigAndStack(t *testing.T) {
	var got, region, stack string
	infratest.Run(t, func(ctx *pulumi.Context) error {
		got = pconfig.New(ctx, infratest.Project).Get("azCount")
		region = pconfig.Get(ctx, "aws:region")
		stack = ctx.Stack()
		return nil
	}, infratest.WithStack("dev"), infratest.WithConfig(map[string]string{"azCount": "2"}), infratest.WithConfig(map[string]string{"aws:region": "eu-central-1"}))
	assert.Equal(t, "2", got)
	assert.Equal(t, "eu-central-1", region, "namespaced keys pass through; later calls add")
	assert.Equal(t, "dev", stack)
}

func TestAwaitUnknownInPreview(t *testing.T) {
	var known bool
	var err error
	infratest.Run(t, func(ctx *pulumi.Context) error {
		vpc, e := ec2.NewVpc(ctx, "v", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")})
		if e != nil {
			return e
		}
		// ipv6CidrBlock is neither an input nor filled by the mock: unknown at preview.
		r, e := infratest.AwaitResult[string](ctx, vpc.Ipv6CidrBlock)
		known = r.Known
		_, err = infratest.Await[string](ctx, vpc.Ipv6CidrBlock)
		return e
	}, infratest.DryRun())
	assert.False(t, known)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown")
}

func TestSnapshotMutationLeavesMocksAlone(t *testing.T) {
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		_, err := ec2.NewVpc(ctx, "v", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")})
		return err
	})
	s := m.Snapshot()
	bad := resource.NewStringProperty("0.0.0.0/0")
	mutated := s.WithInput("aws:ec2/vpc:Vpc", "cidrBlock", &bad)
	c, _ := mutated.ByType("aws:ec2/vpc:Vpc")[0].Str("cidrBlock")
	assert.Equal(t, "0.0.0.0/0", c)
	c, _ = m.One(t, "aws:ec2/vpc:Vpc").Str("cidrBlock")
	assert.Equal(t, "10.0.0.0/16", c)
	removed := s.WithInput("aws:ec2/vpc:Vpc", "cidrBlock", nil)
	assert.False(t, removed[0].Has("cidrBlock"))
	assert.True(t, s[0].Has("cidrBlock"))
	v := s[0]
	got, ok := s.ByID(v.ID)
	assert.True(t, ok)
	assert.Equal(t, v.Name, got.Name)
	assert.Len(t, infratest.ByOutput(s, "aws:ec2/vpc:Vpc", "arn", "arn:aws:ec2:eu-west-1:123456789012:vpc/"+v.ID), 1)
}

func TestStackConfigReadsCommittedFiles(t *testing.T) {
	cfg := infratest.StackConfig(t, "dev")
	assert.Equal(t, "eu-west-1", cfg["aws:region"])
	assert.Equal(t, "2", cfg[infratest.Project+":azCount"])
	assert.Contains(t, infratest.KnownTypes(), "aws:rds/instance:Instance")
}

// TestAwsxImageRemoteComponent: awsx:ecr:Image is the one known remote component. Registered
// remotely with its inputs it gets an imageUri in up mode and none in a preview; registered as
// a local component, or without its build inputs, it fails.
func TestAwsxImageRemoteComponent(t *testing.T) {
	inputs := func() pulumi.Map {
		return pulumi.Map{
			"repositoryUrl": pulumi.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/chess-platform-test/web"),
			"context":       pulumi.String("app/web/.next/standalone"),
			"dockerfile":    pulumi.String("app/web/Dockerfile"),
			"platform":      pulumi.String("linux/amd64"),
			"imageTag":      pulumi.String("c-0123"),
		}
	}
	register := func(in pulumi.Map, remote bool) pulumi.RunFunc {
		return func(ctx *pulumi.Context) error {
			var c struct {
				pulumi.ResourceState
				ImageURI pulumi.StringOutput `pulumi:"imageUri"`
			}
			if remote {
				return ctx.RegisterRemoteComponentResource("awsx:ecr:Image", "web-image", in, &c)
			}
			return ctx.RegisterComponentResource("awsx:ecr:Image", "web-image", &c)
		}
	}
	m := infratest.Run(t, register(inputs(), true))
	img := m.One(t, "awsx:ecr:Image")
	assert.True(t, img.Remote)
	uri, ok := img.Output("imageUri")
	require.True(t, ok)
	assert.Regexp(t, `^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/chess-platform-test/web@sha256:[0-9a-f]{64}$`, uri.StringValue())

	pre := infratest.Run(t, register(inputs(), true), infratest.DryRun())
	_, ok = pre.One(t, "awsx:ecr:Image").Output("imageUri")
	assert.False(t, ok, "no digest in a preview")

	_, err := infratest.RunErr(register(inputs(), false))
	assert.ErrorContains(t, err, "is not ours", "a local component of that type is not the awsx one")
	for _, k := range []string{"context", "dockerfile", "platform", "imageTag"} {
		in := inputs()
		delete(in, k)
		_, err := infratest.RunErr(register(in, true))
		assert.ErrorContains(t, err, k, "missing %s", k)
	}
}
