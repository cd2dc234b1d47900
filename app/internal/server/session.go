package server

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"chessplatform/app/internal/authn"
)

// Conn is a client connection as a transport provides it.
type Conn interface {
	// Send queues a frame without blocking; false means the connection is gone or too slow and
	// is being closed.
	Send(frame []byte) bool
	// Close closes the connection with a human-readable reason.
	Close(reason string)
}

// WatchObserver is a Conn that is told of the session's watched games. The API Gateway
// transport is one: its registry remembers them, so that another instance can take the
// connection over with the same watches.
type WatchObserver interface {
	// WatchesChanged gets the games the session watches, oldest watch first, each time a game
	// joins or leaves the set. It runs in the goroutine that changed the set (for a client's
	// watch or unwatch, before the client is acked); the calls of one session never overlap
	// and each carries the set as it is when the call starts, so the last call carries the
	// current set.
	WatchesChanged(games []string)
}

// Session is one authenticated client connection on this instance.
type Session struct {
	Player authn.Claims
	conn   Conn

	mu       sync.Mutex
	watches  map[string]*watch // by game id
	watchSeq uint64            // watches begun so far (orders watchedGames)
	closed   bool
	// observeMu orders the calls of a WatchObserver conn (see Server.watchesChanged).
	observeMu sync.Mutex
	limiter   limiter

	counted bool   // the connection holds a count under the caps (Server.admit)
	addr    string // the client address it was counted under
	expiry  *time.Timer
}

// watch is the delivery state of one game for one session. While syncing (a watch request is
// replaying history), live events are buffered so the client sees versions in order.
type watch struct {
	seq     uint64 // when the watch began, in the session's order
	lastV   int64
	syncing bool
	buffer  [][]byte
}

func newSession(claims authn.Claims, conn Conn, rate RateLimit, now time.Time) *Session {
	return &Session{Player: claims, conn: conn, watches: map[string]*watch{}, limiter: newLimiter(rate, now)}
}

// send queues a frame for the client.
func (s *Session) send(frame []byte) { s.conn.Send(frame) }

// deliverGame delivers a game topic frame with version v (0 for unversioned frames) unless the
// session has already seen it.
func (s *Session) deliverGame(gameID string, v int64, frame []byte) {
	s.mu.Lock()
	w, ok := s.watches[gameID]
	if !ok || s.closed {
		s.mu.Unlock()
		return
	}
	if w.syncing {
		w.buffer = append(w.buffer, frame)
		s.mu.Unlock()
		return
	}
	if v != 0 && v <= w.lastV {
		s.mu.Unlock()
		return
	}
	if v != 0 {
		w.lastV = v
	}
	s.mu.Unlock()
	s.conn.Send(frame)
}

// beginWatch marks a game as syncing; it reports whether the session already watched it and
// the last version it delivered (read under the same lock, so nothing delivered live after
// this moment is missed by a catch-up that starts from it).
func (s *Session) beginWatch(gameID string) (already bool, lastV int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.watches[gameID]
	if !ok {
		s.watchSeq++
		w = &watch{seq: s.watchSeq}
		s.watches[gameID] = w
	}
	w.syncing = true
	return ok, w.lastV
}

// finishWatch sends the replayed frames (versions after the client's v) and then whatever
// arrived live meanwhile, in version order, skipping what the client has already seen.
func (s *Session) finishWatch(gameID string, clientV int64, frames [][]byte, versions []int64) {
	s.mu.Lock()
	w, ok := s.watches[gameID]
	if !ok {
		s.mu.Unlock()
		return
	}
	w.lastV = clientV
	var out [][]byte
	for i, f := range frames {
		if versions[i] == 0 || versions[i] > w.lastV {
			out = append(out, f)
			if versions[i] != 0 {
				w.lastV = versions[i]
			}
		}
	}
	for _, f := range w.buffer {
		v := frameV(f)
		if v == 0 || v > w.lastV {
			out = append(out, f)
			if v != 0 {
				w.lastV = v
			}
		}
	}
	w.buffer = nil
	w.syncing = false
	s.mu.Unlock()
	for _, f := range out {
		s.conn.Send(f)
	}
}

// unwatch forgets a game; it reports whether the session watched it.
func (s *Session) unwatch(gameID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.watches[gameID]
	delete(s.watches, gameID)
	return ok
}

// watching reports whether the session is open and watches the game.
func (s *Session) watching(gameID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.watches[gameID]
	return ok && !s.closed
}

// watchedGames lists the watched games, oldest watch first, and whether the session is open.
func (s *Session) watchedGames() (games []string, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	games = make([]string, 0, len(s.watches))
	for id := range s.watches {
		games = append(games, id)
	}
	slices.SortFunc(games, func(a, b string) int { return cmp.Compare(s.watches[a].seq, s.watches[b].seq) })
	return games, !s.closed
}

func (s *Session) markClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.closed
	s.closed = true
	return !was
}

// RateLimit is a token bucket: Burst messages at once, Rate per second sustained. A client
// that keeps sending after the bucket is empty is disconnected after MaxViolations rejected
// messages within ViolationWindow.
type RateLimit struct {
	Rate            float64
	Burst           float64
	MaxViolations   int
	ViolationWindow time.Duration
}

// DefaultRateLimit allows far more than a human (or the load generator's players) needs.
func DefaultRateLimit() RateLimit {
	return RateLimit{Rate: 20, Burst: 40, MaxViolations: 20, ViolationWindow: 10 * time.Second}
}

type limiter struct {
	cfg        RateLimit
	tokens     float64
	last       time.Time
	violations int
	windowFrom time.Time
}

func newLimiter(cfg RateLimit, now time.Time) limiter {
	return limiter{cfg: cfg, tokens: cfg.Burst, last: now, windowFrom: now}
}

// allow takes a token; it returns allowed=false when the bucket is empty, and disconnect=true
// when the client has been rejected too often.
func (l *limiter) allow(now time.Time) (allowed, disconnect bool) {
	if l.cfg.Rate <= 0 {
		return true, false
	}
	l.tokens = min(l.cfg.Burst, l.tokens+now.Sub(l.last).Seconds()*l.cfg.Rate)
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return true, false
	}
	if now.Sub(l.windowFrom) > l.cfg.ViolationWindow {
		l.windowFrom, l.violations = now, 0
	}
	l.violations++
	return false, l.violations >= l.cfg.MaxViolations
}
