// Command ws-authorizer is the API Gateway WebSocket $connect Lambda REQUEST authorizer
// (runtime provided.al2023, arm64; `make build-authorizer` builds dist/ws-authorizer.zip).
//
// Keys: TOKEN_KEY_SECRET_ARN names a Secrets Manager secret with the token keys (read at cold
// start and refreshed every TOKEN_KEY_REFRESH, 5m by default; the function's role needs
// secretsmanager:GetSecretValue on it, plus kms:Decrypt if it uses a customer managed key), or
// TOKEN_KEY (+ TOKEN_KEYS_PREVIOUS) holds them directly, for local runs. LOG_LEVEL sets the
// log level (info).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"chessplatform/app/internal/transport/apigw/wsauth"
)

func main() {
	a, err := setup(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ws-authorizer:", err)
		os.Exit(1)
	}
	lambda.Start(a.Handle)
}

// setup reads the configuration and warms the key cache during the init phase, so the first
// connection does not pay for the Secrets Manager call. A failure to read the secret here is
// logged, not fatal: invocations retry it.
func setup(ctx context.Context, getenv func(string) string, out *os.File) (*wsauth.Authorizer, error) {
	level := slog.LevelInfo
	if s := getenv("LOG_LEVEL"); s != "" {
		if err := level.UnmarshalText([]byte(s)); err != nil {
			return nil, fmt.Errorf("LOG_LEVEL %q: must be debug, info, warn or error", s)
		}
	}
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))
	keys, err := wsauth.KeysFromEnv(ctx, getenv, newSecretsClient, log)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := keys.Signer(wctx); err != nil {
		log.Error("loading token keys at start", "err", err)
	}
	return wsauth.New(keys, log, nil), nil
}

func newSecretsClient(ctx context.Context) (wsauth.SecretGetter, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return secretsmanager.NewFromConfig(cfg), nil
}
