package clock

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDerivedValues(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		estimate  int64
		gain      int64
		initialMs int64
	}{
		// 15 s: 15*2/5 = 6; 6+15 = 21 cs.
		{"1/4+0", Config{15_000, 0}, 15, 210, 15_000},
		// 60 s: 60*2/5 = 24; 24+15 = 39 cs (chess.md §1.6).
		{"1+0", Config{60_000, 0}, 60, 390, 60_000},
		// 0 + 40*1 = 40 s: 40*2/5 = 16; 16+15 = 31 cs. Base 0 starts at max(inc, 3 s).
		{"0+1", Config{0, 1_000}, 40, 310, 3_000},
		// 0 + 40*5 = 200 s: 80+15 = 95 cs; start max(5 s, 3 s) = 5 s.
		{"0+5", Config{0, 5_000}, 200, 950, 5_000},
		// 120 + 40 = 160 s: 160*2/5 = 64; 64+15 = 79 cs.
		{"2+1", Config{120_000, 1_000}, 160, 790, 120_000},
		// 180 s: 72+15 = 87 cs (chess.md §1.6).
		{"3+0", Config{180_000, 0}, 180, 870, 180_000},
		// 212 s: 212*2/5 = 84 (integer division, 84.8 truncated); 84+15 = 99 cs.
		{"212s", Config{212_000, 0}, 212, 990, 212_000},
		// 213 s: 213*2/5 = 85; 85+15 = 100 cs, the cap.
		{"213s", Config{213_000, 0}, 213, 1000, 213_000},
		// 300 s: 120+15 = 135 → capped at 100 cs.
		{"5+0", Config{300_000, 0}, 300, 1000, 300_000},
		// 180 + 40*2 = 260 s → 104+15 = 119 → capped at 100 cs.
		{"3+2", Config{180_000, 2_000}, 260, 1000, 180_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.estimate, tt.cfg.EstimateTotalSeconds())
			assert.Equal(t, tt.gain, tt.cfg.QuotaGainMs())
			assert.Equal(t, tt.initialMs, tt.cfg.InitialMs())
			c := New(tt.cfg)
			for color := range 2 {
				// LagTracker.init: quota 3×gain, max 7×gain.
				assert.Equal(t, LagState{QuotaMs: 3 * tt.gain, GainMs: tt.gain, MaxMs: 7 * tt.gain}, c.Lag[color])
				assert.Equal(t, tt.initialMs, c.Remaining[color])
			}
			assert.Equal(t, White, c.Turn)
			assert.False(t, c.Running)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg Config
		ok  bool
	}{
		{Config{60_000, 0}, true},
		{Config{0, 1_000}, true},
		{Config{180_000, 2_000}, true},
		{Config{maxBaseMs, maxIncMs}, true},
		{Config{0, 0}, false},
		{Config{-1, 0}, false},
		{Config{60_000, -1}, false},
		{Config{maxBaseMs + 1, 0}, false},
		{Config{60_000, maxIncMs + 1}, false},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.ok {
			assert.NoError(t, err, "%+v", tt.cfg)
		} else {
			assert.Error(t, err, "%+v", tt.cfg)
		}
	}
	// New treats negative values as 0 instead of producing negative clocks.
	c := New(Config{-5, -5})
	assert.Equal(t, Config{0, 0}, c.Cfg)
	assert.Equal(t, [2]int64{3_000, 3_000}, c.Remaining)
}

// step is one move in a scripted game: the mover thinks for thinkMs (server-measured,
// from the previous move) and reports lagMs; want* are the expected results.
type step struct {
	thinkMs, lagMs int64
	wantComp       int64
	wantSpent      int64
	wantRemaining  int64 // mover's remaining time after the move
	wantQuota      int64 // mover's quota after the move
}

func play(t *testing.T, c *Clock, start int64, steps []step) {
	t.Helper()
	now := start
	for i, s := range steps {
		mover := c.Turn
		now += s.thinkMs
		res := c.Move(now, s.lagMs)
		require.False(t, res.Flagged, "step %d flagged", i)
		assert.Equal(t, s.wantComp, res.CompMs, "step %d comp", i)
		assert.Equal(t, s.wantSpent, res.SpentMs, "step %d spent", i)
		assert.Equal(t, s.wantRemaining, c.Remaining[mover], "step %d remaining", i)
		assert.Equal(t, s.wantQuota, c.Lag[mover].QuotaMs, "step %d quota", i)
		assert.Equal(t, 1-mover, c.Turn, "step %d turn", i)
		assert.Equal(t, now, c.TurnStart, "step %d turn start", i)
	}
}

func TestIncrement(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{
			// 3+2: gain 1000 ms (see TestConfigDerivedValues), quota 3000, max 7000.
			name: "3+2 no lag",
			cfg:  Config{180_000, 2_000},
			steps: []step{
				// W: 180000 − 5000 + 2000 = 177000; quota min(3000+1000−0, 7000) = 4000.
				{thinkMs: 5_000, wantSpent: 5_000, wantRemaining: 177_000, wantQuota: 4_000},
				// B: 180000 − 3000 + 2000 = 179000; quota 4000.
				{thinkMs: 3_000, wantSpent: 3_000, wantRemaining: 179_000, wantQuota: 4_000},
				// W premove: 177000 − 0 + 2000 = 179000; quota 5000.
				{thinkMs: 0, wantSpent: 0, wantRemaining: 179_000, wantQuota: 5_000},
				// B: 179000 − 12345 + 2000 = 168655; quota 5000.
				{thinkMs: 12_345, wantSpent: 12_345, wantRemaining: 168_655, wantQuota: 5_000},
			},
		},
		{
			// 0+1: start with max(1000, 3000) = 3000 ms; gain 310, quota 930, max 2170.
			name: "0+1 starts at 3s",
			cfg:  Config{0, 1_000},
			steps: []step{
				// W: 3000 − 2500 + 1000 = 1500; quota 930+310 = 1240.
				{thinkMs: 2_500, wantSpent: 2_500, wantRemaining: 1_500, wantQuota: 1_240},
				// B: 3000 − 100 + 1000 = 3900; quota 1240.
				{thinkMs: 100, wantSpent: 100, wantRemaining: 3_900, wantQuota: 1_240},
				// W: 1500 − 1400 + 1000 = 1100; quota 1550.
				{thinkMs: 1_400, wantSpent: 1_400, wantRemaining: 1_100, wantQuota: 1_550},
			},
		},
		{
			// 2+1 with lag: gain 790, quota 2370, max 5530.
			name: "2+1 increment after compensation",
			cfg:  Config{120_000, 1_000},
			steps: []step{
				// W: comp min(300, 2370) = 300; spent 4000−300 = 3700;
				// 120000 − 3700 + 1000 = 117300; quota 2370+790−300 = 2860.
				{thinkMs: 4_000, lagMs: 300, wantComp: 300, wantSpent: 3_700, wantRemaining: 117_300, wantQuota: 2_860},
				// B: lag larger than the move time: comp 200, spent max(0, 150−200) = 0;
				// 120000 − 0 + 1000 = 121000; quota 2370+790−200 = 2960.
				{thinkMs: 150, lagMs: 200, wantComp: 200, wantSpent: 0, wantRemaining: 121_000, wantQuota: 2_960},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.cfg)
			c.Start(1_000_000)
			play(t, &c, 1_000_000, tt.steps)
		})
	}
}

func TestLagQuotaEvolution(t *testing.T) {
	// 1+0: gain 390 ms, quota 1170 (3×390), max 2730 (7×390). Moves alternate W, B.
	c := New(Config{60_000, 0})
	c.Start(0)
	play(t, &c, 0, []step{
		// W: comp min(500, 1170) = 500; quota 1170+390−500 = 1060; spent 1000−500 = 500; 60000−500 = 59500.
		{thinkMs: 1_000, lagMs: 500, wantComp: 500, wantSpent: 500, wantRemaining: 59_500, wantQuota: 1_060},
		// B: no lag; quota 1170+390 = 1560; 60000−2000 = 58000.
		{thinkMs: 2_000, lagMs: 0, wantComp: 0, wantSpent: 2_000, wantRemaining: 58_000, wantQuota: 1_560},
		// W: lag 2000 > quota 1060: comp 1060; quota 1060+390−1060 = 390; spent 3000−1060 = 1940; 59500−1940 = 57560.
		{thinkMs: 3_000, lagMs: 2_000, wantComp: 1_060, wantSpent: 1_940, wantRemaining: 57_560, wantQuota: 390},
		// B: comp 100; quota 1560+390−100 = 1850; spent 400; 58000−400 = 57600.
		{thinkMs: 500, lagMs: 100, wantComp: 100, wantSpent: 400, wantRemaining: 57_600, wantQuota: 1_850},
		// W: quota 390 only: comp 390; quota 390+390−390 = 390; spent 800−390 = 410; 57560−410 = 57150.
		{thinkMs: 800, lagMs: 800, wantComp: 390, wantSpent: 410, wantRemaining: 57_150, wantQuota: 390},
		// B: quota min(1850+390, 2730) = 2240; 57600−100 = 57500.
		{thinkMs: 100, wantSpent: 100, wantRemaining: 57_500, wantQuota: 2_240},
		// W: quota 390+390 = 780; 57150−1000 = 56150.
		{thinkMs: 1_000, wantSpent: 1_000, wantRemaining: 56_150, wantQuota: 780},
		// B: quota min(2240+390, 2730) = 2630.
		{thinkMs: 0, wantRemaining: 57_500, wantQuota: 2_630},
		// W: quota 780+390 = 1170.
		{thinkMs: 0, wantRemaining: 56_150, wantQuota: 1_170},
		// B: quota min(2630+390 = 3020, 2730) = 2730: capped at the maximum.
		{thinkMs: 0, wantRemaining: 57_500, wantQuota: 2_730},
		// W: quota 1170+390 = 1560.
		{thinkMs: 0, wantRemaining: 56_150, wantQuota: 1_560},
		// B: lag 5000 but quota 2730: comp 2730; quota min(2730+390−2730, 2730) = 390;
		// spent 5000−2730 = 2270; 57500−2270 = 55230.
		{thinkMs: 5_000, lagMs: 5_000, wantComp: 2_730, wantSpent: 2_270, wantRemaining: 55_230, wantQuota: 390},
	})
}

// lichessStep replays scalachess test-kit/src/test/scala/ClockTest.scala ClockLagCompTest
// clockStep: for every lag, white premoves (no time, no lag), then black moves after
// wait+lag with that lag reported. It returns black's remaining time in ms.
func lichessStep(cfg Config, waitMs int64, lagsMs ...int64) int64 {
	c := New(cfg)
	now := int64(0)
	c.Start(now)
	for _, lag := range lagsMs {
		c.Move(now, 0)
		now += waitMs + lag
		c.Move(now, lag)
	}
	return c.RemainingAt(Black, now)
}

func TestLichessLagCompVectors(t *testing.T) {
	c60, c600 := Config{60_000, 0}, Config{600_000, 0}
	tests := []struct {
		name   string
		cfg    Config
		waitMs int64
		lags   []int64
		want   int64
	}{
		// Expected values are ClockTest.scala's centiseconds × 10.
		// 10+0: gain 1000, quota 3000, max 7000.
		{"premove no lag", c600, 0, []int64{0}, 600_000},
		{"premove small lag", c600, 0, []int64{200}, 600_000},
		// lag 4000 > quota 3000: charged 1000.
		{"premove big lag", c600, 0, []int64{4_000}, 599_000},
		{"1s move no lag", c600, 1_000, []int64{0}, 599_000},
		{"1s move small lag", c600, 1_000, []int64{200}, 599_000},
		// 1000+4000 elapsed − 3000 comp = 2000.
		{"1s move big lag", c600, 1_000, []int64{4_000}, 598_000},
		{"premoves no lag", c600, 0, []int64{0, 0}, 600_000},
		// lag 3000: comp 3000, charged 0, quota 3000+1000−3000 = 1000;
		// lag 3000: comp 1000, charged 2000; 600000 − 2000 = 598000.
		{"premoves medium lag x2", c600, 0, []int64{3_000, 3_000}, 598_000},
		// quota 3000 → 4000, then lag 3000 fully compensated.
		{"premoves no -> medium lag", c600, 0, []int64{0, 3_000}, 600_000},
		// eight zero-lag moves raise the quota 3000 → 7000 (capped); lag 8000: charged 1000.
		{"premoves no x8 -> big lag", c600, 0, []int64{0, 0, 0, 0, 0, 0, 0, 0, 8_000}, 599_000},
		// five zero-lag moves: quota 3000 → 4000 → 5000 → 6000 → 7000 → 7000 (capped);
		// lag 5000: comp 5000, charged 0, quota 7000+1000−5000 = 3000;
		// lag 6000: comp 3000, charged 3000; 600000 − 3000 = 597000.
		{"premoves no x5 -> big lag x2", c600, 0, []int64{0, 0, 0, 0, 0, 5_000, 6_000}, 597_000},
		// quota 7000; 5000: comp 5000 (q 3000); 5000: comp 3000, charged 2000 (q 1000);
		// 5000: comp 1000, charged 4000; 600000 − 6000 = 594000.
		{"premoves no x5 -> big lag x3", c600, 0, []int64{0, 0, 0, 0, 0, 5_000, 5_000, 5_000}, 594_000},
		// 1+0: gain 390, quota 1170, max 2730.
		{"fast premoves no lag", c60, 0, []int64{0, 0}, 60_000},
		// quota 1170 → 1560; lag 3000: comp 1560, charged 1440; 60000 − 1440 = 58560.
		{"fast premoves no -> medium lag", c60, 0, []int64{0, 3_000}, 58_560},
		// quota 1170 → 1560 → 1950 → 2340 → 2730; lag 7000: comp 2730, charged 4270; 55730.
		{"fast premoves no x4 -> big lag", c60, 0, []int64{0, 0, 0, 0, 7_000}, 55_730},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, lichessStep(tt.cfg, tt.waitMs, tt.lags...))
		})
	}
}

func TestReportedLagClamp(t *testing.T) {
	tests := []struct {
		name      string
		lag       int64
		wantComp  int64
		wantQuota int64
	}{
		// 1+0: quota 1170, gain 390. A negative lag would otherwise add time and inflate the
		// quota; clamped to 0 it earns exactly one gain: 1170+390 = 1560.
		{"negative", -5_000, 0, 1_560},
		{"zero", 0, 0, 1_560},
		// Above MaxReportedLagMs: clamped, then capped by the quota (1170): quota 390.
		{"above max", MaxReportedLagMs + 1, 1_170, 390},
		{"max int64", math.MaxInt64, 1_170, 390},
		{"min int64", math.MinInt64, 0, 1_560},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{60_000, 0})
			c.Start(0)
			res := c.Move(2_000, tt.lag)
			assert.Equal(t, tt.wantComp, res.CompMs)
			assert.Equal(t, 2_000-tt.wantComp, res.SpentMs)
			assert.Equal(t, 60_000-2_000+tt.wantComp, c.Remaining[White])
			assert.Equal(t, tt.wantQuota, c.Lag[White].QuotaMs)
		})
	}
}

func TestMoveWhileStopped(t *testing.T) {
	c := New(Config{60_000, 1_000})
	before := c
	res := c.Move(5_000, 700)
	assert.Equal(t, MoveResult{}, res)
	assert.Equal(t, Black, c.Turn)
	// Only the turn changed: no time, no increment, no quota.
	before.Turn = Black
	assert.Equal(t, before, c)

	c.Move(9_000, 0)
	assert.Equal(t, White, c.Turn)
	assert.False(t, c.Running)
	assert.Equal(t, int64(0), c.FlagDeadline())
	assert.Equal(t, int64(60_000), c.RemainingAt(White, 1<<40))
	assert.False(t, c.OutOfTime(White, 1<<40, false))

	// Start after ply 2, then Start again changes nothing.
	c.Start(10_000)
	c.Start(20_000)
	assert.True(t, c.Running)
	assert.Equal(t, int64(10_000), c.TurnStart)
}

func TestFlaggedMove(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		at, lag     int64
		wantFlagged bool
		wantRem     int64 // mover's remaining after the move
	}{
		// 1+1, started at 0, white moves. Estimate 60 + 40 = 100 s → 100*2/5 + 15 = 55 cs:
		// gain 550 ms, quota 3×550 = 1650.
		// 60000 ms elapsed, no lag: spent 60000 is not < 60000 → flagged, no increment.
		{"exactly out of time", Config{60_000, 1_000}, 60_000, 0, true, 0},
		{"one ms early", Config{60_000, 1_000}, 59_999, 0, false, 1 + 1_000},
		{"late", Config{60_000, 1_000}, 60_500, 0, true, 0},
		// Lag compensation rescues a late arrival: 60800 − 1000 = 59800 < 60000; +1000 inc.
		{"late but compensated", Config{60_000, 1_000}, 60_800, 1_000, false, 200 + 1_000},
		// Compensation is capped by the quota 1650: 62000 − 1650 = 60350 ≥ 60000.
		{"late beyond quota", Config{60_000, 1_000}, 62_000, 5_000, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.cfg)
			require.Equal(t, int64(1_650), c.Lag[White].QuotaMs)
			c.Start(0)
			res := c.Move(tt.at, tt.lag)
			assert.Equal(t, tt.wantFlagged, res.Flagged)
			assert.Equal(t, tt.wantRem, c.Remaining[White])
			assert.Equal(t, Black, c.Turn)
			assert.Equal(t, !tt.wantFlagged, c.Running)
			assert.Equal(t, tt.wantFlagged, c.OutOfTime(White, tt.at, true))
			assert.Equal(t, tt.wantFlagged, c.OutOfTime(White, tt.at, false))
			if tt.wantFlagged {
				assert.Equal(t, int64(0), c.FlagDeadline())
				assert.Equal(t, int64(0), c.RemainingAt(White, tt.at+1))
			}
		})
	}
}

func TestOutOfTime(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		at        int64
		color     int
		withGrace bool
		want      bool
	}{
		// 1+0 started at 0: quota 1170 → grace min(1170, 2000) = 1170.
		// Vectors after ClockTest.scala "live time checks" (centiseconds × 10).
		{"60s stall no grace", Config{60_000, 0}, 60_000, White, false, true},
		{"60s stall with grace", Config{60_000, 0}, 60_000, White, true, false},
		{"60s stall opponent", Config{60_000, 0}, 60_000, Black, true, false},
		{"60s stall opponent no grace", Config{60_000, 0}, 60_000, Black, false, false},
		{"just before no grace", Config{60_000, 0}, 59_999, White, false, false},
		{"61s stall with grace", Config{60_000, 0}, 61_000, White, true, false},
		// 61169 − 1170 = 59999 < 60000.
		{"grace minus 1ms", Config{60_000, 0}, 61_169, White, true, false},
		// 61170 − 1170 = 60000 ≥ 60000.
		{"grace exhausted", Config{60_000, 0}, 61_170, White, true, true},
		{"over quota stall", Config{60_000, 0}, 61_900, White, true, true},
		// 10+0: quota 3000 → grace capped at 2000 ms.
		{"stall within grace", Config{600_000, 0}, 601_900, White, true, false},
		{"max grace stall", Config{600_000, 0}, 602_000, White, true, true},
		{"10+0 no grace", Config{600_000, 0}, 600_000, White, false, true},
		// now before TurnStart (clock skew) is not elapsed time.
		{"negative elapsed", Config{60_000, 0}, -10_000, White, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.cfg)
			c.Start(0)
			assert.Equal(t, tt.want, c.OutOfTime(tt.color, tt.at, tt.withGrace))
		})
	}
}

func TestRemainingAt(t *testing.T) {
	c := New(Config{60_000, 0})
	c.Start(1_000)
	assert.Equal(t, int64(60_000), c.RemainingAt(White, 1_000))
	assert.Equal(t, int64(59_000), c.RemainingAt(White, 2_000))
	assert.Equal(t, int64(60_000), c.RemainingAt(Black, 2_000), "not on move: no time used")
	assert.Equal(t, int64(0), c.RemainingAt(White, 1_000_000), "never below 0")
	assert.Equal(t, int64(60_000), c.RemainingAt(White, 0), "now before TurnStart")
}

func TestFlagDeadline(t *testing.T) {
	c := New(Config{60_000, 0})
	assert.Equal(t, int64(0), c.FlagDeadline(), "not running")
	c.Start(10_000)
	// 10000 + 60000 + grace 1170.
	assert.Equal(t, int64(71_170), c.FlagDeadline())

	// White moves at 15000 with lag 1000: comp 1000, white quota 1170+390−1000 = 560,
	// white 60000 − (5000−1000) = 56000. Black to move with black's untouched quota 1170:
	// 15000 + 60000 + 1170.
	c.Move(15_000, 1_000)
	assert.Equal(t, int64(56_000), c.Remaining[White])
	assert.Equal(t, int64(15_000+60_000+1_170), c.FlagDeadline())
	// Black moves at 16000: white to move with 56000 left and grace 560.
	c.Move(16_000, 0)
	assert.Equal(t, int64(16_000+56_000+560), c.FlagDeadline())

	// 10+0: grace capped at 2000 ms.
	c = New(Config{600_000, 0})
	c.Start(0)
	assert.Equal(t, int64(602_000), c.FlagDeadline())

	// A clock whose mover already has no time flags at TurnStart.
	c = New(Config{60_000, 0})
	c.Start(500)
	c.Remaining[White] = 0
	assert.Equal(t, int64(500), c.FlagDeadline())
	assert.True(t, c.OutOfTime(White, 500, true))
}

// The deadline is exactly where OutOfTime (with grace) switches, for many states.
func TestFlagDeadlineMatchesOutOfTime(t *testing.T) {
	for _, cfg := range []Config{{15_000, 0}, {60_000, 0}, {180_000, 2_000}, {600_000, 5_000}, {0, 1_000}} {
		c := New(cfg)
		now := int64(1_700_000_000_000)
		c.Start(now)
		for i := range 40 {
			d := c.FlagDeadline()
			require.NotZero(t, d)
			require.False(t, c.OutOfTime(c.Turn, d-1, true), "cfg %+v move %d", cfg, i)
			require.True(t, c.OutOfTime(c.Turn, d, true), "cfg %+v move %d", cfg, i)
			// Move a varying fraction of the way to the deadline with varying lag.
			think := (d - now) * int64(i%7+1) / 40
			now += think
			res := c.Move(now, int64(i*137%900))
			require.False(t, res.Flagged)
		}
	}
}

func TestStop(t *testing.T) {
	c := New(Config{60_000, 2_000})
	c.Start(0)
	c.Move(3_000, 0) // white 60000 − 3000 + 2000 = 59000
	c.Stop(10_000)   // black charged 7000, no increment
	assert.False(t, c.Running)
	assert.Equal(t, [2]int64{59_000, 53_000}, c.Remaining)
	c.Stop(20_000) // already stopped: nothing changes
	assert.Equal(t, [2]int64{59_000, 53_000}, c.Remaining)
	assert.Equal(t, int64(53_000), c.RemainingAt(Black, 99_000))
}

func TestJSONRoundTrip(t *testing.T) {
	c := New(Config{180_000, 2_000})
	c.Start(1_700_000_000_000)
	c.Move(1_700_000_004_000, 250)
	c.Move(1_700_000_009_500, 0)
	c.Move(1_700_000_010_000, 10_000)

	b, err := json.Marshal(c)
	require.NoError(t, err)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &fields))
	for _, k := range []string{"cfg", "rem", "lag", "turn", "run", "ts"} {
		assert.Contains(t, fields, k)
	}
	var back Clock
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, c, back)

	// The restored clock behaves identically.
	r1, r2 := c.Move(1_700_000_020_000, 300), back.Move(1_700_000_020_000, 300)
	assert.Equal(t, r1, r2)
	assert.Equal(t, c, back)
}

func BenchmarkMove(b *testing.B) {
	c := New(Config{180_000, 2_000})
	now := int64(1_700_000_000_000)
	c.Start(now)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now += 700
		if c.Move(now, int64(i%200)).Flagged {
			b.Fatal("unexpected flag")
		}
		_ = c.FlagDeadline()
	}
}
