package ecsservices_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMakeMigrate runs `make migrate` with stand-ins for the pulumi and aws CLIs: it starts the
// stack's migrate task definition on Fargate in the private subnets and the backend group without
// a public IP, waits for it, and fails (naming the exit code) unless the container exited 0.
func TestMakeMigrate(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed (.ci/run installs it)")
	}
	root := repoRoot(t)
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls.log")
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755))
	}
	write("pulumi", `case "$*" in
  "stack output --stack dev clusterName") echo chess-platform-dev ;;
  "stack output --stack dev migrateTaskDefinitionArn") echo arn:aws:ecs:eu-west-1:123456789012:task-definition/chess-platform-dev-migrate:7 ;;
  "stack output --stack dev backendSecurityGroupId") echo sg-0backend ;;
  "stack output --stack dev privateSubnetIds --json") echo '["subnet-a","subnet-b"]' ;;
  *) echo "unexpected pulumi $*" >&2; exit 2 ;;
esac
`)
	write("aws", `echo "aws $*" >> "`+calls+`"
case "$1 $2" in
  "ecs run-task") echo arn:aws:ecs:eu-west-1:123456789012:task/chess-platform-dev/abc ;;
  "ecs wait") ;;
  "ecs describe-tasks") echo "$MIGRATE_EXIT" ;;
  *) exit 2 ;;
esac
`)
	run := func(exit string) (string, error) {
		_ = os.Remove(calls)
		cmd := exec.Command("make", "-C", root, "--no-print-directory", "migrate", "STACK=dev", "PULUMI="+filepath.Join(bin, "pulumi"))
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "MIGRATE_EXIT="+exit)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run("0")
	require.NoError(t, err, out)
	assert.Contains(t, out, "schema migrated")
	log, err := os.ReadFile(calls)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	require.Len(t, lines, 3)
	for _, want := range []string{"ecs run-task", "--cluster chess-platform-dev",
		"--task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/chess-platform-dev-migrate:7", "--launch-type FARGATE",
		"awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-0backend],assignPublicIp=DISABLED}"} {
		assert.Contains(t, lines[0], want)
	}
	assert.Contains(t, lines[1], "ecs wait tasks-stopped --cluster chess-platform-dev --tasks arn:aws:ecs:eu-west-1:123456789012:task/chess-platform-dev/abc")
	assert.Contains(t, lines[2], "ecs describe-tasks")

	out, err = run("1")
	require.Error(t, err, out)
	assert.Contains(t, out, "schema migration failed (exit code 1)")
	out, err = run("None") // the container never ran
	require.Error(t, err, out)
}
