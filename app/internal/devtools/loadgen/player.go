package loadgen

import (
	"chessplatform/app/internal/devtools/wsclient"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

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
	ws   *wsclient.Conn

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
	return p.ws.Write(ctx, frame)
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

// read dispatches the server's messages of one connection, timestamping them on arrival.
func (p *player) read(ctx context.Context) {
	r := p.r
	for {
		b, err := p.ws.Read(ctx)
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
