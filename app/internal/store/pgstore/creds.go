package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// CredentialSource gives the user name and password for each new connection. Implementations
// are safe for concurrent use.
type CredentialSource interface {
	// Credentials returns the user (empty: keep the configured one) and password to use now.
	Credentials(ctx context.Context) (user, password string, err error)
	// Refused tells the source that the server rejected a connection's credentials (after a
	// rotation, say): the next Credentials call must not simply return the cached ones.
	Refused()
}

// SecretsAPI is the part of the Secrets Manager client a SecretSource uses.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// DefaultSecretTTL is how long a secret read from Secrets Manager is reused before it is read
// again, rotation or not. RDS rotates every 7 days; a refusal re-reads at once anyway.
const DefaultSecretTTL = 10 * time.Minute

// refusedReread limits re-reads after back-to-back refusals (a wrong secret must not turn every
// connection attempt into a Secrets Manager call).
const refusedReread = time.Second

// SecretSource reads credentials from a Secrets Manager secret holding JSON
// {"username": ..., "password": ...}, caches them and reads them again when they expire or the
// server refuses them.
type SecretSource struct {
	api SecretsAPI
	arn string
	ttl time.Duration
	now func() time.Time

	mu         sync.Mutex
	user, pass string
	fetchedAt  time.Time // zero: nothing cached
	stale      bool      // refused since fetchedAt
	forcedAt   time.Time // last read caused by a refusal
}

// NewSecretSource returns a source for the secret arn (ttl <= 0: DefaultSecretTTL).
func NewSecretSource(api SecretsAPI, arn string, ttl time.Duration) *SecretSource {
	if ttl <= 0 {
		ttl = DefaultSecretTTL
	}
	return &SecretSource{api: api, arn: arn, ttl: ttl, now: time.Now}
}

// Credentials implements CredentialSource.
func (s *SecretSource) Credentials(ctx context.Context) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	cached := !s.fetchedAt.IsZero() && now.Sub(s.fetchedAt) < s.ttl
	if cached && !s.stale {
		return s.user, s.pass, nil
	}
	if cached && s.stale {
		if now.Sub(s.forcedAt) < refusedReread {
			return s.user, s.pass, nil // refused again right after a re-read: do not hammer
		}
		s.forcedAt = now
	}
	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &s.arn})
	if err != nil {
		return "", "", fmt.Errorf("reading database secret %s: %w", s.arn, err)
	}
	if out.SecretString == nil {
		return "", "", fmt.Errorf("database secret %s has no SecretString", s.arn)
	}
	var v struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(*out.SecretString), &v); err != nil {
		return "", "", fmt.Errorf("database secret %s is not JSON with username and password: %w", s.arn, err)
	}
	if v.Password == "" {
		return "", "", fmt.Errorf("database secret %s has no password", s.arn)
	}
	s.user, s.pass, s.fetchedAt, s.stale = v.Username, v.Password, now, false
	return s.user, s.pass, nil
}

// Refused implements CredentialSource.
func (s *SecretSource) Refused() {
	s.mu.Lock()
	s.stale = true
	s.mu.Unlock()
}

// IAMSource makes an RDS IAM auth token (valid 15 minutes) for every new connection.
type IAMSource struct {
	endpoint, region, user string
	creds                  aws.CredentialsProvider
}

// NewIAMSource returns a source of tokens for user at host:port in region.
func NewIAMSource(host string, port int, region, user string, creds aws.CredentialsProvider) (*IAMSource, error) {
	if region == "" {
		return nil, errors.New("AWS_REGION: required for IAM database auth")
	}
	if creds == nil {
		return nil, errors.New("IAM database auth needs AWS credentials")
	}
	if port == 0 {
		port = 5432
	}
	return &IAMSource{endpoint: net.JoinHostPort(host, strconv.Itoa(port)), region: region, user: user, creds: creds}, nil
}

// Credentials implements CredentialSource.
func (s *IAMSource) Credentials(ctx context.Context) (string, string, error) {
	tok, err := auth.BuildAuthToken(ctx, s.endpoint, s.region, s.user, s.creds)
	if err != nil {
		return "", "", fmt.Errorf("building IAM auth token for %s@%s: %w", s.user, s.endpoint, err)
	}
	return s.user, tok, nil
}

// Refused implements CredentialSource: every connection gets a fresh token anyway.
func (s *IAMSource) Refused() {}
