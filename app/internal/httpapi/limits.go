package httpapi

import (
	"net/http"
	"sync"
	"time"

	"chessplatform/app/internal/transport/clientip"
)

// clientIP is the peer address, or behind trusted proxies (CloudFront and the ALB) the address
// the outermost trusted proxy saw (see package clientip).
func (a *API) clientIP(r *http.Request) string {
	return clientip.FromRequest(r, a.opts.ForwardedForHops)
}

// ipLimiter is a per-IP token bucket refilled perMinute times a minute, with stale entries swept.
type ipLimiter struct {
	mu        sync.Mutex
	perMinute float64
	buckets   map[string]*ipBucket
	lastSweep time.Time
}

type ipBucket struct {
	tokens float64
	last   time.Time
}

func newIPLimiter(perMinute int) *ipLimiter {
	return &ipLimiter{perMinute: float64(perMinute), buckets: map[string]*ipBucket{}}
}

func (l *ipLimiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.last) > 2*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &ipBucket{tokens: l.perMinute, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.last).Minutes()*l.perMinute)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
