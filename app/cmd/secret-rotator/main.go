// Command secret-rotator is the Secrets Manager rotation Lambda of the session-signing key,
// the Redis AUTH token and the web app's operator credential (runtime provided.al2023, arm64; `make build-rotator` builds
// dist/secret-rotator.zip). See package rotation for the four steps.
//
// Environment: SESSION_KEY_SECRET_ARN, REDIS_AUTH_SECRET_ARN and/or OPERATOR_SECRET_ARN (the
// secrets it may rotate; any other is refused), REPLICATION_GROUP_ID (with the Redis secret),
// ECS_CLUSTER, ECS_SERVICE (the backend service redeployed after a session key or Redis token
// rotation) and ECS_WEB_SERVICE (the web service redeployed after an operator secret rotation;
// required with OPERATOR_SECRET_ARN), LOG_LEVEL (info).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"chessplatform/app/internal/rotation"
)

func main() {
	ctx := context.Background()
	ac, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "secret-rotator: AWS configuration:", err)
		os.Exit(1)
	}
	r, err := setup(os.Getenv, ac, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "secret-rotator:", err)
		os.Exit(1)
	}
	lambda.Start(r.Handle)
}

// setup builds the Rotator from the environment and one AWS configuration.
func setup(getenv func(string) string, ac aws.Config, out io.Writer) (*rotation.Rotator, error) {
	level := slog.LevelInfo
	if s := getenv("LOG_LEVEL"); s != "" {
		if err := level.UnmarshalText([]byte(s)); err != nil {
			return nil, fmt.Errorf("LOG_LEVEL %q: must be debug, info, warn or error", s)
		}
	}
	cfg := rotation.Config{
		Secrets: secretsmanager.NewFromConfig(ac), Targets: map[string]rotation.Kind{},
		ReplicationGroupID: getenv("REPLICATION_GROUP_ID"),
		Cluster:            getenv("ECS_CLUSTER"), Service: getenv("ECS_SERVICE"), WebService: getenv("ECS_WEB_SERVICE"),
		Log: slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level})),
	}
	if arn := getenv("SESSION_KEY_SECRET_ARN"); arn != "" {
		cfg.Targets[arn] = rotation.SessionKey
	}
	if arn := getenv("REDIS_AUTH_SECRET_ARN"); arn != "" {
		cfg.Targets[arn] = rotation.RedisAuth
		cfg.Cache = elasticache.NewFromConfig(ac)
	}
	if arn := getenv("OPERATOR_SECRET_ARN"); arn != "" {
		cfg.Targets[arn] = rotation.OperatorSecret
	}
	if cfg.Service != "" || cfg.WebService != "" {
		cfg.ECS = ecs.NewFromConfig(ac)
	}
	if len(cfg.Targets) == 0 {
		return nil, fmt.Errorf("set SESSION_KEY_SECRET_ARN, REDIS_AUTH_SECRET_ARN and/or OPERATOR_SECRET_ARN")
	}
	return rotation.New(cfg)
}
