package rotation

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// stageRotated marks the version whose token was added with ROTATE: until a SET, the group
// accepts it and the token before it. Secrets Manager keeps custom staging labels as they are.
const stageRotated = "REDIS_ROTATED"

// redisTokenLen and redisAlphabet: ElastiCache accepts 16-128 printable characters; letters
// and digits avoid every quoting problem in URLs and configuration.
const (
	redisTokenLen = 64
	redisAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// redisAuth rotates the replication group's AUTH token without cutting a client off:
//
//   - setSecret first completes the previous rotation: the token marked REDIS_ROTATED (still
//     accepted beside its predecessor) is the current one, which every backend task has used
//     since the redeployment that rotation's finishSecret started, so a SET of the current
//     token retires the old one safely. Then ROTATE adds the pending token: the group accepts
//     both the current and the pending token, and the pending version is marked REDIS_ROTATED.
//   - finishSecret makes the pending token current and redeploys the backend; until the next
//     rotation's SET, tasks on either token connect.
type redisAuth struct{ r *Rotator }

func (a redisAuth) next(string) (string, error) { return nextToken(a.r.rand()) }

func (a redisAuth) set(ctx context.Context, ev Event, desc *secretsmanager.DescribeSecretOutput) error {
	if err := a.waitAvailable(ctx); err != nil {
		return err
	}
	rotatedID, pendingRotated := "", false
	for id, stages := range desc.VersionIdsToStages {
		if has(stages, stageRotated) {
			if id == ev.Token {
				pendingRotated = true
			} else {
				rotatedID = id
			}
		}
	}
	if pendingRotated { // a retry after the ROTATE was accepted
		return nil
	}
	if rotatedID != "" {
		cur, err := a.r.value(ctx, ev.SecretID, "", stageCurrent)
		if err != nil {
			return err
		}
		if err := a.modify(ctx, cur, ectypes.AuthTokenUpdateStrategyTypeSet); err != nil {
			return err
		}
		// Unmark at once: a retry must not SET twice (SET is allowed only after a ROTATE).
		if _, err := a.r.cfg.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: &ev.SecretID, VersionStage: aws.String(stageRotated), RemoveFromVersionId: &rotatedID,
		}); err != nil {
			return fmt.Errorf("unmarking version %s: %w", rotatedID, err)
		}
		if err := a.waitAvailable(ctx); err != nil {
			return err
		}
	}
	pending, err := a.r.value(ctx, ev.SecretID, ev.Token, stagePending)
	if err != nil {
		return err
	}
	if err := a.modify(ctx, pending, ectypes.AuthTokenUpdateStrategyTypeRotate); err != nil {
		return err
	}
	if _, err := a.r.cfg.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: &ev.SecretID, VersionStage: aws.String(stageRotated), MoveToVersionId: &ev.Token,
	}); err != nil {
		return fmt.Errorf("marking version %s: %w", ev.Token, err)
	}
	return a.waitAvailable(ctx)
}

// test checks that the group applied the token change: available, AUTH on, nothing pending.
// (The function runs outside the VPC, so it does not AUTH against the nodes itself.)
func (a redisAuth) test(ctx context.Context, _ Event) error {
	g, err := a.group(ctx)
	if err != nil {
		return err
	}
	if aws.ToString(g.Status) != "available" {
		return fmt.Errorf("replication group %s is %s, not available", a.r.cfg.ReplicationGroupID, aws.ToString(g.Status))
	}
	if !aws.ToBool(g.AuthTokenEnabled) {
		return fmt.Errorf("replication group %s has AUTH off", a.r.cfg.ReplicationGroupID)
	}
	if g.PendingModifiedValues != nil && g.PendingModifiedValues.AuthTokenStatus != "" {
		return fmt.Errorf("replication group %s still has an AUTH token change pending (%s)", a.r.cfg.ReplicationGroupID, g.PendingModifiedValues.AuthTokenStatus)
	}
	return nil
}

func (a redisAuth) modify(ctx context.Context, token string, strategy ectypes.AuthTokenUpdateStrategyType) error {
	_, err := a.r.cfg.Cache.ModifyReplicationGroup(ctx, &elasticache.ModifyReplicationGroupInput{
		ReplicationGroupId: &a.r.cfg.ReplicationGroupID, AuthToken: &token,
		AuthTokenUpdateStrategy: strategy, ApplyImmediately: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("ModifyReplicationGroup %s (%s): %w", a.r.cfg.ReplicationGroupID, strategy, err)
	}
	a.r.log.Info("AUTH token update requested", "group", a.r.cfg.ReplicationGroupID, "strategy", string(strategy))
	return nil
}

func (a redisAuth) group(ctx context.Context) (ectypes.ReplicationGroup, error) {
	out, err := a.r.cfg.Cache.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: &a.r.cfg.ReplicationGroupID})
	if err != nil {
		return ectypes.ReplicationGroup{}, fmt.Errorf("describing replication group %s: %w", a.r.cfg.ReplicationGroupID, err)
	}
	if len(out.ReplicationGroups) != 1 {
		return ectypes.ReplicationGroup{}, fmt.Errorf("replication group %s: found %d", a.r.cfg.ReplicationGroupID, len(out.ReplicationGroups))
	}
	return out.ReplicationGroups[0], nil
}

// waitAvailable polls until the group is available (a modification in progress refuses
// another), or ctx ends: the Lambda's deadline, after which Secrets Manager retries the step.
func (a redisAuth) waitAvailable(ctx context.Context) error {
	for {
		g, err := a.group(ctx)
		if err != nil {
			return err
		}
		if aws.ToString(g.Status) == "available" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replication group %s still %s: %w", a.r.cfg.ReplicationGroupID, aws.ToString(g.Status), ctx.Err())
		case <-time.After(a.r.cfg.PollEvery):
		}
	}
}

func nextToken(r io.Reader) (string, error) { return alphanumeric(r, redisTokenLen) }

// alphanumeric draws n characters of redisAlphabet uniformly.
func alphanumeric(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("generating a token: %w", err)
	}
	for i := range b {
		// 256 % 62 != 0, so reject the top of the range instead of biasing the alphabet.
		for b[i] >= 248 {
			var one [1]byte
			if _, err := io.ReadFull(r, one[:]); err != nil {
				return "", fmt.Errorf("generating a token: %w", err)
			}
			b[i] = one[0]
		}
		b[i] = redisAlphabet[int(b[i])%len(redisAlphabet)]
	}
	return string(b), nil
}
