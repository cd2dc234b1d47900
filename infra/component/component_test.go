package component

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
)

func valid() Common {
	return Common{Account: awsenv.Account{ID: "123456789012", Region: "eu-west-1"}, NamePrefix: "chess-platform-test",
		LogRetentionDays: 365, KMSDeletionWindowDays: 30}
}

// TestCheck: each missing or out-of-range common argument is named.
func TestCheck(t *testing.T) {
	assert.NoError(t, valid().Check().Err())
	for want, mutate := range map[string]func(*Common){
		"Account is required":               func(c *Common) { c.Account.Region = "" },
		"NamePrefix is required":            func(c *Common) { c.NamePrefix = "" },
		"LogRetentionDays is required":      func(c *Common) { c.LogRetentionDays = 0 },
		"KMSDeletionWindowDays 6 must be 7": func(c *Common) { c.KMSDeletionWindowDays = 6 },
		"KMSDeletionWindowDays 31":          func(c *Common) { c.KMSDeletionWindowDays = 31 },
	} {
		c := valid()
		mutate(&c)
		assert.ErrorContains(t, c.Check().Err(), want)
	}
}

// TestWrap: the error names the component, the part that failed and keeps the cause.
func TestWrap(t *testing.T) {
	cause := errors.New("boom")
	err := Wrap("rds", "database")("log group x", cause)
	require.ErrorIs(t, err, cause)
	assert.Equal(t, "rds database: log group x: boom", err.Error())
}
