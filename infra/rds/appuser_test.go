package rds_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/rds"
)

// The user the infrastructure grants rds-db:connect for is the role the migrations create.
func TestAppUserIsTheMigrationsRole(t *testing.T) {
	files, err := filepath.Glob("../../app/internal/store/pgstore/migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	create := regexp.MustCompile(`CREATE ROLE (\w+) LOGIN`)
	var roles []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range create.FindAllStringSubmatch(string(b), -1) {
			roles = append(roles, m[1])
		}
	}
	assert.Equal(t, []string{rds.AppUser}, roles)
	a := awsenv.Account{ID: "123456789012", Region: "eu-west-1", Partition: "aws"}
	assert.Equal(t, "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABC/chess_app", rds.ConnectARN(a, "db-ABC", rds.AppUser))
}
