package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"chessplatform/app/internal/store"
)

// Publish implements store.Live.
func (s *Store) Publish(ctx context.Context, topic string, payload []byte) error {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	return wrap("publishing on "+topic, s.rdb.Publish(ctx, s.channel(topic), payload).Err())
}

// Subscribe implements store.Live. The subscription holds one Redis pub/sub connection; see
// subscription for how Add waits for Redis and what happens when the reader falls behind.
func (s *Store) Subscribe(context.Context) (store.Subscription, error) {
	u := &subscription{
		s:          s,
		out:        make(chan store.Message, s.cfg.SubscriptionBuffer),
		ps:         s.rdb.Subscribe(context.Background()), // no channel yet: connects on first use
		topics:     map[string]*topicState{},
		waiters:    map[string]chan error{},
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		healthDone: make(chan struct{}),
	}
	u.lastSeen.Store(time.Now().UnixNano())
	go u.read()
	go u.health()
	return u, nil
}

// errSubscriptionClosed is returned by Add after Close.
var errSubscriptionClosed = errors.New("subscription closed")

// confirmRetry is how often Add asks again for its confirmation (a PING sent on a connection
// that broke is never answered; the retry goes over the reconnected one).
const confirmRetry = 500 * time.Millisecond

// subscription is a store.Subscription over one go-redis PubSub.
//
// Add returns once Redis has confirmed the subscription: after writing SUBSCRIBE it writes a
// PING with a unique payload on the same connection, and waits until the reader goroutine sees
// that PONG. Redis answers the commands of one connection in order, so the PONG proves that the
// SUBSCRIBE before it was applied: anything published after Add returns is delivered. If the
// connection breaks in between, go-redis re-subscribes every channel on the new connection
// before anything else is written there, so the PONG of a retried PING proves the same.
//
// Messages are read by one goroutine that never blocks: they go into a buffered channel of
// Config.SubscriptionBuffer messages, and when the consumer is that far behind, further
// messages are dropped (counted by Dropped, logged) rather than stalling the connection, which
// would delay every topic of the instance and make Redis cut the connection once its pub/sub
// output buffer limit is hit, losing messages anyway. Game frames carry versions, so a client
// that misses one notices the gap and resyncs.
//
// Redis pub/sub delivers at most once: messages published while the connection is down (a
// Redis restart or failover) are lost. The connection is re-established and every topic
// re-subscribed automatically; an idle connection is pinged every Config.PubSubPing and
// replaced when it does not answer within Config.PubSubPingTimeout.
type subscription struct {
	s   *Store
	out chan store.Message

	wmu sync.Mutex // orders SUBSCRIBE/UNSUBSCRIBE writes with the topic set and replacements of ps

	mu      sync.RWMutex
	ps      *redis.PubSub
	topics  map[string]*topicState
	waiters map[string]chan error // PING payload -> Add waiting for it
	seq     uint64
	closed  bool

	lastSeen   atomic.Int64 // Unix ns of the last reply read from Redis
	dropped    atomic.Uint64
	lastDropLg atomic.Int64

	done       chan struct{}
	readerDone chan struct{}
	healthDone chan struct{}
}

// topicState tracks a followed topic; a failed Add removes only the topics that no Add has
// confirmed and no other Add is waiting for.
type topicState struct {
	confirmed bool
	pending   int
}

// Add implements store.Subscription.
func (u *subscription) Add(ctx context.Context, topics ...string) error {
	if len(topics) == 0 {
		return nil
	}
	ctx, cancel := u.s.opCtx(ctx)
	defer cancel()
	u.wmu.Lock()
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		u.wmu.Unlock()
		return errSubscriptionClosed
	}
	states := make(map[string]*topicState, len(topics))
	var fresh []string
	for _, t := range topics {
		if _, dup := states[t]; dup {
			continue
		}
		st, ok := u.topics[t]
		if !ok {
			st = &topicState{}
			u.topics[t] = st
			fresh = append(fresh, u.s.channel(t))
		}
		st.pending++
		states[t] = st
	}
	u.seq++
	token := "confirm:" + strconv.FormatUint(u.seq, 10)
	wait := make(chan error, 1)
	u.waiters[token] = wait
	ps := u.ps
	u.mu.Unlock()
	wctx, wcancel := u.writeCtx()
	var err error
	if len(fresh) > 0 {
		err = ps.Subscribe(wctx, fresh...)
	}
	if err == nil {
		err = ps.Ping(wctx, token)
	}
	wcancel()
	u.wmu.Unlock()

	if err == nil {
		err = u.await(ctx, token, wait)
	}
	u.finish(token, states, err == nil)
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w: %w", strings.Join(topics, ","), store.ErrUnavailable, err)
	}
	return nil
}

// await waits for the PONG of token, asking again now and then.
func (u *subscription) await(ctx context.Context, token string, wait chan error) error {
	retry := time.NewTicker(confirmRetry)
	defer retry.Stop()
	for {
		select {
		case err := <-wait:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-retry.C:
			u.mu.RLock()
			ps := u.ps
			u.mu.RUnlock()
			wctx, cancel := u.writeCtx()
			_ = ps.Ping(wctx, token) // failures: the next retry (or ctx) decides
			cancel()
		}
	}
}

// finish records the outcome of an Add; after a failure it unsubscribes the topics that only
// this Add wanted.
func (u *subscription) finish(token string, states map[string]*topicState, ok bool) {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	u.mu.Lock()
	delete(u.waiters, token)
	var drop []string
	for t, st := range states {
		st.pending--
		if ok {
			st.confirmed = true
			continue
		}
		if u.topics[t] == st && !st.confirmed && st.pending == 0 {
			delete(u.topics, t)
			drop = append(drop, u.s.channel(t))
		}
	}
	ps, closed := u.ps, u.closed
	u.mu.Unlock()
	if len(drop) > 0 && !closed {
		wctx, cancel := u.writeCtx()
		if err := ps.Unsubscribe(wctx, drop...); err != nil {
			// go-redis forgot them already, so a reconnect will not subscribe them again.
			u.s.log.Debug("unsubscribing after a failed subscribe", "err", err)
		}
		cancel()
	}
}

// Remove implements store.Subscription. Messages of removed topics are dropped locally at
// once, so nothing of them arrives after Remove returns, even before Redis has processed the
// UNSUBSCRIBE.
func (u *subscription) Remove(_ context.Context, topics ...string) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	u.mu.Lock()
	var chans []string
	for _, t := range topics {
		if _, ok := u.topics[t]; ok {
			delete(u.topics, t)
			chans = append(chans, u.s.channel(t))
		}
	}
	ps, closed := u.ps, u.closed
	u.mu.Unlock()
	if len(chans) == 0 || closed {
		return nil
	}
	wctx, cancel := u.writeCtx()
	defer cancel()
	if err := ps.Unsubscribe(wctx, chans...); err != nil {
		// The connection is replaced after a failed write and the new one does not follow
		// these channels, so the removal still takes effect.
		return fmt.Errorf("unsubscribing %d topics: %w: %w", len(chans), store.ErrUnavailable, err)
	}
	return nil
}

// Messages implements store.Subscription.
func (u *subscription) Messages() <-chan store.Message { return u.out }

// Dropped counts the messages dropped because the reader was SubscriptionBuffer behind.
func (u *subscription) Dropped() uint64 { return u.dropped.Load() }

// Close implements store.Subscription: Messages is closed when Close returns.
func (u *subscription) Close() error {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil
	}
	u.closed = true
	for token, w := range u.waiters {
		w <- errSubscriptionClosed
		delete(u.waiters, token)
	}
	ps := u.ps
	u.mu.Unlock()
	close(u.done)
	err := ps.Close()
	<-u.readerDone
	<-u.healthDone
	if err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("closing subscription: %w", err)
	}
	return nil
}

// writeCtx bounds a write on the pub/sub connection. It is never the caller's context: go-redis
// drops the connection when a write's context ends, which must not happen because one caller
// gave up.
func (u *subscription) writeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), u.s.cfg.OpTimeout)
}

func (u *subscription) isClosed() bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.closed
}

// read receives from Redis until Close.
func (u *subscription) read() {
	defer close(u.readerDone)
	defer close(u.out)
	ctx := context.Background()
	failures := 0
	resync := false // the connection was lost or replaced: tell the consumer once it is back
	for {
		u.mu.RLock()
		ps, closed := u.ps, u.closed
		u.mu.RUnlock()
		if closed {
			return
		}
		msg, err := ps.Receive(ctx)
		if err != nil {
			if u.isClosed() {
				return
			}
			u.mu.RLock()
			replaced := ps != u.ps
			u.mu.RUnlock()
			if replaced || errors.Is(err, redis.ErrClosed) {
				resync = true
				continue // replaced by the health check; read the new one
			}
			resync = true
			// go-redis reconnects and re-subscribes on the next Receive; back off meanwhile.
			if failures == 0 {
				u.s.log.Warn("pub/sub connection lost; reconnecting", "err", err)
			}
			failures++
			select {
			case <-u.done:
				return
			case <-time.After(min(time.Duration(failures)*100*time.Millisecond, 2*time.Second)):
			}
			continue
		}
		if failures > 0 {
			u.s.log.Info("pub/sub connection back", "after_failures", failures)
			failures = 0
		}
		u.lastSeen.Store(time.Now().UnixNano())
		if resync {
			resync = false
			// Blocking: the marker must not be dropped like an ordinary message.
			select {
			case u.out <- store.Message{Topic: store.ResyncTopic}:
			case <-u.done:
				return
			}
		}
		switch m := msg.(type) {
		case *redis.Message:
			u.deliver(m)
		case *redis.Pong:
			u.confirm(ps, m.Payload)
		}
	}
}

func (u *subscription) deliver(m *redis.Message) {
	topic, ok := strings.CutPrefix(m.Channel, u.s.prefix)
	if !ok {
		return
	}
	u.mu.RLock()
	_, want := u.topics[topic]
	u.mu.RUnlock()
	if !want {
		return // removed meanwhile
	}
	select {
	case u.out <- store.Message{Topic: topic, Payload: []byte(m.Payload)}:
	default:
		n := u.dropped.Add(1)
		now := time.Now().UnixNano()
		if last := u.lastDropLg.Load(); now-last > int64(time.Second) && u.lastDropLg.CompareAndSwap(last, now) {
			u.s.log.Warn("subscription reader is behind; dropping messages", "buffer", cap(u.out), "dropped_total", n)
		}
	}
}

// confirm completes the Add waiting for a PONG, if it came over the current PubSub.
func (u *subscription) confirm(ps *redis.PubSub, payload string) {
	if !strings.HasPrefix(payload, "confirm:") {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if ps != u.ps {
		return
	}
	if w, ok := u.waiters[payload]; ok {
		delete(u.waiters, payload)
		w <- nil
	}
}

// health pings an idle connection and replaces the PubSub when Redis does not answer: a peer
// that vanished without closing the TCP connection (a failover, a network partition) would
// otherwise leave the reader waiting forever.
func (u *subscription) health() {
	defer close(u.healthDone)
	every := u.s.cfg.PubSubPing
	t := time.NewTicker(max(every/4, 10*time.Millisecond))
	defer t.Stop()
	var pingedAt time.Time
	for {
		select {
		case <-u.done:
			return
		case <-t.C:
		}
		now := time.Now()
		last := time.Unix(0, u.lastSeen.Load())
		if !pingedAt.IsZero() && last.After(pingedAt) {
			pingedAt = time.Time{} // answered
		}
		if pingedAt.IsZero() {
			if now.Sub(last) >= every {
				u.mu.RLock()
				ps := u.ps
				u.mu.RUnlock()
				wctx, cancel := u.writeCtx()
				_ = ps.Ping(wctx, "health")
				cancel()
				pingedAt = now
			}
			continue
		}
		if now.Sub(pingedAt) >= u.s.cfg.PubSubPingTimeout {
			u.replace()
			pingedAt = time.Time{}
			u.lastSeen.Store(time.Now().UnixNano())
		}
	}
}

// replace swaps in a new PubSub following every topic, and closes the old one.
func (u *subscription) replace() {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return
	}
	old := u.ps
	u.ps = u.s.rdb.Subscribe(context.Background())
	chans := make([]string, 0, len(u.topics))
	for t := range u.topics {
		chans = append(chans, u.s.channel(t))
	}
	ps := u.ps
	u.mu.Unlock()
	u.s.log.Warn("pub/sub connection does not answer; replacing it", "topics", len(chans))
	if len(chans) > 0 {
		wctx, cancel := u.writeCtx()
		// On failure go-redis still records the channels and subscribes them on connect.
		_ = ps.Subscribe(wctx, chans...)
		cancel()
	}
	_ = old.Close()
}
