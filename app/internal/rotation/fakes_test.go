package rotation

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

// fakeCache is a recording ElastiCache replication group with the AUTH token rules the
// documentation gives (moto_server 5.2.1 has no ModifyReplicationGroup): ROTATE adds a token
// beside the one in use (at most two), SET (allowed only after a ROTATE) keeps one token, and
// a modification keeps the group "modifying" for a few describes, refusing another meanwhile.
type fakeCache struct {
	mu       sync.Mutex
	id       string
	accepted []string
	rotated  bool
	busy     int
	calls    []string
}

func newFakeCache(id, token string) *fakeCache { return &fakeCache{id: id, accepted: []string{token}} }

func (f *fakeCache) DescribeReplicationGroups(_ context.Context, in *elasticache.DescribeReplicationGroupsInput, _ ...func(*elasticache.Options)) (*elasticache.DescribeReplicationGroupsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.ReplicationGroupId) != f.id {
		return nil, fmt.Errorf("ReplicationGroupNotFoundFault: %s", aws.ToString(in.ReplicationGroupId))
	}
	g := ectypes.ReplicationGroup{ReplicationGroupId: &f.id, Status: aws.String("available"), AuthTokenEnabled: aws.Bool(true)}
	if f.busy > 0 {
		f.busy--
		g.Status = aws.String("modifying")
		g.PendingModifiedValues = &ectypes.ReplicationGroupPendingModifiedValues{AuthTokenStatus: ectypes.AuthTokenUpdateStatusRotating}
	}
	return &elasticache.DescribeReplicationGroupsOutput{ReplicationGroups: []ectypes.ReplicationGroup{g}}, nil
}

func (f *fakeCache) ModifyReplicationGroup(_ context.Context, in *elasticache.ModifyReplicationGroupInput, _ ...func(*elasticache.Options)) (*elasticache.ModifyReplicationGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := aws.ToString(in.AuthToken)
	f.calls = append(f.calls, string(in.AuthTokenUpdateStrategy)+" "+tok)
	switch {
	case aws.ToString(in.ReplicationGroupId) != f.id:
		return nil, fmt.Errorf("ReplicationGroupNotFoundFault")
	case f.busy > 0:
		return nil, fmt.Errorf("InvalidReplicationGroupStateFault: modifying")
	case !aws.ToBool(in.ApplyImmediately):
		return nil, fmt.Errorf("test: the change would wait for the maintenance window")
	}
	switch in.AuthTokenUpdateStrategy {
	case ectypes.AuthTokenUpdateStrategyTypeRotate:
		if len(f.accepted) == 2 {
			return nil, fmt.Errorf("InvalidParameterCombination: two tokens in use; SET one first")
		}
		f.accepted, f.rotated = append(f.accepted, tok), true
	case ectypes.AuthTokenUpdateStrategyTypeSet:
		if !f.rotated {
			return nil, fmt.Errorf("InvalidParameterCombination: SET is allowed only after ROTATE")
		}
		if !slices.Contains(f.accepted, tok) {
			return nil, fmt.Errorf("test: SET of a token no client has")
		}
		f.accepted, f.rotated = []string{tok}, false
	default:
		return nil, fmt.Errorf("test: strategy %q", in.AuthTokenUpdateStrategy)
	}
	f.busy = 2
	return &elasticache.ModifyReplicationGroupOutput{}, nil
}

func (f *fakeCache) tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.accepted)
}

// fakeECS records forced deployments.
type fakeECS struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeECS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !in.ForceNewDeployment {
		return nil, fmt.Errorf("test: not a forced deployment")
	}
	f.calls = append(f.calls, aws.ToString(in.Cluster)+"/"+aws.ToString(in.Service))
	return &ecs.UpdateServiceOutput{}, nil
}

func (f *fakeECS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}
