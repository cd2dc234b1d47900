package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"chessplatform/app/internal/devtools/loadgen/hist"
)

// stepStats collects what happens to moves scheduled within one measured step.
type stepStats struct {
	ack, push, spectator, ping, setup *hist.H

	sent, acked, pushes atomic.Uint64
	ackArrived          atomic.Uint64 // move acks that arrived within the step (any schedule)
	gamesStarted        atomic.Uint64

	mu      sync.Mutex
	errors  map[string]uint64
	endings map[string]uint64
}

func newStepStats() *stepStats {
	return &stepStats{ack: hist.New(), push: hist.New(), spectator: hist.New(), ping: hist.New(), setup: hist.New(),
		errors: map[string]uint64{}, endings: map[string]uint64{}}
}

func (s *stepStats) countError(code string) {
	s.mu.Lock()
	s.errors[code]++
	s.mu.Unlock()
}

func (s *stepStats) countEnding(reason string) {
	s.mu.Lock()
	s.endings[reason]++
	s.mu.Unlock()
}

// pendingKind is what an ack id was used for.
type pendingKind int8

const (
	kMove pendingKind = iota + 1
	kWatch
	kChallenge
	kAccept
	kResign
)

type pending struct {
	kind pendingKind
	ply  int
	game *gameRun
}

// gameRun is one game being played.
type gameRun struct {
	id           string
	white, black *player
	script       *Script
	// sched[ply] is when the move of that ply was due (ns since the run started); written before
	// the move is sent, read by the readers when its ack and pushes arrive.
	sched  []atomic.Int64
	sent   atomic.Int64 // moves sent
	acked  atomic.Int64 // moves acknowledged
	failed atomic.Int64 // moves answered with an error (not applied)
}

// mover is the player of ply (white plays the odd plies).
func (g *gameRun) mover(ply int) *player {
	if ply%2 == 1 {
		return g.white
	}
	return g.black
}

type evKind int8

const (
	evAck evKind = iota + 1
	evError
	evMove // the opponent of the mover received the move
	evChallenge
	evGameStart
	evEnd
	evClosed
)

type event struct {
	kind evKind
	p    *player
	m    inMsg
	pend pending
}

// player is one WebSocket connection (a player of a pair, or a spectator).
type player struct {
	r    *runner
	idx  int
	sess Session
	url  string
	ws   *websocket.Conn

	pair       *pair                   // nil for spectators
	spectating atomic.Pointer[gameRun] // spectators only

	nextAck  atomic.Int64
	mu       sync.Mutex
	inflight map[int64]pending

	pingAt   atomic.Int64 // ns since start of the outstanding ping, 0 if none
	lagMs    atomic.Int64 // half the last ping round trip
	ready    chan struct{}
	readyOne sync.Once
	alive    atomic.Bool
	lastSend int64 // driver only: ns of the last move sent
}

func (p *player) name() string { return p.sess.Player.Name }

// send writes a frame; ack ids registered before.
func (p *player) send(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return p.ws.Write(ctx, websocket.MessageText, frame)
}

// expect registers what the next ack id is used for and returns it.
func (p *player) expect(pd pending) int64 {
	a := p.nextAck.Add(1)
	p.mu.Lock()
	p.inflight[a] = pd
	p.mu.Unlock()
	return a
}

func (p *player) take(a int64) (pending, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pd, ok := p.inflight[a]
	delete(p.inflight, a)
	return pd, ok
}

// pair is two players who play game after game against each other, plus an optional spectator.
type pair struct {
	r         *runner
	a, b      *player
	spectator *player
	ev        chan event
	rng       *rand.Rand
	cur       atomic.Pointer[gameRun]
	games     int
}

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
			_ = p.ws.CloseNow()
		}
	}
}

// read dispatches the server's messages of one connection, timestamping them on arrival.
func (p *player) read(ctx context.Context) {
	r := p.r
	for {
		_, b, err := p.ws.Read(ctx)
		at := r.now()
		if err != nil {
			p.alive.Store(false)
			if p.pair != nil {
				p.pair.deliver(event{kind: evClosed, p: p})
			}
			return
		}
		m, err := parseMsg(b)
		if err != nil {
			r.decodeErrors.Add(1)
			continue
		}
		switch m.T {
		case "pong":
			p.readyOne.Do(func() { close(p.ready) })
			if t0 := p.pingAt.Swap(0); t0 > 0 {
				rtt := at - t0
				r.stepAt(t0).ping.Record(time.Duration(rtt))
				p.lagMs.Store(rtt / 2 / int64(time.Millisecond))
			}
		case "ack":
			pd, ok := p.take(m.Ack)
			if !ok {
				continue
			}
			if pd.kind == kMove {
				sched := pd.game.sched[pd.ply].Load()
				st := r.stepAt(sched)
				st.ack.Record(time.Duration(at - sched))
				st.acked.Add(1)
				pd.game.acked.Add(1)
				r.stepAt(at).ackArrived.Add(1)
			}
			if p.pair != nil {
				p.pair.deliver(event{kind: evAck, p: p, m: m, pend: pd})
			}
		case "error":
			pd, _ := p.take(m.Ack)
			if pd.kind == kMove {
				pd.game.failed.Add(1)
				r.stepAt(pd.game.sched[pd.ply].Load()).countError(m.Code)
			} else {
				r.stepAt(at).countError(m.Code)
			}
			if p.pair != nil {
				p.pair.deliver(event{kind: evError, p: p, m: m, pend: pd})
			}
		case "move":
			var g *gameRun
			if p.pair != nil {
				g = p.pair.cur.Load()
			} else {
				g = p.spectating.Load()
			}
			if g == nil || g.id != m.Game || m.Ply < 1 || m.Ply >= len(g.sched) {
				continue
			}
			sched := g.sched[m.Ply].Load()
			switch {
			case p.pair == nil:
				r.stepAt(sched).spectator.Record(time.Duration(at - sched))
			case g.mover(m.Ply) != p:
				st := r.stepAt(sched)
				st.push.Record(time.Duration(at - sched))
				st.pushes.Add(1)
				p.pair.deliver(event{kind: evMove, p: p, m: m})
			}
		case "challenge":
			if p.pair != nil {
				p.pair.deliver(event{kind: evChallenge, p: p, m: m})
			}
		case "gameStart":
			if p.pair != nil {
				p.pair.deliver(event{kind: evGameStart, p: p, m: m})
			}
		case "end":
			if p.pair != nil {
				p.pair.deliver(event{kind: evEnd, p: p, m: m})
			}
		}
	}
}

// deliver hands an event to the pair's driver; once the run stops and the driver may be gone,
// an event that does not fit is dropped instead of blocking the reader.
func (pr *pair) deliver(e event) {
	select {
	case pr.ev <- e:
	case <-pr.r.stop:
		select {
		case pr.ev <- e:
		default:
		}
	}
}

// pinger sends each connection a ping every PingInterval, spread evenly over the interval.
func (r *runner) pinger(ctx context.Context) {
	const tick = 20 * time.Millisecond
	slots := max(1, int(r.cfg.PingInterval/tick))
	t := time.NewTicker(tick)
	defer t.Stop()
	n := len(r.players)
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-r.stop:
			return
		case <-t.C:
		}
		s := k % slots
		for i := s * n / slots; i < (s+1)*n/slots; i++ {
			p := r.players[i]
			if !p.alive.Load() {
				continue
			}
			now := r.now()
			if old := p.pingAt.Load(); old != 0 {
				if old > 0 && now-old > int64(10*time.Second) {
					r.stepAt(old).countError("ping_timeout")
					p.pingAt.Store(0)
				}
				continue
			}
			p.pingAt.Store(now)
			if err := p.send(ctx, pingFrame()); err != nil {
				r.stepAt(now).countError("write_failed")
			}
		}
	}
}

// errPairBroken ends a pair's loop (a connection closed).
var errPairBroken = errors.New("connection closed")

// run plays games between the pair until the run stops. The first game is set up before the
// play signal; first is done once that has been tried.
func (pr *pair) run(ctx context.Context, first *sync.WaitGroup, play <-chan struct{}) {
	r := pr.r
	r.setupSem <- struct{}{}
	g, err := pr.setup(ctx, 120*time.Second)
	<-r.setupSem
	if err != nil {
		r.warm.countError("first setup: " + err.Error())
	}
	first.Done()
	select {
	case <-play:
	case <-ctx.Done():
		return
	}
	for !r.stopping() {
		if g == nil {
			g, err = pr.setup(ctx, 30*time.Second)
		}
		if err != nil {
			if r.stopping() {
				return
			}
			r.stepAt(r.now()).countError("setup: " + err.Error())
			if errors.Is(err, errPairBroken) || ctx.Err() != nil {
				return
			}
			continue
		}
		err = pr.play(ctx, g)
		r.gamesActive.Add(-1)
		g = nil
		if err != nil {
			if !r.stopping() {
				r.stepAt(r.now()).countError("play: " + err.Error())
			}
			if errors.Is(err, errPairBroken) || ctx.Err() != nil {
				return
			}
		}
	}
}

// wait returns the next event, or an error when the timeout passes or the run stops.
func (pr *pair) wait(ctx context.Context, deadline *time.Timer) (event, error) {
	select {
	case e := <-pr.ev:
		if e.kind == evClosed {
			return e, errPairBroken
		}
		return e, nil
	case <-deadline.C:
		return event{}, errors.New("timeout")
	case <-pr.r.stop:
		return event{}, errors.New("stopped")
	case <-ctx.Done():
		return event{}, ctx.Err()
	}
}

// setup starts a new game by a direct challenge, then both players (and the spectator) watch it.
func (pr *pair) setup(ctx context.Context, timeout time.Duration) (*gameRun, error) {
	r := pr.r
	t0 := r.now()
	from, to := pr.a, pr.b
	if pr.games%2 == 1 {
		from, to = to, from
	}
	pr.games++
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	a := from.expect(pending{kind: kChallenge})
	if err := from.send(ctx, challengeFrame(to.name(), r.cfg.TC, a)); err != nil {
		return nil, fmt.Errorf("sending challenge: %w", err)
	}
	var g *gameRun
	watching := 0
	needWatch := 2
	if pr.spectator != nil {
		needWatch = 3
	}
	for {
		e, err := pr.wait(ctx, deadline)
		if err != nil {
			if g != nil {
				return nil, fmt.Errorf("watching game: %w", err)
			}
			return nil, fmt.Errorf("waiting for the game to start: %w", err)
		}
		switch e.kind {
		case evError:
			switch e.pend.kind {
			case kChallenge, kAccept, kWatch:
				return nil, fmt.Errorf("%s", e.m.Code)
			}
		case evChallenge:
			if e.p == to && e.m.From == from.name() && g == nil {
				a := to.expect(pending{kind: kAccept})
				if err := to.send(ctx, actionFrame("acceptChallenge", "id", e.m.ID, a)); err != nil {
					return nil, fmt.Errorf("accepting: %w", err)
				}
			}
		case evGameStart:
			if g != nil {
				continue
			}
			white, black := pr.a, pr.b
			if e.m.White == pr.b.name() {
				white, black = pr.b, pr.a
			}
			if white.name() != e.m.White || black.name() != e.m.Black {
				continue // a game of someone else's challenge? not ours
			}
			sc := &r.scripts[pr.rng.IntN(len(r.scripts))]
			g = &gameRun{id: e.m.Game, white: white, black: black, script: sc, sched: make([]atomic.Int64, len(sc.Moves)+1)}
			pr.cur.Store(g)
			r.gamesMu.Lock()
			r.games = append(r.games, g)
			r.gamesMu.Unlock()
			watchers := []*player{white, black}
			if pr.spectator != nil {
				pr.spectator.spectating.Store(g)
				watchers = append(watchers, pr.spectator)
			}
			for _, w := range watchers {
				a := w.expect(pending{kind: kWatch, game: g})
				if err := w.send(ctx, watchFrame(g.id, a)); err != nil {
					return nil, fmt.Errorf("sending watch: %w", err)
				}
			}
			// The spectator's acks arrive at its own reader, which has no pair: count those
			// through the spectator below.
			if pr.spectator != nil {
				watching++ // not awaited: spectators only record pushes
			}
		case evAck:
			if e.pend.kind == kWatch && g != nil && e.pend.game == g {
				watching++
			}
		}
		if g != nil && watching >= needWatch {
			st := r.stepAt(t0)
			st.setup.Record(time.Duration(r.now() - t0))
			st.gamesStarted.Add(1)
			r.gamesActive.Add(1)
			return g, nil
		}
	}
}

// play plays the game's script: open mode at scheduled times, closed mode as soon as allowed.
// The side to move resigns when the script ends without an automatic ending.
func (pr *pair) play(ctx context.Context, g *gameRun) error {
	r := pr.r
	cfg := r.cfg
	n := len(g.script.Moves)
	minGap := int64(float64(time.Second) / cfg.MaxPlayerRate)
	now := r.now()
	// The first move comes after a uniformly drawn delay, so games do not move in lockstep.
	var nextSched int64
	if cfg.Mode == ModeOpen {
		nextSched = now + int64(pr.rng.Float64()*float64(r.meanThink(now)))
	}
	k := 1      // next ply to send
	pushed := 0 // highest ply the opponent of its mover has received
	resigned := false
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	idle := time.NewTimer(60 * time.Second)
	defer idle.Stop()
	for {
		var fire <-chan time.Time
		if k <= n && pushed >= k-1 {
			mover := g.mover(k)
			now = r.now()
			sched := nextSched
			if cfg.Mode == ModeClosed {
				sched = max(now, mover.lastSend+minGap)
			}
			if sched <= now {
				if err := pr.sendMove(ctx, g, k, sched); err != nil {
					return err
				}
				if cfg.Mode == ModeOpen {
					think := ThinkWithMean(r.meanThink(sched), cfg.ThinkSigma)
					nextSched = sched + int64(think.Draw(pr.rng))
				}
				k++
				continue
			}
			timer.Reset(time.Duration(sched - now))
			fire = timer.C
		}
		if k > n && pushed >= n && g.script.Ending == "" && !resigned {
			// The script ran out: the side to move resigns.
			p := g.mover(n + 1)
			a := p.expect(pending{kind: kResign, game: g})
			if err := p.send(ctx, actionFrame("resign", "game", g.id, a)); err != nil {
				return fmt.Errorf("resigning: %w", err)
			}
			resigned = true
		}
		select {
		case <-fire:
			continue
		case <-r.stop:
			return pr.drain(ctx, g)
		case <-ctx.Done():
			return ctx.Err()
		case <-idle.C:
			return fmt.Errorf("game %s stuck at ply %d (pushed %d)", g.id, k, pushed)
		case e := <-pr.ev:
			// Go 1.23+ timers: Stop/Reset never leave a stale tick behind.
			timer.Stop()
			idle.Reset(60 * time.Second)
			switch e.kind {
			case evClosed:
				return errPairBroken
			case evMove:
				if e.m.Game == g.id {
					pushed = max(pushed, e.m.Ply)
				}
			case evEnd:
				if e.m.Game == g.id && e.p == g.white {
					r.stepAt(r.now()).countEnding(e.m.Reason)
					return nil
				}
			case evError:
				if e.pend.game == g && e.m.Code != "game_over" {
					return fmt.Errorf("%s", e.m.Code)
				}
			}
		}
	}
}

func (pr *pair) sendMove(ctx context.Context, g *gameRun, ply int, sched int64) error {
	r := pr.r
	p := g.mover(ply)
	g.sched[ply].Store(sched)
	a := p.expect(pending{kind: kMove, ply: ply, game: g})
	g.sent.Add(1)
	r.stepAt(sched).sent.Add(1)
	p.lastSend = r.now()
	if err := p.send(ctx, moveFrame(g.id, g.script.Moves[ply-1], ply, p.lagMs.Load(), a)); err != nil {
		return fmt.Errorf("sending move: %w", err)
	}
	return nil
}

// drain waits until every move sent in the game is answered, or DrainTimeout passes.
func (pr *pair) drain(ctx context.Context, g *gameRun) error {
	deadline := time.Now().Add(pr.r.cfg.DrainTimeout)
	for g.acked.Load()+g.failed.Load() < g.sent.Load() && time.Now().Before(deadline) {
		select {
		case <-pr.ev:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// sample reads the resource use of the sampled processes.
func (r *runner) sample() sample {
	s := sample{at: time.Now()}
	for _, pid := range r.cfg.ServerPIDs {
		ps, err := SampleProc(pid, false)
		if err != nil {
			s.errs = append(s.errs, err.Error())
			continue
		}
		s.server.CPUSeconds += ps.CPUSeconds
		s.server.RSSBytes += ps.RSSBytes
		s.server.Procs++
	}
	if r.cfg.PostgresPID > 0 {
		if ps, err := SampleProc(r.cfg.PostgresPID, true); err == nil {
			s.postgres = ps
		} else {
			s.errs = append(s.errs, err.Error())
		}
	}
	if r.cfg.RedisPID > 0 {
		if ps, err := SampleProc(r.cfg.RedisPID, false); err == nil {
			s.redis = ps
		} else {
			s.errs = append(s.errs, err.Error())
		}
	}
	if ps, err := SampleProc(os.Getpid(), false); err == nil {
		s.self = ps
	}
	for _, p := range r.players {
		if p.alive.Load() {
			s.conns++
		}
	}
	s.games = r.gamesActive.Load()
	s.load, _ = LoadAvg()
	return s
}

type sample struct {
	at                            time.Time
	server, postgres, redis, self ProcSample
	conns                         int
	games                         int64
	load                          [3]float64
	errs                          []string
}

func (r *runner) stepResult(i int, st *stepStats, a, b sample) StepResult {
	secs := b.at.Sub(a.at).Seconds()
	sr := StepResult{
		Index: i, DurationSec: secs, MovesSent: st.sent.Load(), MovesAcked: st.acked.Load(), Pushes: st.pushes.Load(),
		Ack: st.ack.Summarize(), Push: st.push.Summarize(), Spectator: st.spectator.Summarize(), Ping: st.ping.Summarize(),
		GameSetup: st.setup.Summarize(), GamesStarted: st.gamesStarted.Load(), ConnectionsHeld: b.conns,
		GamesActiveStart: a.games, GamesActiveEnd: b.games,
		LoadAvgStart: a.load, LoadAvgEnd: b.load, SampleErrors: append(a.errs, b.errs...),
	}
	if r.cfg.Mode == ModeOpen {
		sr.OfferedMovesPerSec = r.cfg.Rates[i]
	}
	sr.AchievedMovesPerSec = float64(sr.MovesAcked) / secs
	sr.AcksPerSec = float64(st.ackArrived.Load()) / secs
	st.mu.Lock()
	sr.Errors = copyMap(st.errors)
	sr.Endings = copyMap(st.endings)
	st.mu.Unlock()
	sr.Server = procDelta(a.server, b.server, secs, sr.MovesAcked, b.conns)
	sr.Postgres = procDelta(a.postgres, b.postgres, secs, sr.MovesAcked, 0)
	sr.Redis = procDelta(a.redis, b.redis, secs, sr.MovesAcked, 0)
	sr.Loadgen = procDelta(a.self, b.self, secs, sr.MovesAcked, 0)
	return sr
}

func copyMap(m map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func procDelta(a, b ProcSample, secs float64, moves uint64, conns int) ProcUse {
	u := ProcUse{RSSBytes: b.RSSBytes, CPUCores: (b.CPUSeconds - a.CPUSeconds) / secs}
	if moves > 0 {
		u.CPUMicrosPerMove = (b.CPUSeconds - a.CPUSeconds) * 1e6 / float64(moves)
	}
	if conns > 0 {
		u.RSSBytesPerConn = b.RSSBytes / int64(conns)
	}
	return u
}

// integrity compares the moves acknowledged per game with the moves PostgreSQL holds.
func (r *runner) integrity(ctx context.Context) Integrity {
	r.gamesMu.Lock()
	games := append([]*gameRun(nil), r.games...)
	r.gamesMu.Unlock()
	in := Integrity{Games: len(games)}
	acked := map[string]int64{}
	ids := make([]string, 0, len(games))
	for _, g := range games {
		in.MovesSent += g.sent.Load()
		in.MovesAcked += g.acked.Load()
		in.MovesFailed += g.failed.Load()
		acked[g.id] = g.acked.Load()
		ids = append(ids, g.id)
	}
	in.Unanswered = in.MovesSent - in.MovesAcked - in.MovesFailed
	if r.cfg.DatabaseURL == "" {
		in.Error = "not checked: no -database-url"
		return in
	}
	counts, err := CountMoves(ctx, r.cfg.DatabaseURL, ids)
	if err != nil {
		in.Error = err.Error()
		return in
	}
	in.Checked = true
	sort.Strings(ids)
	for _, id := range ids {
		db, a := counts[id], acked[id]
		in.MovesInDB += db
		if a > db {
			in.Lost += a - db
			if len(in.LostGames) < 10 {
				in.LostGames = append(in.LostGames, id)
			}
		}
		if db > a {
			in.Unacked += db - a
		}
	}
	in.Equal = in.MovesInDB == in.MovesAcked && in.Lost == 0
	return in
}
