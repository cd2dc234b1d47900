package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress reports the steps of `make dev` that take a while, so a first run (a backend
// build, npm ci, next build: minutes) never sits silent: nothing for a step that ends within
// `after`, then "[dev] <what>… N s" once it passes `after` and every `every` after that, and a
// closing line with the total. Lines go to w (stderr, next to the log; stdout carries the
// DEVRUN_READY line).
type progress struct {
	w     io.Writer
	after time.Duration
	every time.Duration
	now   func() time.Time
	mu    sync.Mutex // one line at a time
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, after: 5 * time.Second, every: 15 * time.Second, now: time.Now}
}

// step runs fn and reports it as described on progress; it returns fn's error.
func (p *progress) step(what string, fn func() error) error {
	start := p.now()
	done := make(chan struct{})
	reported := make(chan bool, 1)
	go func() {
		said := false
		defer func() { reported <- said }()
		wait := time.NewTimer(p.after)
		defer wait.Stop()
		for {
			select {
			case <-done:
				return
			case <-wait.C:
				p.printf("[dev] %s… %s\n", what, seconds(p.now().Sub(start)))
				said = true
				wait.Reset(p.every)
			}
		}
	}()
	err := fn()
	close(done)
	if !<-reported {
		return err
	}
	took := seconds(p.now().Sub(start))
	if err != nil {
		p.printf("[dev] %s: failed after %s\n", what, took)
	} else {
		p.printf("[dev] %s: done in %s\n", what, took)
	}
	return err
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// seconds renders a duration as whole seconds ("42 s"), the precision a person waiting needs.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
}
