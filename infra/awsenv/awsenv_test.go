package awsenv_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/infratest"
)

func TestLookupAndNames(t *testing.T) {
	var a awsenv.Account
	infratest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		a, err = awsenv.Lookup(ctx)
		return err
	})
	assert.Equal(t, awsenv.Account{ID: "123456789012", Region: "eu-west-1", Partition: "aws", DNSSuffix: "amazonaws.com", ServicePrefix: "com.amazonaws"}, a)
	assert.Equal(t, "arn:aws:iam::123456789012:root", a.RootARN())
	assert.Equal(t, "arn:aws:logs:eu-west-1:123456789012:log-group:/x", a.ARN("logs", "log-group:/x"))
	assert.Equal(t, "arn:aws:iam::123456789012:role/r", a.GlobalARN("iam", "role/r"))
	assert.Equal(t, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", a.ManagedPolicyARN("service-role/AmazonRDSEnhancedMonitoringRole"))
	assert.Equal(t, "monitoring.rds.amazonaws.com", a.ServicePrincipal("monitoring.rds"))
	assert.Equal(t, "logs.eu-west-1.amazonaws.com", a.RegionalServicePrincipal("logs"))
	assert.Equal(t, "com.amazonaws.eu-west-1.ecr.dkr", a.EndpointService("ecr.dkr"))
}

func TestTagsCopiesBase(t *testing.T) {
	base := map[string]string{"Project": "p"}
	tags := awsenv.Tags(base, "n")
	assert.Len(t, tags, 2)
	assert.Equal(t, map[string]string{"Project": "p"}, base, "the base map is not modified")
	assert.Len(t, awsenv.Tags(nil, "n"), 1)
}
