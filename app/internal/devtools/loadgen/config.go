// Package loadgen drives the chess backend over the direct WebSocket the way players do: guest
// sessions, direct challenges, realistic games from pre-generated legal scripts with lognormal
// think times, spectators and keepalive pings. It measures per move the latency from the
// (scheduled) send to the mover's ack and to the opponent's push, errors by code, connections
// held and the resource use of the server processes, and finally checks that every acknowledged
// move is in PostgreSQL.
package loadgen

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"chessplatform/app/internal/protocol"
)

// Modes of a run.
const (
	// ModeOpen sends moves at scheduled times drawn to offer a target rate, independent of the
	// server's answers; latency counts from the scheduled time, so a stalled server shows up in
	// the figures instead of silently lowering the load (no coordinated omission).
	ModeOpen = "open"
	// ModeClosed moves as soon as the opponent's move arrives (bounded only by MaxPlayerRate):
	// the throughput the server sustains with Games games in play.
	ModeClosed = "closed"
)

// Config describes one run. Field comments name the command-line flag of cmd/loadgen.
type Config struct {
	URLs []string // -url: backend base URLs (http://host:port); players spread round robin
	// WSURL is where every player's WebSocket connects instead of its backend's /ws (an API
	// Gateway emulator's base URL, whose stage is /ws); sign-in and counting still use URLs.
	WSURL        string        // -ws-url
	Games        int           // -games: concurrent games (2 players each)
	Mode         string        // -mode: open or closed
	Rates        []float64     // -rate: open mode, offered moves/s of each step
	Steps        int           // -steps: closed mode, number of measured steps
	StepDuration time.Duration // -step: length of each measured step
	Warmup       time.Duration // -warmup: unmeasured play before the first step
	TC           string        // -tc: time control of the games
	ThinkSigma   float64       // -think-sigma: lognormal shape of think times (open mode)
	MaxPlies     int           // -max-plies: a game longer than this ends by resignation
	LibrarySize  int           // -library: distinct pre-generated games
	Seed         uint64        // -seed: seed of the game library and think times
	Spectators   float64       // -spectators: fraction of games with one spectator
	PingInterval time.Duration // -ping: keepalive interval per connection (protocol: 2.5 s)
	// MaxPlayerRate keeps each connection under the server's per-connection message limit (20/s).
	MaxPlayerRate float64       // -max-player-rate
	PerIP         int           // -per-ip: clients per loopback source address
	Concurrency   int           // -setup-concurrency: parallel sign-ins and dials
	DrainTimeout  time.Duration // -drain: how long to wait for outstanding acks at the end
	ServerPIDs    []int         // -server-pid: backend processes to sample
	PostgresPID   int           // -pg-pid: postmaster (sampled with its children)
	RedisPID      int           // -redis-pid
	DatabaseURL   string        // -database-url: where to count the moves afterwards
	// IPOffset shifts the source addresses, so a second run within a minute signs in from fresh
	// addresses (the server limits sign-ins per address).
	IPOffset int // -ip-offset

	// Sessions, when set, are used instead of signing in (the bench reuses them across rungs).
	Sessions []Session
	Log      *slog.Logger
}

// DefaultConfig returns the defaults of cmd/loadgen.
func DefaultConfig() Config {
	return Config{
		Games: 100, Mode: ModeOpen, Rates: []float64{1000}, Steps: 1, StepDuration: 30 * time.Second,
		Warmup: 10 * time.Second, TC: "10+5", ThinkSigma: 0.5, MaxPlies: 120, LibrarySize: 200, Seed: 1,
		Spectators: 0.1, PingInterval: 2500 * time.Millisecond, MaxPlayerRate: 15, PerIP: 20,
		Concurrency: 32, DrainTimeout: 15 * time.Second,
	}
}

// Validate checks the configuration; errors name the flag.
func (c *Config) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("-%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	if len(c.URLs) == 0 {
		bad("url", "at least one backend URL is required")
	}
	for _, u := range c.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || (p.Path != "" && p.Path != "/") {
			bad("url", "%q is not a base URL like http://127.0.0.1:8080", u)
		}
	}
	if c.WSURL != "" {
		p, err := url.Parse(c.WSURL)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || (p.Path != "" && p.Path != "/") {
			bad("ws-url", "%q is not a base URL like http://127.0.0.1:9000", c.WSURL)
		}
	}
	if c.Games < 1 || c.Games > 100_000 {
		bad("games", "%d: must be 1-100000", c.Games)
	}
	if c.StepDuration < time.Second {
		bad("step", "%s: must be at least 1s", c.StepDuration)
	}
	if c.Warmup < 0 {
		bad("warmup", "%s: must not be negative", c.Warmup)
	}
	if c.MaxPlayerRate <= 0 || c.MaxPlayerRate > 100 {
		bad("max-player-rate", "%v: must be in (0, 100] messages/s", c.MaxPlayerRate)
	}
	switch c.Mode {
	case ModeOpen:
		if len(c.Rates) == 0 {
			bad("rate", "open mode needs at least one rate")
		}
		for _, r := range c.Rates {
			if r <= 0 {
				bad("rate", "%v: rates must be positive moves/s", r)
				continue
			}
			// Each player makes half of its game's moves; keep that under the per-connection budget.
			if c.Games >= 1 && r/float64(2*c.Games) > c.MaxPlayerRate {
				bad("rate", "%v moves/s over %d games is %.1f moves/s per player, above -max-player-rate %v (the server allows 20 messages/s per connection): use more games",
					r, c.Games, r/float64(2*c.Games), c.MaxPlayerRate)
			}
		}
	case ModeClosed:
		if c.Steps < 1 {
			bad("steps", "%d: closed mode needs at least one step", c.Steps)
		}
	default:
		bad("mode", "%q: must be open or closed", c.Mode)
	}
	if _, err := protocol.ParseTimeControl(c.TC); err != nil {
		bad("tc", "%v", err)
	}
	if c.ThinkSigma < 0 || c.ThinkSigma > 3 {
		bad("think-sigma", "%v: must be 0-3", c.ThinkSigma)
	}
	if c.MaxPlies < 2 || c.MaxPlies > 1000 {
		bad("max-plies", "%d: must be 2-1000", c.MaxPlies)
	}
	if c.LibrarySize < 1 || c.LibrarySize > 100_000 {
		bad("library", "%d: must be 1-100000", c.LibrarySize)
	}
	if c.Spectators < 0 || c.Spectators > 1 {
		bad("spectators", "%v: must be a fraction 0-1", c.Spectators)
	}
	if c.PingInterval < 100*time.Millisecond || c.PingInterval > 50*time.Second {
		bad("ping", "%s: must be 100ms-50s (the server closes connections silent for 60 s)", c.PingInterval)
	}
	if c.PerIP < 1 || c.PerIP > 30 {
		bad("per-ip", "%d: must be 1-30 (the server allows 30 sign-ins per minute per address)", c.PerIP)
	}
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		bad("setup-concurrency", "%d: must be 1-1024", c.Concurrency)
	}
	if c.DrainTimeout < 0 {
		bad("drain", "%s: must not be negative", c.DrainTimeout)
	}
	if c.IPOffset < 0 || c.IPOffset > 1_000_000 {
		bad("ip-offset", "%d: must be 0-1000000", c.IPOffset)
	}
	for _, p := range c.ServerPIDs {
		if p <= 0 {
			bad("server-pid", "%d: not a process id", p)
		}
	}
	if c.PostgresPID < 0 {
		bad("pg-pid", "%d: not a process id", c.PostgresPID)
	}
	if c.RedisPID < 0 {
		bad("redis-pid", "%d: not a process id", c.RedisPID)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("database-url", "must be a postgres:// URL")
	}
	if c.Sessions != nil && len(c.Sessions) < c.connections() {
		errs = append(errs, fmt.Errorf("%d sessions given, %d needed", len(c.Sessions), c.connections()))
	}
	return errors.Join(errs...)
}

// spectatorCount is how many games get a spectator.
func (c *Config) spectatorCount() int { return int(c.Spectators*float64(c.Games) + 0.5) }

// connections is how many WebSocket connections the run opens.
func (c *Config) connections() int { return 2*c.Games + c.spectatorCount() }

// measured is the total measured time.
func (c *Config) stepCount() int {
	if c.Mode == ModeOpen {
		return len(c.Rates)
	}
	return c.Steps
}
