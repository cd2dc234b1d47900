package main

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lines is a writer the reporter's goroutine and the test share.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.buf.String(), "\n"), "\n")
}

func (l *lines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// fakeClock is what the reporter reads as now; real timers still pace its lines.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time                       { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) set(start time.Time, d time.Duration) { c.ns.Store(start.Add(d).UnixNano()) }

// waitFor blocks until the output holds want (the step under test keeps running meanwhile).
func waitFor(t *testing.T, out *lines, want string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(out.text(), want) }, 10*time.Second, time.Millisecond,
		"want %q in %q", want, out.text())
}

func TestProgressReportsASlowStepWithItsElapsedTime(t *testing.T) {
	out := &lines{}
	clock := &fakeClock{}
	start := time.Unix(1_800_000_000, 0)
	clock.set(start, 0)
	p := &progress{w: out, after: 10 * time.Millisecond, every: 10 * time.Millisecond, now: clock.now}

	err := p.step("building the web app (next build)", func() error {
		clock.set(start, 5*time.Second)
		waitFor(t, out, "… 5 s\n") // the first line, once the step has run longer than `after`
		clock.set(start, 20*time.Second)
		waitFor(t, out, "… 20 s\n") // and again every `every`
		clock.set(start, 42*time.Second+400*time.Millisecond)
		return nil
	})
	require.NoError(t, err)
	got := out.all()
	require.GreaterOrEqual(t, len(got), 3, "%q", got)
	assert.Equal(t, "[dev] building the web app (next build)… 5 s", got[0])
	// One line per tick: how many land at each clock reading depends on the scheduler.
	for _, l := range got[1 : len(got)-1] {
		assert.Regexp(t, `^\[dev\] building the web app \(next build\)… (5|20|42) s$`, l)
	}
	assert.Equal(t, "[dev] building the web app (next build): done in 42 s", got[len(got)-1])
}

func TestProgressSaysNothingAboutAQuickStep(t *testing.T) {
	out := &lines{}
	p := newProgress(out)
	ran := false
	require.NoError(t, p.step("waiting for the backend to answer", func() error { ran = true; return nil }))
	assert.True(t, ran)
	assert.Empty(t, out.text())
}

func TestProgressReportsASlowFailureAndReturnsItsError(t *testing.T) {
	out := &lines{}
	clock := &fakeClock{}
	start := time.Unix(1_800_000_000, 0)
	clock.set(start, 0)
	p := &progress{w: out, after: 10 * time.Millisecond, every: time.Hour, now: clock.now}
	boom := errors.New("exit status 1")

	err := p.step("installing the web app's npm packages (npm ci)", func() error {
		clock.set(start, 6*time.Second)
		waitFor(t, out, "… 6 s\n")
		clock.set(start, 61*time.Second)
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Equal(t, []string{
		"[dev] installing the web app's npm packages (npm ci)… 6 s",
		"[dev] installing the web app's npm packages (npm ci): failed after 61 s",
	}, out.all())
}

func TestProgressDefaultsReportAfterFiveSeconds(t *testing.T) {
	p := newProgress(&lines{})
	assert.Equal(t, 5*time.Second, p.after)
	assert.LessOrEqual(t, p.every, 30*time.Second)
}
