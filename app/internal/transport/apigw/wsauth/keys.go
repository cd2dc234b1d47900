package wsauth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"chessplatform/app/internal/authn"
)

// Environment variables of the authorizer.
const (
	EnvTokenKey          = "TOKEN_KEY"            // hex or base64 key, ≥ 32 bytes (local runs, tests)
	EnvTokenKeysPrevious = "TOKEN_KEYS_PREVIOUS"  // comma-separated older keys still accepted
	EnvTokenKeySecretARN = "TOKEN_KEY_SECRET_ARN" // Secrets Manager secret holding the keys (AWS)
	EnvKeyRefresh        = "TOKEN_KEY_REFRESH"    // how long a fetched secret is trusted; 5m
)

// StaticKeys is a fixed signer.
type StaticKeys struct{ S *authn.Signer }

// Signer implements KeySource.
func (k StaticKeys) Signer(context.Context) (*authn.Signer, error) { return k.S, nil }

// SecretGetter is the Secrets Manager call the authorizer needs.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretKeys reads the keys from a Secrets Manager secret and keeps them for Refresh; when a
// refresh fails the keys it has keep serving (a rotation adds the new key as current and keeps
// the old one as previous, so old keys stay valid while a refresh is late).
//
// The secret's SecretString is either one encoded key (hex or base64, ≥ 32 bytes) or JSON
// {"current": "<key>", "previous": ["<key>", ...]}; a SecretBinary is the raw current key.
// Lambda environment variables are visible to anyone who can read the function's
// configuration, which is why AWS deployments use this rather than TOKEN_KEY.
type SecretKeys struct {
	Client  SecretGetter
	ARN     string
	Refresh time.Duration
	Log     *slog.Logger
	Now     func() time.Time

	mu      sync.Mutex
	signer  *authn.Signer
	fetched time.Time
}

// Signer implements KeySource.
func (k *SecretKeys) Signer(ctx context.Context) (*authn.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	if k.Now != nil {
		now = k.Now()
	}
	if k.signer != nil && now.Sub(k.fetched) < k.Refresh {
		return k.signer, nil
	}
	s, err := k.fetch(ctx)
	if err != nil {
		if k.signer != nil {
			if k.Log != nil {
				k.Log.WarnContext(ctx, "refreshing token keys failed; keeping the cached ones", "err", err)
			}
			k.fetched = now // try again after another Refresh, not on every request
			return k.signer, nil
		}
		return nil, err
	}
	k.signer, k.fetched = s, now
	return s, nil
}

func (k *SecretKeys) fetch(ctx context.Context) (*authn.Signer, error) {
	out, err := k.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.ARN)})
	if err != nil {
		return nil, fmt.Errorf("reading secret %s: %w", k.ARN, err)
	}
	var current []byte
	var previous [][]byte
	switch {
	case out.SecretString != nil:
		current, previous, err = parseSecret(*out.SecretString)
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", k.ARN, err)
		}
	case len(out.SecretBinary) > 0:
		current = bytes.Clone(out.SecretBinary)
	default:
		return nil, fmt.Errorf("secret %s is empty", k.ARN)
	}
	s, err := authn.NewSigner(current, previous...)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", k.ARN, err)
	}
	return s, nil
}

// parseSecret reads a bare encoded key or an authn.KeySet document ({"current","next",
// "previous"}; next and previous keys are accepted, not used to sign).
func parseSecret(s string) ([]byte, [][]byte, error) {
	ks, err := authn.ParseKeySet(s)
	if err != nil {
		return nil, nil, err
	}
	return ks.Keys()
}

// ParseKey decodes a key as authn.ParseKey does.
func ParseKey(s string) ([]byte, error) { return authn.ParseKey(s) }

// KeysFromEnv builds the key source the environment asks for: TOKEN_KEY_SECRET_ARN (Secrets
// Manager, through newClient) or TOKEN_KEY (+ TOKEN_KEYS_PREVIOUS). Exactly one must be set.
func KeysFromEnv(ctx context.Context, getenv func(string) string, newClient func(context.Context) (SecretGetter, error), log *slog.Logger) (KeySource, error) {
	arn, key := getenv(EnvTokenKeySecretARN), getenv(EnvTokenKey)
	switch {
	case arn != "" && key != "":
		return nil, fmt.Errorf("set %s or %s, not both", EnvTokenKeySecretARN, EnvTokenKey)
	case arn != "":
		refresh := 5 * time.Minute
		if s := getenv(EnvKeyRefresh); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < time.Second {
				return nil, fmt.Errorf("%s=%q: want a duration of at least 1s", EnvKeyRefresh, s)
			}
			refresh = d
		}
		client, err := newClient(ctx)
		if err != nil {
			return nil, fmt.Errorf("secrets manager client: %w", err)
		}
		return &SecretKeys{Client: client, ARN: arn, Refresh: refresh, Log: log}, nil
	case key != "":
		cur, err := ParseKey(key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvTokenKey, err)
		}
		var prev [][]byte
		for i, p := range strings.Split(getenv(EnvTokenKeysPrevious), ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			k, err := ParseKey(p)
			if err != nil {
				return nil, fmt.Errorf("%s entry %d: %w", EnvTokenKeysPrevious, i+1, err)
			}
			prev = append(prev, k)
		}
		s, err := authn.NewSigner(cur, prev...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvTokenKey, err)
		}
		return StaticKeys{S: s}, nil
	default:
		return nil, fmt.Errorf("%s or %s is required", EnvTokenKeySecretARN, EnvTokenKey)
	}
}
