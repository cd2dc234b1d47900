package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// runner is one load run: the players, their pairs, and what each measured step recorded.
type runner struct {
	cfg     Config
	log     *slog.Logger
	start   time.Time
	scripts []Script

	players []*player
	pairs   []*pair
	steps   []*stepStats
	warm    *stepStats // warmup and drain: counted for integrity, not reported
	stop    chan struct{}

	gamesMu sync.Mutex
	games   []*gameRun

	// playAt is when every pair had its first game set up (ns since start; 0 before): the
	// warmup and the steps are timed from there.
	playAt      atomic.Int64
	gamesActive atomic.Int64
	setupSem    chan struct{}

	decodeErrors atomic.Uint64
}

func (r *runner) now() int64 { return int64(time.Since(r.start)) }

// stepAt is the stats of the step a time falls in (warmup/drain outside the steps).
func (r *runner) stepAt(t int64) *stepStats {
	p := r.playAt.Load()
	if p == 0 {
		return r.warm
	}
	t -= p + int64(r.cfg.Warmup)
	i := t / int64(r.cfg.StepDuration)
	if t < 0 || i >= int64(len(r.steps)) {
		return r.warm
	}
	return r.steps[i]
}

// meanThink is the mean time between two moves of one game that offers the rate of the step
// at time t (open mode).
func (r *runner) meanThink(t int64) time.Duration {
	i := (t - r.playAt.Load() - int64(r.cfg.Warmup)) / int64(r.cfg.StepDuration)
	i = max(0, min(i, int64(len(r.cfg.Rates)-1)))
	return time.Duration(float64(r.cfg.Games) / r.cfg.Rates[i] * float64(time.Second))
}

func (r *runner) stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// Run performs one load run and returns its results.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &runner{cfg: cfg, log: log, stop: make(chan struct{}), warm: newStepStats(), start: time.Now(),
		setupSem: make(chan struct{}, 2*cfg.Concurrency)}
	for range cfg.stepCount() {
		r.steps = append(r.steps, newStepStats())
	}
	res := &Result{Mode: cfg.Mode, Games: cfg.Games, TC: cfg.TC, Spectators: cfg.spectatorCount(), MaxPlies: cfg.MaxPlies,
		PingIntervalMs: cfg.PingInterval.Milliseconds(), Backends: len(cfg.URLs)}

	t0 := time.Now()
	scripts, err := Library(cfg.Seed, cfg.LibrarySize, cfg.MaxPlies)
	if err != nil {
		return nil, err
	}
	r.scripts = scripts
	res.Setup.LibrarySeconds = time.Since(t0).Seconds()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := r.connect(ctx, res); err != nil {
		r.closeAll()
		return nil, err
	}
	defer r.closeAll()
	log.Info("players connected", "connections", len(r.players), "seconds", res.Setup.ConnectSeconds)

	go r.pinger(ctx)
	// Every pair sets up its first game (at most 2×Concurrency at once) before anyone moves, so
	// the offered rate applies to all games from the start of the warmup.
	t1 := time.Now()
	var wg, first sync.WaitGroup
	play := make(chan struct{})
	for _, pr := range r.pairs {
		wg.Add(1)
		first.Add(1)
		go func() { defer wg.Done(); pr.run(ctx, &first, play) }()
	}
	first.Wait()
	r.playAt.Store(max(1, r.now()))
	close(play)
	res.Setup.FirstGamesSeconds = time.Since(t1).Seconds()
	res.Setup.FirstGames = r.warm.setup.Summarize()
	log.Info("first games set up", "games", r.gamesActive.Load(), "seconds", res.Setup.FirstGamesSeconds)

	// Sample the processes at every step boundary.
	samples := make([]sample, 0, len(r.steps)+1)
	playStart := r.start.Add(time.Duration(r.playAt.Load()))
	at := cfg.Warmup
	for i := 0; i <= len(r.steps); i++ {
		if err := sleepUntil(ctx, playStart.Add(at)); err != nil {
			close(r.stop)
			wg.Wait()
			return nil, err
		}
		samples = append(samples, r.sample())
		if i < len(r.steps) {
			log.Info("step", "index", i, "of", len(r.steps))
		}
		at += cfg.StepDuration
	}
	close(r.stop)
	wg.Wait() // drivers drain their outstanding acks (bounded by DrainTimeout)

	for i, st := range r.steps {
		res.Steps = append(res.Steps, r.stepResult(i, st, samples[i], samples[i+1]))
	}
	res.DecodeErrors = r.decodeErrors.Load()
	r.warm.mu.Lock()
	res.UnmeasuredErrors = copyMap(r.warm.errors)
	r.warm.mu.Unlock()
	res.Integrity = r.integrity(ctx)
	return res, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// connect signs in (unless sessions were given), dials every connection and waits for a ping
// round trip on each, so the server has registered the session before anything is sent to it.
func (r *runner) connect(ctx context.Context, res *Result) error {
	cfg := r.cfg
	n := cfg.connections()
	sessions := cfg.Sessions
	t0 := time.Now()
	if sessions == nil {
		var err error
		sessions, err = SignIn(ctx, cfg.URLs, n, cfg.PerIP, cfg.IPOffset, cfg.Concurrency)
		if err != nil {
			return err
		}
		res.Setup.SessionsCreated = n
	}
	res.Setup.SignInSeconds = time.Since(t0).Seconds()
	t1 := time.Now()
	r.players = make([]*player, n)
	for i := range r.players {
		r.players[i] = &player{r: r, idx: i, sess: sessions[i], url: cfg.URLs[i%len(cfg.URLs)],
			inflight: map[int64]pending{}, ready: make(chan struct{})}
	}
	hc := wsHTTPClient()
	err := parallel(ctx, n, cfg.Concurrency, func(i int) error {
		p := r.players[i]
		wsBase := p.url
		if cfg.WSURL != "" {
			wsBase = cfg.WSURL
		}
		ws, err := dialWS(ctx, hc, wsBase, p.sess)
		if err != nil {
			return fmt.Errorf("player %d (%s): %w", i, p.name(), err)
		}
		p.ws = ws
		p.alive.Store(true)
		go p.read(ctx)
		p.pingAt.Store(-1) // the start ping is not measured
		if err := p.send(ctx, pingFrame()); err != nil {
			return fmt.Errorf("player %d: first ping: %w", i, err)
		}
		select {
		case <-p.ready:
			return nil
		case <-time.After(20 * time.Second):
			return fmt.Errorf("player %d: no pong within 20s", i)
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		return err
	}
	res.Setup.ConnectSeconds = time.Since(t1).Seconds()
	res.Connections = n
	for g := range cfg.Games {
		pr := &pair{r: r, a: r.players[2*g], b: r.players[2*g+1], ev: make(chan event, 256),
			rng: rand.New(rand.NewPCG(cfg.Seed, uint64(1_000_000+g)))}
		pr.a.pair, pr.b.pair = pr, pr
		if g < cfg.spectatorCount() {
			pr.spectator = r.players[2*cfg.Games+g]
		}
		r.pairs = append(r.pairs, pr)
	}
	return nil
}

// SignIn creates n guest sessions, n/perIP per source address, against the URLs in turn.
func SignIn(ctx context.Context, urls []string, n, perIP, ipOffset, concurrency int) ([]Session, error) {
	hc := newHTTPClient()
	out := make([]Session, n)
	err := parallel(ctx, n, concurrency, func(i int) error {
		ip := SourceIP(ipOffset+i, perIP)
		for attempt := 0; ; attempt++ {
			s, err := NewGuest(ctx, hc, urls[i%len(urls)], ip)
			if errors.Is(err, errRateLimited) && attempt < 40 {
				// This address signed in recently (an earlier run): its bucket refills 30/min.
				select {
				case <-time.After(2500 * time.Millisecond):
					continue
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			if err != nil {
				return fmt.Errorf("guest %d from %s: %w", i, ip, err)
			}
			out[i] = s
			return nil
		}
	})
	return out, err
}

// parallel runs f(0..n-1) on at most c goroutines and returns the first error.
func parallel(ctx context.Context, n, c int, f func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

func (r *runner) closeAll() {
	for _, p := range r.players {
		if p != nil && p.ws != nil {
			p.ws.CloseNow()
		}
	}
}
