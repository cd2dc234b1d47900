package server

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// hub fans messages of Live topics out to the sessions of this instance. It follows a topic on
// the shared subscription while at least one local session needs it; topics nobody needs any
// more are unsubscribed by sweep, so a watcher leaving and another arriving do not churn.
type hub struct {
	log *slog.Logger
	sub store.Subscription
	// onResync runs (in its own goroutine) when the subscription reports that messages may
	// have been lost.
	onResync func()
	// onVersion is told of every versioned game event heard (game id, version).
	onVersion func(gameID string, v int64)

	subMu sync.Mutex // orders Add and Remove calls on sub

	mu     sync.RWMutex
	topics map[string]*topicEntry
}

type topicEntry struct {
	sessions map[*Session]struct{}
	ready    chan struct{} // closed once the subscription to the topic is active (or failed)
	err      error         // written before ready is closed
}

func newHub(sub store.Subscription, log *slog.Logger, onResync func(), onVersion func(string, int64)) *hub {
	return &hub{sub: sub, log: log, onResync: onResync, onVersion: onVersion, topics: map[string]*topicEntry{}}
}

// join adds a session to a topic and returns once the instance is subscribed to it, so that no
// message published after join returns can be missed.
func (h *hub) join(ctx context.Context, topic string, s *Session) error {
	h.mu.Lock()
	e, ok := h.topics[topic]
	if !ok {
		e = &topicEntry{sessions: map[*Session]struct{}{}, ready: make(chan struct{})}
		h.topics[topic] = e
	}
	e.sessions[s] = struct{}{}
	h.mu.Unlock()
	if !ok {
		h.subMu.Lock()
		e.err = h.sub.Add(ctx, topic)
		h.subMu.Unlock()
		close(e.ready)
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		h.leave(topic, s)
		return ctx.Err()
	}
	if e.err != nil {
		h.mu.Lock()
		if h.topics[topic] == e {
			delete(h.topics, topic) // let the next join try again
		}
		h.mu.Unlock()
		return e.err
	}
	return nil
}

// leave removes a session from a topic.
func (h *hub) leave(topic string, s *Session) {
	h.mu.Lock()
	if e, ok := h.topics[topic]; ok {
		delete(e.sessions, s)
	}
	h.mu.Unlock()
}

// sweep unsubscribes from topics no local session needs.
func (h *hub) sweep(ctx context.Context) {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	var idle []string
	h.mu.Lock()
	for topic, e := range h.topics {
		select {
		case <-e.ready:
		default:
			continue // a join is subscribing right now
		}
		if len(e.sessions) == 0 {
			idle = append(idle, topic)
			delete(h.topics, topic)
		}
	}
	h.mu.Unlock()
	if len(idle) == 0 {
		return
	}
	if err := h.sub.Remove(ctx, idle...); err != nil {
		h.log.WarnContext(ctx, "unsubscribing idle topics", "topics", len(idle), "err", err)
	}
}

// run dispatches until the subscription closes.
func (h *hub) run() {
	var targets []*Session
	for m := range h.sub.Messages() {
		if m.Topic == store.ResyncTopic {
			go h.onResync()
			continue
		}
		targets = targets[:0]
		h.mu.RLock()
		if e, ok := h.topics[m.Topic]; ok {
			for s := range e.sessions {
				targets = append(targets, s)
			}
		}
		h.mu.RUnlock()
		if len(targets) == 0 {
			continue
		}
		if gameID, ok := strings.CutPrefix(m.Topic, "g:"); ok {
			v := frameV(m.Payload)
			if v > 0 {
				h.onVersion(gameID, v)
			}
			for _, s := range targets {
				s.deliverGame(gameID, v, m.Payload)
			}
			continue
		}
		for _, s := range targets {
			s.send(m.Payload)
		}
	}
}

func frameV(b []byte) int64 { return protocol.FrameV(b) }
