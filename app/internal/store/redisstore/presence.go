package redisstore

import (
	"context"
	"errors"
	"sort"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/store"
)

// Connected implements store.Live: the player's connections are counted per instance; the
// player came online when no live instance (this one included) held a connection before.
func (s *Store) Connected(ctx context.Context, playerID string) (bool, error) {
	return s.presence(ctx, playerID, "connect")
}

// Disconnected implements store.Live: the player went offline when this instance's last
// connection closed and no other live instance holds one. Counts of instances whose heartbeat
// expired (crashed) do not keep a player online.
func (s *Store) Disconnected(ctx context.Context, playerID string) (bool, error) {
	return s.presence(ctx, playerID, "disconnect")
}

func (s *Store) presence(ctx context.Context, playerID, op string) (bool, error) {
	if playerID == "" {
		return false, errors.New("presence: no player id")
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	n, err := presenceScript.Run(ctx, s.rdb, []string{s.presenceKey(playerID), s.goneKey(playerID)}, s.cfg.InstanceID, s.instPrefix(), op).Int()
	if err != nil {
		return false, wrap(op+" "+playerID, err)
	}
	return n == 1, nil
}

// AcquireConn implements store.Live: the player's count, then the address's, each under its
// cap in one script; when the address refuses, the player's count is given back. (Two keys in
// different hash slots cannot share one script in Redis Cluster.)
func (s *Store) AcquireConn(ctx context.Context, playerID, addr string, limits store.ConnLimits, force bool) (store.ConnCap, error) {
	if playerID == "" {
		return store.CapNone, errors.New("acquire connection: no player id")
	}
	op := "acquire"
	if force {
		op = "force"
	}
	refused, err := s.connCap(ctx, s.capPlayerKey(playerID), limits.PerPlayer, op)
	if err != nil || refused {
		return store.CapPlayer, err
	}
	if addr == "" {
		return store.CapNone, nil
	}
	refused, err = s.connCap(ctx, s.capAddrKey(addr), limits.PerAddr, op)
	if err != nil || refused {
		if _, rerr := s.connCap(context.WithoutCancel(ctx), s.capPlayerKey(playerID), 0, "release"); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return store.CapAddr, err
	}
	return store.CapNone, nil
}

// ReleaseConn implements store.Live.
func (s *Store) ReleaseConn(ctx context.Context, playerID, addr string) error {
	_, err := s.connCap(ctx, s.capPlayerKey(playerID), 0, "release")
	if addr != "" {
		_, aerr := s.connCap(ctx, s.capAddrKey(addr), 0, "release")
		err = errors.Join(err, aerr)
	}
	return err
}

func (s *Store) connCap(ctx context.Context, key string, limit int, op string) (bool, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	n, err := connCapScript.Run(ctx, s.rdb, []string{key}, s.cfg.InstanceID, s.instPrefix(), limit, op).Int()
	if err != nil {
		return false, wrap("connection count "+op, err)
	}
	return n == 1, nil
}

// ActiveGamesOf implements store.Live.
func (s *Store) ActiveGamesOf(ctx context.Context, playerID string) ([]string, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	ids, err := s.rdb.SMembers(ctx, s.activeKey(playerID)).Result()
	if err != nil {
		return nil, wrap("active games of "+playerID, err)
	}
	sort.Strings(ids)
	return ids, nil
}

// AddActive implements store.Live.
func (s *Store) AddActive(ctx context.Context, gameID string, playerIDs ...string) error {
	return s.active(ctx, "adding active game "+gameID, func(p redis.Pipeliner, key string) { p.SAdd(ctx, key, gameID) }, playerIDs)
}

// RemoveActive implements store.Live.
func (s *Store) RemoveActive(ctx context.Context, gameID string, playerIDs ...string) error {
	return s.active(ctx, "removing active game "+gameID, func(p redis.Pipeliner, key string) { p.SRem(ctx, key, gameID) }, playerIDs)
}

// active runs one command per player in a pipeline (one round trip; the players' sets may
// live in different cluster slots, so no MULTI).
func (s *Store) active(ctx context.Context, op string, cmd func(redis.Pipeliner, string), playerIDs []string) error {
	if len(playerIDs) == 0 {
		return nil
	}
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range playerIDs {
			cmd(p, s.activeKey(id))
		}
		return nil
	})
	return wrap(op, err)
}
