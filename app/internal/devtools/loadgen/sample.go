package loadgen

import (
	"context"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

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
