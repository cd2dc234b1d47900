package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/store"
)

// PutConn implements store.Gateway.
func (s *Store) PutConn(ctx context.Context, c store.GatewayConn, ttl time.Duration) error {
	if c.ID == "" || c.Owner == "" {
		return errors.New("put connection: id and owner are required")
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("put connection %s: ttl %v must be at least 1 ms", c.ID, ttl)
	}
	guest := "0"
	if c.Guest {
		guest = "1"
	}
	k := s.connKey(c.ID)
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k)
		p.HSet(ctx, k, "o", c.Owner, "p", c.PlayerID, "n", c.Name, "g", guest, "x", strconv.FormatInt(c.ExpiresAt, 10), "a", c.Addr)
		p.PExpire(ctx, k, ttl)
		return nil
	})
	return wrap("storing connection "+c.ID, err)
}

// GetConn implements store.Gateway.
func (s *Store) GetConn(ctx context.Context, id string) (store.GatewayConn, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	m, err := s.rdb.HGetAll(ctx, s.connKey(id)).Result()
	if err != nil {
		return store.GatewayConn{}, wrap("reading connection "+id, err)
	}
	if len(m) == 0 {
		return store.GatewayConn{}, fmt.Errorf("connection %s: %w", id, store.ErrNotFound)
	}
	exp, err := strconv.ParseInt(m["x"], 10, 64)
	if err != nil {
		return store.GatewayConn{}, fmt.Errorf("connection %s: bad expiry %q", id, m["x"])
	}
	return store.GatewayConn{ID: id, Owner: m["o"], PlayerID: m["p"], Name: m["n"], Guest: m["g"] == "1", ExpiresAt: exp, Addr: m["a"]}, nil
}

// ClaimConn implements store.Gateway (compare-and-set on the owner, in claimConnScript).
func (s *Store) ClaimConn(ctx context.Context, id, oldOwner, newOwner string) (bool, error) {
	if newOwner == "" {
		return false, fmt.Errorf("claim connection %s: no new owner", id)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	n, err := claimConnScript.Run(ctx, s.rdb, []string{s.connKey(id)}, oldOwner, newOwner).Int()
	if err != nil {
		return false, wrap("claiming connection "+id, err)
	}
	return n == 1, nil
}

// DeleteConn implements store.Gateway.
func (s *Store) DeleteConn(ctx context.Context, id string) error {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	return wrap("deleting connection "+id, s.rdb.Del(ctx, s.connKey(id)).Err())
}

// Heartbeat implements store.Gateway. Instance liveness is shared with presence: a Store's own
// background heartbeat refreshes the same key for its InstanceID.
func (s *Store) Heartbeat(ctx context.Context, instanceID string, ttl time.Duration) error {
	if instanceID == "" {
		return errors.New("heartbeat: no instance id")
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("heartbeat of %s: ttl %v must be at least 1 ms", instanceID, ttl)
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	return wrap("heartbeat of "+instanceID, s.rdb.Set(ctx, s.instKey(instanceID), strconv.FormatInt(time.Now().UnixMilli(), 10), ttl).Err())
}

// InstanceAlive implements store.Gateway.
func (s *Store) InstanceAlive(ctx context.Context, instanceID string) (bool, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	n, err := s.rdb.Exists(ctx, s.instKey(instanceID)).Result()
	if err != nil {
		return false, wrap("instance "+instanceID, err)
	}
	return n == 1, nil
}
