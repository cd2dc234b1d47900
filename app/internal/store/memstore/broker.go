package memstore

import (
	"context"
	"sync"

	"chessplatform/app/internal/store"
)

// broker is an in-process pub/sub. Delivery to a subscription never blocks the publisher and
// never drops: each subscription has an unbounded queue drained by its own goroutine, so order
// per publisher is kept.
type broker struct {
	mu   sync.Mutex
	subs map[string]map[*subscription]bool
}

type subscription struct {
	b      *broker
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []store.Message
	closed bool
	topics map[string]bool
	out    chan store.Message
}

func (b *broker) subscribe() *subscription {
	s := &subscription{b: b, topics: map[string]bool{}, out: make(chan store.Message, 256)}
	s.cond = sync.NewCond(&s.mu)
	go s.pump()
	return s
}

func (b *broker) publish(topic string, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[topic] {
		s.enqueue(store.Message{Topic: topic, Payload: payload})
	}
}

func (s *subscription) enqueue(m store.Message) {
	s.mu.Lock()
	if !s.closed {
		s.queue = append(s.queue, m)
		s.cond.Signal()
	}
	s.mu.Unlock()
}

func (s *subscription) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, m := range batch {
			s.out <- m
		}
	}
}

func (s *subscription) Add(_ context.Context, topics ...string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for _, t := range topics {
		if s.b.subs[t] == nil {
			s.b.subs[t] = map[*subscription]bool{}
		}
		s.b.subs[t][s] = true
		s.topics[t] = true
	}
	return nil
}

func (s *subscription) Remove(_ context.Context, topics ...string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for _, t := range topics {
		delete(s.b.subs[t], s)
		if len(s.b.subs[t]) == 0 {
			delete(s.b.subs, t)
		}
		delete(s.topics, t)
	}
	return nil
}

func (s *subscription) Messages() <-chan store.Message { return s.out }

func (s *subscription) Close() error {
	s.b.mu.Lock()
	for t := range s.topics {
		delete(s.b.subs[t], s)
		if len(s.b.subs[t]) == 0 {
			delete(s.b.subs, t)
		}
	}
	s.b.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.cond.Signal()
	s.mu.Unlock()
	return nil
}
