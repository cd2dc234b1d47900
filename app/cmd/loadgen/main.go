// Command loadgen drives the chess backend like players do and measures it.
//
//	loadgen run   -url http://127.0.0.1:8080 -games 1000 -rate 1000,5000 ...   one load run
//	loadgen idle  -url http://127.0.0.1:8080 -conns 10000 -server-pid N ...    idle connections
//	loadgen bench -out bench/results.json ...                                  the whole ladder
//
// Every subcommand validates its flags and names the flag in its error. Results are JSON (-out)
// plus a short table on stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"chessplatform/app/internal/devtools/loadgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage: loadgen run|idle|bench|plot [flags]   (loadgen <command> -h lists the flags)`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr, log)
	case "idle":
		return cmdIdle(ctx, args[1:], stdout, stderr, log)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr, log)
	case "plot":
		return cmdPlot(args[1:], stdout, stderr)
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
}

// listFlag is a comma-separated list flag.
type listFlag[T any] struct {
	vals  *[]T
	parse func(string) (T, error)
}

func (l listFlag[T]) String() string {
	if l.vals == nil {
		return ""
	}
	parts := make([]string, len(*l.vals))
	for i, v := range *l.vals {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ",")
}

func (l listFlag[T]) Set(s string) error {
	var out []T
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := l.parse(part)
		if err != nil {
			return fmt.Errorf("%q: %w", part, err)
		}
		out = append(out, v)
	}
	*l.vals = out
	return nil
}

func floatList(v *[]float64) listFlag[float64] {
	return listFlag[float64]{vals: v, parse: func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }}
}

func intList(v *[]int) listFlag[int] {
	return listFlag[int]{vals: v, parse: strconv.Atoi}
}

func stringList(v *[]string) listFlag[string] {
	return listFlag[string]{vals: v, parse: func(s string) (string, error) { return strings.TrimRight(s, "/"), nil }}
}

// runFlags registers the flags of a load run on fs.
func runFlags(fs *flag.FlagSet, c *loadgen.Config) {
	fs.Var(stringList(&c.URLs), "url", "backend base URL(s), comma-separated; players spread round robin")
	fs.StringVar(&c.WSURL, "ws-url", "", "connect every player's WebSocket here instead of its backend's /ws (e.g. an API Gateway emulator; sign-in still uses -url)")
	fs.IntVar(&c.Games, "games", c.Games, "concurrent games (2 players each)")
	fs.StringVar(&c.Mode, "mode", c.Mode, "open (scheduled sends at -rate) or closed (move as soon as possible)")
	fs.Var(floatList(&c.Rates), "rate", "open mode: offered moves/s per step, comma-separated (a ramp)")
	fs.IntVar(&c.Steps, "steps", c.Steps, "closed mode: number of measured steps")
	fs.DurationVar(&c.StepDuration, "step", c.StepDuration, "duration of each measured step")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "unmeasured play before the first step")
	fs.StringVar(&c.TC, "tc", c.TC, "time control minutes+increment")
	fs.Float64Var(&c.ThinkSigma, "think-sigma", c.ThinkSigma, "lognormal shape (sigma of the log) of think times")
	fs.IntVar(&c.MaxPlies, "max-plies", c.MaxPlies, "game length limit; then the side to move resigns")
	fs.IntVar(&c.LibrarySize, "library", c.LibrarySize, "distinct pre-generated random legal games")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the game library and think times")
	fs.Float64Var(&c.Spectators, "spectators", c.Spectators, "fraction of games with one spectator")
	fs.DurationVar(&c.PingInterval, "ping", c.PingInterval, "keepalive ping interval per connection")
	fs.Float64Var(&c.MaxPlayerRate, "max-player-rate", c.MaxPlayerRate, "messages/s per connection the generator stays under (server limit: 20)")
	fs.IntVar(&c.PerIP, "per-ip", c.PerIP, "clients per loopback source address (sign-in limit: 30/min per address)")
	fs.IntVar(&c.IPOffset, "ip-offset", c.IPOffset, "first source address index (use a fresh range when re-running within a minute)")
	fs.IntVar(&c.Concurrency, "setup-concurrency", c.Concurrency, "parallel sign-ins and dials")
	fs.DurationVar(&c.DrainTimeout, "drain", c.DrainTimeout, "how long to wait for outstanding acks at the end")
	fs.Var(intList(&c.ServerPIDs), "server-pid", "backend process id(s) to sample (RSS, CPU), comma-separated")
	fs.IntVar(&c.PostgresPID, "pg-pid", 0, "PostgreSQL postmaster pid to sample with its children (optional)")
	fs.IntVar(&c.RedisPID, "redis-pid", 0, "redis-server pid to sample (optional)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL URL to count the moves of the games played (optional)")
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	c := loadgen.DefaultConfig()
	fs := flag.NewFlagSet("loadgen run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runFlags(fs, &c)
	out := fs.String("out", "", "write the JSON result here (default: stdout after the table)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c.Log = log
	if err := raiseFileLimit(); err != nil {
		log.Warn("raising the open-file limit", "err", err)
	}
	res, err := loadgen.Run(ctx, c)
	if err != nil {
		return err
	}
	res.WriteTable(stdout)
	return writeJSON(*out, stdout, res)
}

// writeJSON writes v to path (atomically) or, with no path, to stdout.
func writeJSON(path string, stdout io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "" {
		_, err := stdout.Write(b)
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// raiseFileLimit lifts RLIMIT_NOFILE to what 10,000+ connections need; child processes (the
// backends the bench starts) inherit it.
func raiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	want := uint64(200_000)
	if l.Max < want {
		// Raising the hard limit needs CAP_SYS_RESOURCE (root here); otherwise take what we may.
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}); err == nil {
			return nil
		}
		want = l.Max
	}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: l.Max})
}

// cmdPlot redraws the SVG plots from one or more bench results files (their rungs merged).
func cmdPlot(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ins []string
	fs.Var(stringList(&ins), "in", "bench results files, comma-separated")
	outDir := fs.String("out-dir", "bench", "where latency.svg and memory.svg go")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(ins) == 0 {
		return errors.New("-in: at least one results file is required")
	}
	var rs []*loadgen.BenchResult
	for _, in := range ins {
		b, err := os.ReadFile(in)
		if err != nil {
			return fmt.Errorf("-in: %w", err)
		}
		var r loadgen.BenchResult
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("-in %s: %w", in, err)
		}
		rs = append(rs, &r)
	}
	merged := loadgen.MergeResults(rs)
	if err := loadgen.WritePlots(*outDir, merged); err != nil {
		return err
	}
	loadgen.WriteBenchTable(stdout, merged)
	return nil
}

func cmdIdle(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	c := loadgen.DefaultIdleConfig()
	fs := flag.NewFlagSet("loadgen idle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "", "backend base URL")
	fs.IntVar(&c.Conns, "conns", c.Conns, "idle authenticated connections to hold")
	fs.DurationVar(&c.Hold, "hold", c.Hold, "how long to hold them after measuring")
	fs.DurationVar(&c.PingInterval, "ping", c.PingInterval, "keepalive ping interval while holding")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "wait after connecting before measuring")
	fs.IntVar(&c.PerIP, "per-ip", c.PerIP, "clients per loopback source address")
	fs.IntVar(&c.IPOffset, "ip-offset", c.IPOffset, "first source address index")
	fs.IntVar(&c.Concurrency, "setup-concurrency", c.Concurrency, "parallel sign-ins and dials")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "the backend's process id (required)")
	fs.StringVar(&c.PprofURL, "pprof", "", "the backend's pprof listener, e.g. http://127.0.0.1:6060 (heap and goroutines per connection)")
	fs.StringVar(&c.HeapProfile, "heap-profile", "", "with -pprof: save the backend's heap profile while the connections are held")
	out := fs.String("out", "", "write the JSON result here (default: stdout)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c.URL = strings.TrimRight(c.URL, "/")
	c.Log = log
	if err := raiseFileLimit(); err != nil {
		log.Warn("raising the open-file limit", "err", err)
	}
	res, err := loadgen.RunIdle(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "idle: %d connections, %d held; RSS %.1f -> %.1f MiB = %.0f bytes/conn; heap %.0f B/conn, stacks %.0f B/conn, %.2f goroutines/conn\n",
		res.Conns, res.Held, float64(res.RSSBefore)/(1<<20), float64(res.RSSAfter)/(1<<20), res.RSSPerConn,
		res.HeapPerConn, res.StackPerConn, res.GoroutinesPer)
	return writeJSON(*out, stdout, res)
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	base := loadgen.DefaultConfig()
	bc := loadgen.BenchConfig{
		Backends: 1, SaturateGames: 400, SaturateFor: 40 * time.Second, ProfileFor: 20 * time.Second,
		IdleConns: 10_000, IdleHold: 30 * time.Second, GoBin: "go", QuietLoad: 0, QuietWait: 20 * time.Minute,
		ServerLogLevel: "warn",
	}
	fs := flag.NewFlagSet("loadgen bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&bc.ServerBin, "server-bin", "bench/tmp/chess-server", "the chess-server binary")
	fs.StringVar(&bc.WorkDir, "work", "bench/tmp", "temporary data and logs")
	fs.StringVar(&bc.OutDir, "out-dir", "bench", "where results.json, the SVG plots and the profile go")
	fs.IntVar(&bc.Backends, "backends", bc.Backends, "backend instances per run (1 or 2)")
	fs.StringVar(&bc.Transport, "transport", loadgen.TransportDirect, "how players connect: direct (each backend's /ws) or apigw (an API Gateway emulator in this process in front of the backends)")
	ladder := fs.String("ladder", "100x1000,1000x1000,1000x5000,5000x5000,5000x10000", "rungs GAMESxMOVES_PER_SEC, comma-separated")
	fs.IntVar(&bc.SaturateGames, "saturate-games", bc.SaturateGames, "games of the closed-loop saturated run (0: skip)")
	fs.DurationVar(&bc.SaturateFor, "saturate-for", bc.SaturateFor, "measured length of the saturated run")
	fs.DurationVar(&bc.ProfileFor, "profile-for", bc.ProfileFor, "CPU profile length within the saturated run")
	fs.IntVar(&bc.IdleConns, "idle-conns", bc.IdleConns, "idle connections to measure (0: skip)")
	fs.DurationVar(&bc.IdleHold, "idle-hold", bc.IdleHold, "how long to hold the idle connections")
	fs.StringVar(&bc.GoBin, "go", bc.GoBin, "go command (for go tool pprof)")
	fs.Float64Var(&bc.QuietLoad, "quiet-load", bc.QuietLoad, "before each run wait for a 1-minute load average below this (0: don't wait)")
	fs.DurationVar(&bc.QuietWait, "quiet-wait", bc.QuietWait, "longest wait for a quiet machine per run")
	fs.StringVar(&bc.ServerLogLevel, "server-log-level", bc.ServerLogLevel, "LOG_LEVEL of the backends")
	fs.DurationVar(&base.StepDuration, "step", base.StepDuration, "measured length of each rung")
	fs.DurationVar(&base.Warmup, "warmup", base.Warmup, "unmeasured play before each rung")
	fs.StringVar(&base.TC, "tc", base.TC, "time control of the games")
	fs.Float64Var(&base.Spectators, "spectators", base.Spectators, "fraction of games with one spectator")
	fs.IntVar(&base.MaxPlies, "max-plies", base.MaxPlies, "game length limit")
	fs.DurationVar(&base.PingInterval, "ping", base.PingInterval, "keepalive ping interval per connection")
	fs.Uint64Var(&base.Seed, "seed", base.Seed, "seed of the game library and think times")
	fs.Var(stringList(&bc.ServerEnv), "server-env", "extra KEY=VALUE environment of the backends, comma-separated (e.g. DB_GROUP_COMMIT=4,REDIS_POOL_SIZE=64)")
	out := fs.String("out", "bench/results.json", "the JSON results")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rungs, err := loadgen.ParseLadder(*ladder)
	if err != nil {
		return fmt.Errorf("-ladder: %w", err)
	}
	bc.Ladder, bc.Base, bc.Log = rungs, base, log
	// Check every rung's settings before starting anything.
	for _, r := range rungs {
		c := base
		c.URLs, c.Games, c.Mode, c.Rates = []string{"http://127.0.0.1:1"}, r.Games, loadgen.ModeOpen, []float64{r.Rate}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("-ladder rung %dx%v: %w", r.Games, r.Rate, err)
		}
	}
	if bc.SaturateGames < 0 {
		return fmt.Errorf("-saturate-games %d: must not be negative", bc.SaturateGames)
	}
	if err := loadgen.CheckTransport(bc.Transport); err != nil {
		return err
	}
	if bc.SaturateGames > 0 && (bc.ProfileFor < time.Second || bc.ProfileFor > bc.SaturateFor) {
		return fmt.Errorf("-profile-for %s: must be 1s up to -saturate-for (%s)", bc.ProfileFor, bc.SaturateFor)
	}
	for _, kv := range bc.ServerEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsAny(k, " \t") {
			return fmt.Errorf("-server-env %q: want KEY=VALUE", kv)
		}
	}
	if bc.IdleConns < 0 {
		return fmt.Errorf("-idle-conns %d: must not be negative", bc.IdleConns)
	}
	if err := raiseFileLimit(); err != nil {
		log.Warn("raising the open-file limit", "err", err)
	}
	res, err := loadgen.Bench(ctx, bc)
	if res != nil {
		if werr := writeJSON(*out, stdout, res); werr != nil {
			return errors.Join(err, werr)
		}
		if perr := loadgen.WritePlots(bc.OutDir, res); perr != nil {
			return errors.Join(err, perr)
		}
		loadgen.WriteBenchTable(stdout, res)
	}
	return err
}
