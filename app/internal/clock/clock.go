// Package clock is the server-authoritative chess clock: base time plus increment, with
// lichess-style lag compensation (a per-move compensation capped by a per-player quota).
//
// The rules follow lichess-org/scalachess core/src/main/scala/Clock.scala (step, outOfTime,
// remainingTime) and core/src/main/scala/LagTracker.scala (onMove, maxQuotaGainFor, init),
// checked against the sources at commit cbffc9d7e2c6f8ba33381c5403e1b4f992199626.
// Differences from scalachess: times are int64 milliseconds instead of centiseconds, there is
// no decaying lag estimator (lichess only uses it for the displayed lag estimate), no
// frame-lag cap on the quota gain, and no berserk.
//
// A Clock is plain data (JSON-serializable, copied by value). It never reads the wall clock:
// every method that needs the time takes now as Unix milliseconds, so it is deterministic
// and testable. Not safe for concurrent use.
package clock

import (
	"errors"
	"fmt"
)

const (
	// MaxReportedLagMs bounds the client-reported lag (protocol move.d.l is 0–10000 ms).
	MaxReportedLagMs int64 = 10_000
	// maxGraceMs caps the flag grace: Clock.scala outOfTime uses quota.atMost(Centis(200)).
	maxGraceMs int64 = 2_000
	// zeroBaseMinMs is the starting time when the base is 0: Clock.scala Config.initTime
	// gives increment.atLeast(Centis(300)).
	zeroBaseMinMs int64 = 3_000
	// Validation bounds for Config; generous, they only keep arithmetic far from overflow.
	maxBaseMs int64 = 24 * 3600 * 1000
	maxIncMs  int64 = 3600 * 1000
)

// Colour indices.
const (
	White = 0
	Black = 1
)

// Config is a time control: base time and increment per move, in milliseconds.
type Config struct{ BaseMs, IncMs int64 }

// Validate reports whether the time control is usable. New does not fail on a bad
// Config (it treats negative values as 0), so callers validate first.
func (c Config) Validate() error {
	switch {
	case c.BaseMs < 0 || c.IncMs < 0:
		return fmt.Errorf("clock: negative time control %d+%d ms", c.BaseMs, c.IncMs)
	case c.BaseMs == 0 && c.IncMs == 0:
		return errors.New("clock: time control 0+0 has no time at all")
	case c.BaseMs > maxBaseMs:
		return fmt.Errorf("clock: base %d ms exceeds %d ms", c.BaseMs, maxBaseMs)
	case c.IncMs > maxIncMs:
		return fmt.Errorf("clock: increment %d ms exceeds %d ms", c.IncMs, maxIncMs)
	}
	return nil
}

// EstimateTotalSeconds is lichess's game-length estimate, base + 40 × increment, in whole
// seconds (Clock.scala Config.estimateTotalSeconds). For whole-second time controls it is
// exactly lichess's integer value.
func (c Config) EstimateTotalSeconds() int64 {
	return (max(c.BaseMs, 0) + 40*max(c.IncMs, 0)) / 1000
}

// InitialMs is the time each player starts with: the base, or when the base is 0 the
// increment but at least 3 s (Clock.scala Config.initTime).
func (c Config) InitialMs() int64 {
	if c.BaseMs <= 0 {
		return max(c.IncMs, zeroBaseMinMs)
	}
	return c.BaseMs
}

// QuotaGainMs is the lag quota a player earns per move:
// min(100, estimateTotalSeconds*2/5 + 15) centiseconds, in integer arithmetic as in
// LagTracker.scala maxQuotaGainFor (lila issue #12097). 1+0 → 390 ms, 3+0 → 870 ms,
// 5+0 and slower → 1000 ms.
func (c Config) QuotaGainMs() int64 {
	cs := min(100, c.EstimateTotalSeconds()*2/5+15)
	return cs * 10
}

// LagState is one player's lag-compensation quota (LagTracker.scala quota/quotaGain/quotaMax).
type LagState struct {
	QuotaMs int64 `json:"q"` // compensation still available
	GainMs  int64 `json:"g"` // added to the quota after every move
	MaxMs   int64 `json:"m"` // the quota never exceeds this
}

// newLagState mirrors LagTracker.init: start at 3 × gain, cap at 7 × gain.
func newLagState(gain int64) LagState {
	return LagState{QuotaMs: 3 * gain, GainMs: gain, MaxMs: 7 * gain}
}

// onMove spends compensation for one move (LagTracker.scala onMove):
// comp = min(lag, quota); quota' = min(quota + gain − comp, max). lag must be ≥ 0.
func (l *LagState) onMove(lag int64) (comp int64) {
	comp = min(lag, l.QuotaMs)
	l.QuotaMs = min(l.QuotaMs+l.GainMs-comp, l.MaxMs)
	return comp
}

// Clock is the state of both players' clocks. Plain data; copy by value.
type Clock struct {
	Cfg       Config      `json:"cfg"`
	Remaining [2]int64    `json:"rem"` // ms left at TurnStart
	Lag       [2]LagState `json:"lag"` // lichess quota per player
	Turn      int         `json:"turn"`
	Running   bool        `json:"run"`
	TurnStart int64       `json:"ts"` // Unix ms when the current turn started
}

// MoveResult describes one clock step.
type MoveResult struct {
	SpentMs int64 // time charged to the mover: elapsed − compensation, never below 0
	CompMs  int64 // lag compensation granted for this move
	Flagged bool  // the move was not made in time: no increment, the clock stopped
}

// New returns a stopped clock with white to move. Negative Config values count as 0;
// call Config.Validate first to reject them.
func New(cfg Config) Clock {
	cfg.BaseMs, cfg.IncMs = max(cfg.BaseMs, 0), max(cfg.IncMs, 0)
	start := cfg.InitialMs()
	gain := cfg.QuotaGainMs()
	return Clock{
		Cfg:       cfg,
		Remaining: [2]int64{start, start},
		Lag:       [2]LagState{newLagState(gain), newLagState(gain)},
		Turn:      White,
	}
}

// Start starts the side to move's clock (the server calls it after ply 2). Starting a
// running clock changes nothing (Clock.scala start).
func (c *Clock) Start(now int64) {
	if c.Running {
		return
	}
	c.Running = true
	c.TurnStart = now
}

// Move records that the side to move moved at now, with the client-reported lag in ms
// (clamped to [0, MaxReportedLagMs]), and passes the turn. On a stopped clock it only
// switches Turn. Follows Clock.scala step: the mover is charged max(0, elapsed − comp);
// the increment is added only if that is less than the time they had; otherwise the move
// flags, the mover's time is set to 0 and the clock stops (hardStop).
func (c *Clock) Move(now, reportedLagMs int64) MoveResult {
	mover := c.Turn
	c.Turn = 1 - mover
	if !c.Running {
		return MoveResult{}
	}
	elapsed := max(0, now-c.TurnStart) // a now before TurnStart (clock skew) costs nothing
	lag := min(max(reportedLagMs, 0), MaxReportedLagMs)
	comp := c.Lag[mover].onMove(lag)
	spent := max(0, elapsed-comp)
	c.TurnStart = now
	left := c.Remaining[mover]
	if spent < left {
		c.Remaining[mover] = left - spent + c.Cfg.IncMs
		return MoveResult{SpentMs: spent, CompMs: comp}
	}
	c.Remaining[mover] = 0
	c.Running = false
	return MoveResult{SpentMs: spent, CompMs: comp, Flagged: true}
}

// Stop charges the side to move the time elapsed since TurnStart (no compensation, no
// increment) and stops the clock, as Clock.scala stop does at game end. Stopping a stopped
// clock changes nothing.
func (c *Clock) Stop(now int64) {
	if !c.Running {
		return
	}
	c.Remaining[c.Turn] = c.RemainingAt(c.Turn, now)
	c.Running = false
}

// RemainingAt is the time color has left at now, never below 0 (Clock.scala remainingTime).
// color must be White or Black.
func (c Clock) RemainingAt(color int, now int64) int64 {
	return max(0, c.Remaining[color]-c.pending(color, now))
}

// OutOfTime reports whether color has run out of time at now. withGrace allows the
// player's unused lag quota, at most 2 s (Clock.scala outOfTime). A player whose time is
// already 0 (a flagged move) is out of time whether or not the clock runs.
func (c Clock) OutOfTime(color int, now int64, withGrace bool) bool {
	pending := c.pending(color, now)
	if withGrace && pending > 0 {
		pending = max(0, pending-c.GraceMs(color))
	}
	return c.Remaining[color] <= pending
}

// FlagDeadline is the Unix ms at which the side to move becomes OutOfTime with grace, or 0
// when the clock is not running. The server arms its flag timer with it.
func (c Clock) FlagDeadline() int64 {
	if !c.Running {
		return 0
	}
	left := c.Remaining[c.Turn]
	if left <= 0 {
		return c.TurnStart
	}
	return c.TurnStart + left + c.GraceMs(c.Turn)
}

// GraceMs is the flag grace for color: min(quota, 2 s).
func (c Clock) GraceMs(color int) int64 {
	return min(max(c.Lag[color].QuotaMs, 0), maxGraceMs)
}

// pending is the time color has used on the current turn (0 if not on move).
func (c Clock) pending(color int, now int64) int64 {
	if !c.Running || color != c.Turn {
		return 0
	}
	return max(0, now-c.TurnStart)
}
