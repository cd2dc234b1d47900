package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

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
