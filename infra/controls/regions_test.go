package controls

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"chessplatform/infra/infratest"
)

func TestResourceRegionAndInProviderRegions(t *testing.T) {
	const mockKey = "arn:aws:kms:eu-west-1:1:key/k"
	prov := infratest.Resource{Type: TAWSProvider, Name: "us-east-1", ID: "p1", Custom: true,
		Inputs: resource.NewPropertyMapFromMap(map[string]any{"region": "us-east-1"})}
	key := infratest.Resource{Type: TKMSKey, Name: "k", ID: "k", Provider: "urn:pulumi:test::p::pulumi:providers:aws::us-east-1::p1",
		Outputs: resource.NewPropertyMapFromMap(map[string]any{"arn": mockKey})}
	group := infratest.Resource{Type: TLogGroup, Name: "g", ID: "g",
		Inputs: resource.PropertyMap{
			"kmsKeyId": resource.MakeSecret(resource.NewStringProperty(mockKey)),
			"nested":   resource.NewObjectProperty(resource.NewPropertyMapFromMap(map[string]any{"list": []any{"x " + mockKey}})),
		}}
	rec := infratest.Set{prov, key, group}

	assert.Equal(t, "us-east-1", ResourceRegion(rec, key, "eu-west-1"))
	assert.Equal(t, "eu-west-1", ResourceRegion(rec, group, "eu-west-1"), "default provider")
	unknown := key
	unknown.Provider = "urn:pulumi:test::p::pulumi:providers:aws::gone::p9"
	assert.Equal(t, "eu-west-1", ResourceRegion(rec, unknown, "eu-west-1"), "unknown provider falls back to the default")

	moved := InProviderRegions(rec, "eu-west-1")
	want := "arn:aws:kms:us-east-1:1:key/k"
	arn, _ := moved[1].Output("arn")
	assert.Equal(t, want, arn.StringValue())
	assert.True(t, moved[2].IsSecret("kmsKeyId"), "secrets stay secret")
	v, _ := moved[2].Str("kmsKeyId")
	assert.Equal(t, want, v)
	n, _ := moved[2].Str("nested.list[0]")
	assert.Equal(t, "x "+want, n)
	orig, _ := rec[1].Output("arn")
	assert.Equal(t, mockKey, orig.StringValue(), "the input set is not modified")
}
