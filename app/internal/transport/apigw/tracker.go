package apigw

import (
	"context"
	"sync"
)

// tracker counts running goroutines; unlike sync.WaitGroup it allows adding while waiting.
type tracker struct {
	mu   sync.Mutex
	n    int
	zero chan struct{}
}

func (t *tracker) init() { t.zero = make(chan struct{}); close(t.zero) }

func (t *tracker) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.zero = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.zero)
	}
	t.mu.Unlock()
}

func (t *tracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		n, zero := t.n, t.zero
		t.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-zero:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
