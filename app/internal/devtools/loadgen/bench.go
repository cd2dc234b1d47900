package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"chessplatform/app/internal/devtools/testenv"
)

// Rung is one load of the ladder: Games games offered Rate moves/s (open loop).
type Rung struct {
	Games int     `json:"games"`
	Rate  float64 `json:"rate"`
}

// ParseLadder reads "100x1000,1000x5000" (games x moves/s).
func ParseLadder(s string) ([]Rung, error) {
	var out []Rung
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		g, r, ok := strings.Cut(part, "x")
		games, err1 := strconv.Atoi(g)
		rate, err2 := strconv.ParseFloat(r, 64)
		if !ok || err1 != nil || err2 != nil || games < 1 || rate <= 0 {
			return nil, fmt.Errorf("rung %q: want GAMESxRATE, e.g. 1000x5000", part)
		}
		out = append(out, Rung{Games: games, Rate: rate})
	}
	if len(out) == 0 {
		return nil, errors.New("empty ladder")
	}
	return out, nil
}

// BenchConfig describes `make bench`: dependencies, backends, the ladder, the saturated run with
// its CPU profile, and the idle-connection measurement.
type BenchConfig struct {
	ServerBin      string        // -server-bin: the chess-server binary to run
	WorkDir        string        // -work: temporary data and logs (bench/tmp)
	OutDir         string        // -out-dir: results.json, SVGs and the profile (bench)
	Backends       int           // -backends: 1 or 2 instances
	Ladder         []Rung        // -ladder
	Base           Config        // per-run settings (step, warmup, tc, spectators, ...)
	SaturateGames  int           // -saturate-games: closed-loop games of the saturated run (0: skip)
	SaturateFor    time.Duration // -saturate-for
	ProfileFor     time.Duration // -profile-for: CPU profile length within the saturated run
	IdleConns      int           // -idle-conns (0: skip)
	IdleHold       time.Duration // -idle-hold
	GoBin          string        // -go: for `go tool pprof -top`
	QuietLoad      float64       // -quiet-load: wait for a 1-minute load average below this before each run (0: don't)
	QuietWait      time.Duration // -quiet-wait: at most this long
	Log            *slog.Logger
	ServerLogLevel string
	// ServerEnv are extra KEY=VALUE settings for the backends (e.g. DB_GROUP_COMMIT=4,
	// REDIS_POOL_SIZE=64), to measure a tuning without editing anything.
	ServerEnv []string // -server-env
	// Transport is how players connect: TransportDirect (each backend's /ws) or TransportAPIGW
	// (through an API Gateway emulator in this process; the idle measurement stays direct).
	Transport string // -transport
}

// BenchResult is bench/results.json.
type BenchResult struct {
	Schema     string       `json:"schema"`
	StartedAt  time.Time    `json:"startedAt"`
	FinishedAt time.Time    `json:"finishedAt"`
	Machine    Machine      `json:"machine"`
	Backends   int          `json:"backends"`
	Transport  string       `json:"transport"`
	ServerEnv  []string     `json:"serverEnv,omitempty"`
	Settings   BenchSetting `json:"settings"`
	Rungs      []RungResult `json:"rungs"`
	Saturated  *RungResult  `json:"saturated,omitempty"`
	Idle       *IdleResult  `json:"idle,omitempty"`
	// Best is the highest achieved moves/s of a rung that held p99 push < 50 ms, achieved at
	// least 95 % of the offered rate, and lost no acknowledged move.
	Best    *Best    `json:"best,omitempty"`
	Profile *Profile `json:"profile,omitempty"`
}

// BenchSetting records what every run used.
type BenchSetting struct {
	StepSec      float64 `json:"stepSec"`
	WarmupSec    float64 `json:"warmupSec"`
	TC           string  `json:"tc"`
	Spectators   float64 `json:"spectators"`
	MaxPlies     int     `json:"maxPlies"`
	PingInterval string  `json:"pingInterval"`
	ThinkSigma   float64 `json:"thinkSigma"`
	Seed         uint64  `json:"seed"`
}

// RungResult is one run of the bench with the load average it ran under.
type RungResult struct {
	Rung
	Mode           string     `json:"mode"`
	WaitedQuietSec float64    `json:"waitedQuietSec"`
	LoadBefore     [3]float64 `json:"loadBefore"`
	Result         *Result    `json:"result,omitempty"`
	Error          string     `json:"error,omitempty"`
}

// Best is the highest sustained load that met the targets.
type Best struct {
	Games          int     `json:"games"`
	OfferedPerSec  float64 `json:"offeredPerSec"`
	AchievedPerSec float64 `json:"achievedPerSec"`
	PushP99Ms      float64 `json:"pushP99Ms"`
}

// Profile names the CPU profile files of the saturated run, and the off-CPU views (time
// goroutines spent blocked in syscalls, on the network and on synchronization) taken from a
// short execution trace right after the CPU profile.
type Profile struct {
	Seconds      float64           `json:"seconds"`
	Raw          string            `json:"raw"`
	Top          string            `json:"top"`
	TopCum       string            `json:"topCum"`
	TraceSeconds float64           `json:"traceSeconds"`
	Blocking     map[string]string `json:"blocking,omitempty"` // kind -> top list file
	Error        string            `json:"error,omitempty"`
}

// traceFor is the length of the execution trace of the saturated run.
const traceFor = 3 * time.Second

// Machine describes where the bench ran.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpuModel"`
	MemTotal  string `json:"memTotal"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"goVersion"`
}

// Bench runs everything and writes OutDir/results.json and the plots.
func Bench(ctx context.Context, bc BenchConfig) (*BenchResult, error) {
	if bc.Backends < 1 || bc.Backends > 2 {
		return nil, fmt.Errorf("-backends %d: must be 1 or 2", bc.Backends)
	}
	if len(bc.Ladder) == 0 {
		return nil, errors.New("-ladder: at least one rung is required")
	}
	if bc.Transport == "" {
		bc.Transport = TransportDirect
	}
	if err := CheckTransport(bc.Transport); err != nil {
		return nil, err
	}
	if _, err := os.Stat(bc.ServerBin); err != nil {
		return nil, fmt.Errorf("-server-bin: %w", err)
	}
	log := bc.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	res := &BenchResult{Schema: "chess.bench/v1", StartedAt: time.Now().UTC(), Machine: describeMachine(), Backends: bc.Backends,
		Transport: bc.Transport,
		Settings: BenchSetting{StepSec: bc.Base.StepDuration.Seconds(), WarmupSec: bc.Base.Warmup.Seconds(), TC: bc.Base.TC,
			Spectators: bc.Base.Spectators, MaxPlies: bc.Base.MaxPlies, PingInterval: bc.Base.PingInterval.String(),
			ThinkSigma: bc.Base.ThinkSigma, Seed: bc.Base.Seed}}
	for _, d := range []string{bc.WorkDir, bc.OutDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp(bc.WorkDir, "run-")
	if err != nil {
		return nil, err
	}
	tmp, _ = filepath.Abs(tmp)
	_ = os.Chmod(tmp, 0o755) // PostgreSQL runs as the postgres user when we are root
	pgDir, redisDir := filepath.Join(tmp, "pg"), filepath.Join(tmp, "redis")
	for _, d := range []string{pgDir, redisDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	pg, err := testenv.StartPostgres(ctx, pgDir)
	if err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer pg.Stop()
	rd, err := testenv.StartRedis(ctx, redisDir)
	if err != nil {
		return nil, fmt.Errorf("starting Redis: %w", err)
	}
	defer rd.Stop()
	pgPID, _ := postmasterPID(pg.DataDir)
	redisPID := pidOnPort(rd.Port)
	env := benchEnv{bin: bc.ServerBin, dir: tmp, dsn: pg.DSN, redis: rd.URL, key: randomHex(32), level: bc.ServerLogLevel,
		extra: bc.ServerEnv}
	res.ServerEnv = bc.ServerEnv
	var front *apigwFront
	if bc.Transport == TransportAPIGW {
		if front, err = newAPIGWFront(env.key, log); err != nil {
			return nil, err
		}
		defer front.close()
		env.extra = append(append([]string(nil), env.extra...), front.serverEnv()...)
	}

	// Sign the players in once (through a first backend) and reuse them in every run: the
	// token key stays the same across backend restarts.
	need := bc.IdleConns
	for _, r := range bc.Ladder {
		need = max(need, 2*r.Games+int(bc.Base.Spectators*float64(r.Games)+0.5))
	}
	need = max(need, 2*bc.SaturateGames+int(bc.Base.Spectators*float64(bc.SaturateGames)+0.5))
	bes, err := env.start(ctx, 1, "signin")
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	sessions, err := SignIn(ctx, []string{bes[0].url}, need, bc.Base.PerIP, bc.Base.IPOffset, 64)
	stopBackends(bes)
	if err != nil {
		return nil, fmt.Errorf("signing in %d guests: %w", need, err)
	}
	log.Info("guests signed in", "n", need, "seconds", time.Since(t0).Seconds())

	runOne := func(name string, cfg Config, during func(bes []*backendProc)) RungResult {
		rr := RungResult{Rung: Rung{Games: cfg.Games}, Mode: cfg.Mode}
		if len(cfg.Rates) > 0 && cfg.Mode == ModeOpen {
			rr.Rate = cfg.Rates[0]
		}
		rr.WaitedQuietSec, rr.LoadBefore = waitQuiet(ctx, bc.QuietLoad, bc.QuietWait, log)
		bes, err := env.start(ctx, bc.Backends, name)
		if err != nil {
			rr.Error = err.Error()
			return rr
		}
		defer stopBackends(bes)
		cfg.URLs, cfg.ServerPIDs = nil, nil
		for _, b := range bes {
			cfg.URLs = append(cfg.URLs, b.url)
			cfg.ServerPIDs = append(cfg.ServerPIDs, b.cmd.Process.Pid)
		}
		if front != nil {
			front.setBackends(cfg.URLs)
			cfg.WSURL = front.url()
		}
		cfg.PostgresPID, cfg.RedisPID, cfg.DatabaseURL = pgPID, redisPID, pg.DSN
		cfg.Sessions, cfg.Log = sessions, log
		if during != nil {
			go during(bes)
		}
		log.Info("bench run", "name", name, "games", cfg.Games, "mode", cfg.Mode, "rates", cfg.Rates, "load", rr.LoadBefore)
		r, err := Run(ctx, cfg)
		if err != nil {
			rr.Error = err.Error()
			return rr
		}
		rr.Result = r
		r.WriteTable(os.Stdout)
		return rr
	}

	for i, rung := range bc.Ladder {
		cfg := bc.Base
		cfg.Games, cfg.Mode, cfg.Rates = rung.Games, ModeOpen, []float64{rung.Rate}
		cfg.IPOffset = 0
		rr := runOne(fmt.Sprintf("rung%d", i), cfg, nil)
		res.Rungs = append(res.Rungs, rr)
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	res.Best = best(res.Rungs)

	if bc.SaturateGames > 0 {
		cfg := bc.Base
		cfg.Games, cfg.Mode, cfg.Steps, cfg.StepDuration = bc.SaturateGames, ModeClosed, 1, bc.SaturateFor
		prof := &Profile{Seconds: bc.ProfileFor.Seconds(), Raw: filepath.Join(bc.OutDir, "cpu-saturated.pprof"),
			Top: filepath.Join(bc.OutDir, "cpu-saturated-top.txt"), TopCum: filepath.Join(bc.OutDir, "cpu-saturated-topcum.txt")}
		done := make(chan error, 1)
		rr := runOne("saturated", cfg, func(bes []*backendProc) {
			// Profile the middle of the measured step.
			lead := cfg.Warmup + (cfg.StepDuration-bc.ProfileFor)/2
			if err := sleepUntil(ctx, time.Now().Add(lead)); err != nil {
				done <- err
				return
			}
			if err := fetchProfile(ctx, bes[0].pprof, bc.ProfileFor, prof.Raw); err != nil {
				done <- err
				return
			}
			done <- fetchTrace(ctx, bes[0].pprof, traceFor, filepath.Join(bc.WorkDir, "saturated.trace"))
		})
		if err := <-done; err != nil {
			prof.Error = err.Error()
		} else if err := pprofTop(ctx, bc.GoBin, bc.ServerBin, prof); err != nil {
			prof.Error = err.Error()
		} else {
			prof.TraceSeconds = traceFor.Seconds()
			prof.Blocking, err = traceTops(ctx, bc.GoBin, filepath.Join(bc.WorkDir, "saturated.trace"), bc.OutDir)
			if err != nil {
				prof.Error = err.Error()
			}
		}
		res.Saturated, res.Profile = &rr, prof
	}

	if bc.IdleConns > 0 {
		ic := DefaultIdleConfig()
		ic.Conns, ic.Hold, ic.Sessions, ic.Log = bc.IdleConns, bc.IdleHold, sessions, log
		ic.HeapProfile = filepath.Join(bc.OutDir, "heap-idle.pprof")
		_, load := waitQuiet(ctx, bc.QuietLoad, bc.QuietWait, log)
		log.Info("idle run", "conns", ic.Conns, "load", load)
		bes, err := env.start(ctx, 1, "idle")
		if err != nil {
			return res, err
		}
		ic.URL, ic.ServerPID, ic.PprofURL = bes[0].url, bes[0].cmd.Process.Pid, bes[0].pprof
		ir, err := RunIdle(ctx, ic)
		stopBackends(bes)
		if err != nil {
			return res, fmt.Errorf("idle measurement: %w", err)
		}
		res.Idle = ir
		top, err := exec.CommandContext(ctx, bc.GoBin, "tool", "pprof", "-top", "-sample_index=inuse_space", "-nodecount=30",
			bc.ServerBin, ic.HeapProfile).Output()
		if err != nil {
			return res, fmt.Errorf("go tool pprof (heap): %w", err)
		}
		if err := os.WriteFile(filepath.Join(bc.OutDir, "heap-idle-top.txt"), top, 0o644); err != nil {
			return res, err
		}
	}
	res.FinishedAt = time.Now().UTC()
	return res, nil
}

// best picks the highest achieved rate among rungs that met the targets.
func best(rungs []RungResult) *Best {
	var b *Best
	for _, rr := range rungs {
		if rr.Result == nil || len(rr.Result.Steps) == 0 {
			continue
		}
		s := rr.Result.Steps[0]
		in := rr.Result.Integrity
		if s.Push.P99Ms >= 50 || s.AchievedMovesPerSec < 0.95*s.OfferedMovesPerSec || !in.Checked || in.Lost != 0 {
			continue
		}
		if b == nil || s.AchievedMovesPerSec > b.AchievedPerSec {
			b = &Best{Games: rr.Games, OfferedPerSec: s.OfferedMovesPerSec, AchievedPerSec: s.AchievedMovesPerSec, PushP99Ms: s.Push.P99Ms}
		}
	}
	return b
}

// waitQuiet waits (polling every 15 s) until the 1-minute load average is below limit, at most
// maxWait; it returns how long it waited and the load it started with.
func waitQuiet(ctx context.Context, limit float64, maxWait time.Duration, log *slog.Logger) (float64, [3]float64) {
	t0 := time.Now()
	for {
		la, err := LoadAvg()
		if err != nil || limit <= 0 || la[0] < limit || time.Since(t0) >= maxWait {
			return time.Since(t0).Seconds(), la
		}
		log.Info("waiting for a quiet machine", "load1", la[0], "below", limit)
		select {
		case <-ctx.Done():
			return time.Since(t0).Seconds(), la
		case <-time.After(15 * time.Second):
		}
	}
}

func describeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		m.MemTotal = strings.TrimSpace(strings.TrimPrefix(first, "MemTotal:"))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
