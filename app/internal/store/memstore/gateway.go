package memstore

import (
	"context"
	"sync"
	"time"

	"chessplatform/app/internal/store"
)

// Gateway is an in-memory store.Gateway (one instance: every connection is local).
type Gateway struct {
	mu        sync.Mutex
	conns     map[string]gwConn
	instances map[string]int64 // instance id -> alive until (Unix ms)
	now       func() int64
}

type gwConn struct {
	c       store.GatewayConn
	expires int64
}

// NewGateway returns an empty registry; now supplies Unix ms.
func NewGateway(now func() int64) *Gateway {
	return &Gateway{conns: map[string]gwConn{}, instances: map[string]int64{}, now: now}
}

var _ store.Gateway = (*Gateway)(nil)

// PutConn implements store.Gateway.
func (g *Gateway) PutConn(_ context.Context, c store.GatewayConn, ttl time.Duration) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.conns[c.ID] = gwConn{c: c, expires: g.now() + ttl.Milliseconds()}
	return nil
}

// GetConn implements store.Gateway.
func (g *Gateway) GetConn(_ context.Context, id string) (store.GatewayConn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.conns[id]
	if !ok || e.expires <= g.now() {
		delete(g.conns, id)
		return store.GatewayConn{}, store.ErrNotFound
	}
	return e.c, nil
}

// ClaimConn implements store.Gateway.
func (g *Gateway) ClaimConn(_ context.Context, id, oldOwner, newOwner string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.conns[id]
	if !ok || e.expires <= g.now() || e.c.Owner != oldOwner {
		return false, nil
	}
	e.c.Owner = newOwner
	g.conns[id] = e
	return true, nil
}

// DeleteConn implements store.Gateway.
func (g *Gateway) DeleteConn(_ context.Context, id string) error {
	g.mu.Lock()
	delete(g.conns, id)
	g.mu.Unlock()
	return nil
}

// Heartbeat implements store.Gateway.
func (g *Gateway) Heartbeat(_ context.Context, instanceID string, ttl time.Duration) error {
	g.mu.Lock()
	g.instances[instanceID] = g.now() + ttl.Milliseconds()
	g.mu.Unlock()
	return nil
}

// InstanceAlive implements store.Gateway.
func (g *Gateway) InstanceAlive(_ context.Context, instanceID string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.instances[instanceID] > g.now(), nil
}
