// Package redisstore implements store.Live and store.Gateway on Redis (ElastiCache in AWS),
// shared by every server instance.
//
// Key layout (every key and channel starts with Config.KeyPrefix; {…} are Redis Cluster hash
// tags, so the keys one script touches together share a slot where that is possible):
//
//	g:{<game>}:s        hash   cached game: v (version), s (state JSON), e (ended), p (last published
//	                           event version), h (last history version)
//	g:{<game>}:h        list   frames of the last store.HistorySize events, contiguous, ending at v
//	deadlines           zset   game id -> flag/abort deadline (Unix ms); leased by DueGames
//	{seeks}             hash   player id -> seek JSON; a pool is the seeks of one tc + rated
//	ch:<challenge>      hash   e (expires, Unix ms), d (challenge JSON), f (from id), t (to id, "" when
//	                           open); PX until a little after expiry
//	chx                 zset   challenge id -> expiry (Unix ms); drained by ExpireChallenges
//	presence:{<player>} hash   instance id -> open connections of the player on that instance
//	inst:<instance>     string heartbeat of a live instance (PX); presence and Gateway share it
//	active:{<player>}   set    running games the player plays
//	gone:{<player>}     string since when the player has had no connection (spectate.go)
//	g:{<game>}:w        hash   instance id -> spectators of the game on that instance (spectate.go)
//	gw:<conn>           hash   API Gateway connection: o (owner), p, n, g, x; PX
//	epoch               string set once per Redis lifetime (EnsureEpoch)
//	rank:<speed>[:d], rank:built, rank:lease   the rankings (see ranking.go)
//
// Pub/sub channels are the prefix followed by the store topic (g:<game>, p:<player>,
// i:<instance>). PutGame publishes from inside its script; in Redis Cluster PUBLISH is
// broadcast to every node, so that keeps working there, but the deadline set and the presence
// script's heartbeat keys span slots and would have to be sharded first. The target is a
// single-shard ElastiCache replication group.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/store"
)

// Store is the Redis store.Live and store.Gateway. Safe for concurrent use.
type Store struct {
	rdb    *redis.Client
	cfg    Config
	prefix string
	log    *slog.Logger
	puts   *putBatcher // PutGame scripts, pipelined under load

	stopHeartbeat context.CancelFunc
	heartbeatDone chan struct{}
	closeOnce     sync.Once
}

// putWorkers is how many pipelines of PutGame scripts may be in flight at once.
const putWorkers = 4

var (
	_ store.Live    = (*Store)(nil)
	_ store.Gateway = (*Store)(nil)
)

// Open connects to Redis, checks that it answers and starts this instance's presence
// heartbeat. Close stops it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("redis config: %w", err)
	}
	cfg = cfg.withDefaults()
	if cfg.InstanceID == "" {
		cfg.InstanceID = defaultInstanceID()
	}
	opts, err := cfg.options()
	if err != nil {
		return nil, fmt.Errorf("redis config: %w", err)
	}
	s := &Store{rdb: redis.NewClient(opts), cfg: cfg, prefix: cfg.KeyPrefix, log: cfg.Logger.With("component", "redisstore")}
	s.puts = newPutBatcher(s, putWorkers)
	if err := s.Ping(ctx); err != nil {
		s.puts.close()
		_ = s.rdb.Close()
		return nil, fmt.Errorf("connecting to redis at %s: %w", cfg.Addr, err)
	}
	if err := s.beat(ctx); err != nil {
		s.puts.close()
		_ = s.rdb.Close()
		return nil, err
	}
	hb, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopHeartbeat, s.heartbeatDone = stop, make(chan struct{})
	go s.heartbeatLoop(hb)
	return s, nil
}

// InstanceID is the id this store counts presence under.
func (s *Store) InstanceID() string { return s.cfg.InstanceID }

// Close stops the heartbeat, marks this instance dead (its presence counts no longer count)
// and closes the connections. Subscriptions should be closed first.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stopHeartbeat()
		<-s.heartbeatDone
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if derr := s.rdb.Del(ctx, s.instKey(s.cfg.InstanceID)).Err(); derr != nil {
			s.log.Warn("removing instance heartbeat", "err", derr)
		}
		s.puts.close()
		err = s.rdb.Close()
	})
	return err
}

// abandon stops the heartbeat and the connections without any cleanup, as a crash would.
func (s *Store) abandon() {
	s.closeOnce.Do(func() {
		s.stopHeartbeat()
		<-s.heartbeatDone
		s.puts.close()
		_ = s.rdb.Close()
	})
}

func (s *Store) heartbeatLoop(ctx context.Context) {
	defer close(s.heartbeatDone)
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.beat(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			s.log.Warn("presence heartbeat failing", "instance", s.cfg.InstanceID, "err", err)
			failing = true
		case err == nil && failing:
			s.log.Info("presence heartbeat back", "instance", s.cfg.InstanceID)
			failing = false
		}
	}
}

func (s *Store) beat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HeartbeatInterval)
	defer cancel()
	return wrap("instance heartbeat", s.rdb.Set(ctx, s.instKey(s.cfg.InstanceID), strconv.FormatInt(time.Now().UnixMilli(), 10), s.cfg.HeartbeatTTL).Err())
}

// Ping implements store.Live.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	return wrap("ping", s.rdb.Ping(ctx).Err())
}

// EnsureEpoch implements store.Live: the epoch key is created once per Redis lifetime, so
// after a restart that lost the data exactly one caller is told to rebuild.
func (s *Store) EnsureEpoch(ctx context.Context) (bool, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	created, err := s.rdb.SetNX(ctx, s.epochKey(), s.cfg.InstanceID+"@"+strconv.FormatInt(time.Now().UnixMilli(), 10), 0).Result()
	if err != nil {
		return false, wrap("epoch", err)
	}
	return created, nil
}

// opCtx bounds calls whose context has no deadline, so a hung connection cannot hang them.
func (s *Store) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.cfg.OpTimeout)
}

// Keys.
func (s *Store) gameKey(id string) string      { return s.prefix + "g:{" + id + "}:s" }
func (s *Store) histKey(id string) string      { return s.prefix + "g:{" + id + "}:h" }
func (s *Store) deadlineKey() string           { return s.prefix + "deadlines" }
func (s *Store) seekKey() string               { return s.prefix + "{seeks}" }
func (s *Store) challengeKey(id string) string { return s.prefix + "ch:" + id }
func (s *Store) challengeExpiryKey() string    { return s.prefix + "chx" }
func (s *Store) presenceKey(p string) string   { return s.prefix + "presence:{" + p + "}" }
func (s *Store) instPrefix() string            { return s.prefix + "inst:" }
func (s *Store) capPlayerKey(p string) string  { return s.prefix + "cap:p:{" + p + "}" }
func (s *Store) capAddrKey(a string) string    { return s.prefix + "cap:a:{" + a + "}" }
func (s *Store) instKey(id string) string      { return s.instPrefix() + id }
func (s *Store) activeKey(p string) string     { return s.prefix + "active:{" + p + "}" }
func (s *Store) connKey(id string) string      { return s.prefix + "gw:" + id }
func (s *Store) channel(topic string) string   { return s.prefix + topic }

// wrap adds context to an error and classifies it: redis.Nil is store.ErrNotFound; failures
// to reach or use the server (network, timeouts, closed client, a server that is loading, read
// only after a failover, out of memory) are store.ErrUnavailable.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	case unavailable(err):
		return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; not the server's fault
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // network errors, timeouts, pool exhaustion, closed client
	}
	return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) || redis.IsMasterDownError(err) ||
		redis.IsTryAgainError(err) || redis.IsClusterDownError(err) || redis.IsOOMError(err) ||
		redis.IsMaxClientsError(err) || redis.HasErrorPrefix(err, "BUSY")
}

func defaultInstanceID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "instance"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}
