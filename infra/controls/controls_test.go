package controls

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
)

func TestGlobMatch(t *testing.T) {
	p := "arn:aws:logs:eu-west-1:1:log-group:/app/vpc/*"
	assert.True(t, globMatch(p, "arn:aws:logs:eu-west-1:1:log-group:/app/vpc/flow-logs"))
	assert.False(t, globMatch(p, "arn:aws:logs:eu-west-1:1:log-group:/app/rds/x"))
	assert.False(t, globMatch("a.b", "axb"), "dots are literal")
	assert.True(t, globMatch("a?c", "abc"))
}

func TestPolicyIsExact(t *testing.T) {
	ok := iampolicy.New(iampolicy.Statement{Effect: "Allow", Action: iampolicy.List{"logs:PutLogEvents"}, Resource: iampolicy.List{"arn:aws:logs:x"}})
	assert.NoError(t, policyIsExact(ok))
	for name, s := range map[string]iampolicy.Statement{
		"star action":   {Effect: "Allow", Action: iampolicy.List{"*"}, Resource: iampolicy.List{"arn:x"}},
		"service star":  {Effect: "Allow", Action: iampolicy.List{"s3:*"}, Resource: iampolicy.List{"arn:x"}},
		"star resource": {Effect: "Allow", Action: iampolicy.List{"s3:GetObject"}, Resource: iampolicy.List{"*"}},
		"not action":    {Effect: "Allow", NotAction: iampolicy.List{"iam:CreateUser"}, Resource: iampolicy.List{"arn:x"}},
	} {
		assert.Error(t, policyIsExact(iampolicy.New(s)), name)
	}
}

func TestGraphReportsMalformedRules(t *testing.T) {
	sg := infratest.Resource{Type: TSecurityGroup, Name: "network-web-sg", ID: "sg-1", Inputs: resource.PropertyMap{}}
	both := infratest.Resource{Type: TIngress, Name: "r", Inputs: resource.NewPropertyMapFromMap(map[string]any{
		"securityGroupId": "sg-1", "cidrIpv4": "0.0.0.0/0", "referencedSecurityGroupId": "sg-1", "fromPort": 1,
	})}
	unknown := infratest.Resource{Type: TEgress, Name: "e", Inputs: resource.NewPropertyMapFromMap(map[string]any{
		"securityGroupId": "sg-9", "fromPort": 1,
	})}
	_, _, err := Graph(infratest.Set{sg, both, unknown})
	assert.ErrorContains(t, err, "names 2 peers")
	assert.ErrorContains(t, err, "unknown group sg-9")
	assert.ErrorContains(t, err, "has no peer")
}
