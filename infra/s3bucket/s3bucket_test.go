package s3bucket

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/infratest"
)

func TestName(t *testing.T) {
	a := awsenv.Account{ID: "123456789012"}
	assert.Equal(t, "chess-platform-dev-assets-123456789012", Name(a, "chess-platform-dev", "assets"))
}

func TestInvalidArgsCreateNothing(t *testing.T) {
	key := pulumi.String("arn:aws:kms:eu-west-1:123456789012:key/x")
	sink := pulumi.String("sink-bucket")
	cases := map[string]struct {
		args Args
		want string
	}{
		"upper case":      {Args{Name: "Chess-Assets", KMSKeyARN: key, AccessLogBucket: sink}, "not a valid bucket name"},
		"too short":       {Args{Name: "ab", KMSKeyARN: key, AccessLogBucket: sink}, "not a valid bucket name"},
		"xn prefix":       {Args{Name: "xn--assets", KMSKeyARN: key, AccessLogBucket: sink}, "not a valid bucket name"},
		"no key":          {Args{Name: "assets-bucket", AccessLogBucket: sink}, "KMSKeyArn is required"},
		"key and defer":   {Args{Name: "assets-bucket", KMSKeyARN: key, DeferEncryption: true, AccessLogBucket: sink}, "exclude each other"},
		"no access logs":  {Args{Name: "assets-bucket", KMSKeyARN: key}, "AccessLogBucket is required"},
		"sink with key":   {Args{Name: "log-sink", LogSink: true, KMSKeyARN: key}, "SSE-S3"},
		"sink logs self":  {Args{Name: "log-sink", LogSink: true, AccessLogBucket: sink}, "does not log its own access"},
		"negative expiry": {Args{Name: "assets-bucket", KMSKeyARN: key, AccessLogBucket: sink, ExpireDays: -1}, "must not be negative"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				_, err := New(ctx, "b", &c.args)
				return err
			})
			require.ErrorContains(t, err, c.want)
			assert.Empty(t, m.Resources())
		})
	}
}

func TestDeferredEncryption(t *testing.T) {
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		b, err := New(ctx, "b", &Args{Name: "assets-bucket", DeferEncryption: true, AccessLogBucket: pulumi.String("sink-bucket")})
		if err != nil {
			return err
		}
		before := len(b.Settings)
		if err := b.Encrypt(ctx, pulumi.String("arn:aws:kms:eu-west-1:123456789012:key/x")); err != nil {
			return err
		}
		if len(b.Settings) != before+1 {
			t.Errorf("Encrypt did not add the encryption to Settings")
		}
		if err := b.Encrypt(ctx, pulumi.String("arn:aws:kms:eu-west-1:123456789012:key/y")); err == nil {
			t.Errorf("a second Encrypt must fail")
		}
		return nil
	})
	sse := m.One(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	alg, _ := sse.Str("rules[0].applyServerSideEncryptionByDefault.sseAlgorithm")
	assert.Equal(t, "aws:kms", alg)
	key, _ := sse.Bool("rules[0].bucketKeyEnabled")
	assert.True(t, key)
}

func TestLogSinkUsesSSES3WithoutLogging(t *testing.T) {
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		_, err := New(ctx, "sink", &Args{Name: "log-sink-bucket", LogSink: true, ExpireDays: 90})
		return err
	})
	sse := m.One(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	alg, _ := sse.Str("rules[0].applyServerSideEncryptionByDefault.sseAlgorithm")
	assert.Equal(t, "AES256", alg)
	assert.Empty(t, m.ByType("aws:s3/bucketLoggingV2:BucketLoggingV2"))
	life := m.One(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
	days, _ := life.Int("rules[0].expiration.days")
	assert.Equal(t, 90, days)
	nc, _ := life.Int("rules[0].noncurrentVersionExpiration.noncurrentDays")
	assert.Equal(t, 30, nc)
}
