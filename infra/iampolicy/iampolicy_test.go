package iampolicy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONRoundTrip(t *testing.T) {
	doc := New(Statement{
		Sid:       "S",
		Effect:    "Allow",
		Principal: &Principal{Service: List{"logs.eu-west-1.amazonaws.com"}},
		Action:    List{"kms:Decrypt"},
		Resource:  List{"*"},
		Condition: Conditions{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": List{"arn:aws:logs:eu-west-1:1:log-group:/x/*"}}},
	})
	s, err := doc.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Principal":{"Service":["logs.eu-west-1.amazonaws.com"]},"Action":["kms:Decrypt"],"Resource":["*"],"Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":["arn:aws:logs:eu-west-1:1:log-group:/x/*"]}}}]}`, s)
	back, err := Parse(s)
	require.NoError(t, err)
	assert.Equal(t, doc, back)
}

func TestParseAcceptsIAMShorthands(t *testing.T) {
	d, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::1:root"},"NotAction":"iam:*"}]}`)
	require.NoError(t, err)
	assert.True(t, d.Statement[0].Principal.Wildcard)
	assert.Equal(t, List{"s3:GetObject"}, d.Statement[0].Action)
	assert.Equal(t, List{"arn:aws:iam::1:root"}, d.Statement[1].Principal.AWS)
	assert.Equal(t, List{"iam:*"}, d.Statement[1].NotAction)
	s, err := d.JSON()
	require.NoError(t, err)
	assert.Contains(t, s, `"Principal":"*"`)

	for _, bad := range []string{`{`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"me","Action":"x"}]}`, `{"Statement":[{"Action":1}]}`} {
		_, err := Parse(bad)
		assert.Error(t, err, bad)
	}
}

func TestJSONRejectsMalformedDocuments(t *testing.T) {
	for name, d := range map[string]Document{
		"no statements": New(),
		"bad effect":    New(Statement{Effect: "allow", Action: List{"a:b"}}),
		"no action":     New(Statement{Effect: "Allow"}),
		"wrong version": {Version: "2008-10-17", Statement: []Statement{{Effect: "Allow", Action: List{"a:b"}}}},
	} {
		_, err := d.JSON()
		assert.Error(t, err, name)
	}
}

func TestServiceTrust(t *testing.T) {
	s, err := ServiceTrust("monitoring.rds.amazonaws.com", "123456789012").JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"TrustService","Effect":"Allow","Principal":{"Service":["monitoring.rds.amazonaws.com"]},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceAccount":["123456789012"]}}}]}`, s)
}
