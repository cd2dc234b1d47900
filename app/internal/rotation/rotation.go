// Package rotation is the Secrets Manager rotation function of the platform's generated
// secrets: the session-signing key, the Redis AUTH token and the web app's operator credential. Secrets Manager calls it four
// times per rotation with the same ClientRequestToken (the new version's id):
//
//   - createSecret: put the new value as version <token> with the stage AWSPENDING;
//   - setSecret: make the service accept it (Redis: ModifyReplicationGroup with the ROTATE
//     strategy, so the old and the new token both work; the others need nothing);
//   - testSecret: check that it works alongside the current one;
//   - finishSecret: move AWSCURRENT to it, then force a new deployment of the ECS service that
//     reads the secret (the backend; the web service for the operator credential) so that its
//     tasks load the new value (ECS injects secrets only at task start).
//
// Each step is idempotent: Secrets Manager retries a failed rotation from the step that failed.
package rotation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Kind says how a secret is rotated.
type Kind string

const (
	// SessionKey: JSON {"current","next","previous"} of token signing keys (see sessionkey.go).
	SessionKey Kind = "session-key"
	// RedisAuth: the bare ElastiCache AUTH token of one replication group.
	RedisAuth Kind = "redis-auth"
	// OperatorSecret: the web app's operator credential, letters and digits (see operator.go);
	// its rotation redeploys the web service, not the backend.
	OperatorSecret Kind = "operator-secret"
)

// Secrets Manager staging labels.
const (
	stageCurrent = "AWSCURRENT"
	stagePending = "AWSPENDING"
)

// Event is what Secrets Manager sends the rotation function.
type Event struct {
	Step     string `json:"Step"`
	SecretID string `json:"SecretId"`
	Token    string `json:"ClientRequestToken"`
}

// SecretsAPI is the part of the Secrets Manager client the function uses.
type SecretsAPI interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// CacheAPI is the part of the ElastiCache client the Redis rotation uses.
type CacheAPI interface {
	DescribeReplicationGroups(ctx context.Context, in *elasticache.DescribeReplicationGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeReplicationGroupsOutput, error)
	ModifyReplicationGroup(ctx context.Context, in *elasticache.ModifyReplicationGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyReplicationGroupOutput, error)
}

// ServiceAPI is the part of the ECS client that restarts a service's tasks.
type ServiceAPI interface {
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// Config wires a Rotator.
type Config struct {
	Secrets SecretsAPI
	Cache   CacheAPI   // required when a target is RedisAuth
	ECS     ServiceAPI // required when Service is set

	// Targets maps the ARN of every secret this function may rotate to its kind; any other
	// secret is refused.
	Targets map[string]Kind
	// ReplicationGroupID is the group whose AUTH token the RedisAuth secret holds.
	ReplicationGroupID string
	// Cluster and Service name the backend's ECS service, redeployed after each rotation of a
	// SessionKey or RedisAuth secret (empty: no redeployment).
	Cluster, Service string
	// WebService names the web app's ECS service (in Cluster), redeployed after each rotation of
	// the OperatorSecret; required with an OperatorSecret target.
	WebService string

	// PollEvery is how often the Redis rotation asks whether the group is available again
	// (default 10 s).
	PollEvery time.Duration
	Rand      io.Reader // default crypto/rand
	Log       *slog.Logger
}

// Rotator handles rotation events.
type Rotator struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a Rotator.
func New(cfg Config) (*Rotator, error) {
	var errs []error
	if cfg.Secrets == nil {
		errs = append(errs, errors.New("a Secrets Manager client is required"))
	}
	if len(cfg.Targets) == 0 {
		errs = append(errs, errors.New("no secrets to rotate"))
	}
	for arn, k := range cfg.Targets {
		switch k {
		case SessionKey:
		case OperatorSecret:
			if cfg.Cluster == "" || cfg.WebService == "" || cfg.ECS == nil {
				errs = append(errs, fmt.Errorf("secret %s: operator secret rotation needs an ECS client, ECS_CLUSTER and ECS_WEB_SERVICE (the web tasks read it only at start)", arn))
			}
		case RedisAuth:
			if cfg.Cache == nil || cfg.ReplicationGroupID == "" {
				errs = append(errs, fmt.Errorf("secret %s: Redis rotation needs an ElastiCache client and REPLICATION_GROUP_ID", arn))
			}
		default:
			errs = append(errs, fmt.Errorf("secret %s: unknown kind %q (want %s, %s or %s)", arn, k, SessionKey, RedisAuth, OperatorSecret))
		}
	}
	services := cfg.Service != "" || cfg.WebService != ""
	if (cfg.Cluster != "") != services {
		errs = append(errs, errors.New("ECS_CLUSTER and ECS_SERVICE (and/or ECS_WEB_SERVICE) go together"))
	}
	if services && cfg.ECS == nil {
		errs = append(errs, errors.New("redeploying a service needs an ECS client"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 10 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Rotator{cfg: cfg, log: log}, nil
}

// Handle runs one step of a rotation.
func (r *Rotator) Handle(ctx context.Context, ev Event) error {
	kind, ok := r.cfg.Targets[ev.SecretID]
	if !ok {
		return fmt.Errorf("secret %q is not one this function rotates", ev.SecretID)
	}
	if ev.Token == "" {
		return errors.New("ClientRequestToken is empty")
	}
	switch ev.Step {
	case "createSecret", "setSecret", "testSecret", "finishSecret":
	default:
		return fmt.Errorf("unknown step %q (want createSecret, setSecret, testSecret or finishSecret)", ev.Step)
	}
	log := r.log.With("secret", ev.SecretID, "step", ev.Step, "version", ev.Token, "kind", string(kind))
	desc, err := r.cfg.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &ev.SecretID})
	if err != nil {
		return fmt.Errorf("describing secret: %w", err)
	}
	stages, known := desc.VersionIdsToStages[ev.Token]
	switch {
	case known && has(stages, stageCurrent):
		log.Info("version is already current; nothing to do")
		return nil
	case known && !has(stages, stagePending):
		return fmt.Errorf("version %s of %s is not pending rotation (stages %v)", ev.Token, ev.SecretID, stages)
	case !known && ev.Step != "createSecret":
		return fmt.Errorf("version %s of %s does not exist: createSecret has not run", ev.Token, ev.SecretID)
	}
	var k kindRotator
	switch kind {
	case SessionKey:
		k = sessionKeys{r}
	case RedisAuth:
		k = redisAuth{r}
	case OperatorSecret:
		k = operatorSecret{r}
	}
	switch ev.Step {
	case "createSecret":
		err = r.create(ctx, ev, k)
	case "setSecret":
		err = k.set(ctx, ev, desc)
	case "testSecret":
		err = k.test(ctx, ev)
	case "finishSecret":
		err = r.finish(ctx, ev, desc, r.serviceFor(kind))
	}
	if err != nil {
		log.Error("rotation step failed", "err", err)
		return fmt.Errorf("%s of %s: %w", ev.Step, ev.SecretID, err)
	}
	log.Info("rotation step done")
	return nil
}

// kindRotator is what differs between the kinds of secret.
type kindRotator interface {
	// next derives the new value from the current one.
	next(current string) (string, error)
	set(ctx context.Context, ev Event, desc *secretsmanager.DescribeSecretOutput) error
	test(ctx context.Context, ev Event) error
}

// create puts the new value as the pending version, unless it already exists (a retry).
func (r *Rotator) create(ctx context.Context, ev Event, k kindRotator) error {
	cur, err := r.value(ctx, ev.SecretID, "", stageCurrent)
	if err != nil {
		return err
	}
	if _, err := r.value(ctx, ev.SecretID, ev.Token, stagePending); err == nil {
		return nil
	} else if !notFound(err) {
		return err
	}
	v, err := k.next(cur)
	if err != nil {
		return err
	}
	_, err = r.cfg.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: &ev.SecretID, ClientRequestToken: &ev.Token, SecretString: &v, VersionStages: []string{stagePending},
	})
	if err != nil {
		return fmt.Errorf("putting the pending version: %w", err)
	}
	return nil
}

// serviceFor is the ECS service whose tasks read a kind of secret ("" : none configured).
func (r *Rotator) serviceFor(k Kind) string {
	if k == OperatorSecret {
		return r.cfg.WebService
	}
	return r.cfg.Service
}

// finish makes the pending version current, then redeploys the service that reads it.
func (r *Rotator) finish(ctx context.Context, ev Event, desc *secretsmanager.DescribeSecretOutput, service string) error {
	old := ""
	for id, stages := range desc.VersionIdsToStages {
		if has(stages, stageCurrent) {
			old = id
		}
	}
	_, err := r.cfg.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: &ev.SecretID, VersionStage: aws.String(stageCurrent), MoveToVersionId: &ev.Token, RemoveFromVersionId: nonEmpty(old),
	})
	if err != nil {
		return fmt.Errorf("moving %s: %w", stageCurrent, err)
	}
	return r.redeploy(ctx, service)
}

// redeploy starts new tasks of service, which read the now current values at start. The old
// backend tasks keep serving until the new ones are healthy, and both accept both values (ROTATE
// keeps the old Redis token valid; every task accepts the previous and the next signing key).
// Web tasks started before an operator secret rotation accept only the old secret until they
// are replaced.
func (r *Rotator) redeploy(ctx context.Context, service string) error {
	if service == "" {
		return nil
	}
	_, err := r.cfg.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: &r.cfg.Cluster, Service: &service, ForceNewDeployment: true,
	})
	if err != nil {
		return fmt.Errorf("redeploying %s/%s: %w", r.cfg.Cluster, service, err)
	}
	r.log.Info("redeployment started", "cluster", r.cfg.Cluster, "service", service)
	return nil
}

// value reads a version's string (by id and/or stage).
func (r *Rotator) value(ctx context.Context, arn, id, stage string) (string, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: &arn, VersionStage: nonEmpty(stage), VersionId: nonEmpty(id)}
	out, err := r.cfg.Secrets.GetSecretValue(ctx, in)
	if err != nil {
		return "", fmt.Errorf("reading %s version %q stage %s: %w", arn, id, stage, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("%s version %q stage %s has no SecretString", arn, id, stage)
	}
	return *out.SecretString, nil
}

func notFound(err error) bool {
	var nf *smtypes.ResourceNotFoundException
	return errors.As(err, &nf)
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
