package loadgen

import (
	"encoding/xml"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/loadgen/hist"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rules"
)

func validConfig() Config {
	c := DefaultConfig()
	c.URLs = []string{"http://127.0.0.1:8080"}
	return c
}

func TestValidateNamesTheFlag(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		flag string
	}{
		{"no url", func(c *Config) { c.URLs = nil }, "-url"},
		{"bad url", func(c *Config) { c.URLs = []string{"ws://x/ws"} }, "-url"},
		{"games", func(c *Config) { c.Games = 0 }, "-games"},
		{"mode", func(c *Config) { c.Mode = "fast" }, "-mode"},
		{"no rate", func(c *Config) { c.Rates = nil }, "-rate"},
		{"negative rate", func(c *Config) { c.Rates = []float64{-1} }, "-rate"},
		{"rate above the per-connection limit", func(c *Config) { c.Games, c.Rates = 10, []float64{1000} }, "-rate"},
		{"closed without steps", func(c *Config) { c.Mode, c.Steps = ModeClosed, 0 }, "-steps"},
		{"short step", func(c *Config) { c.StepDuration = time.Millisecond }, "-step"},
		{"tc", func(c *Config) { c.TC = "blitz" }, "-tc"},
		{"spectators", func(c *Config) { c.Spectators = 1.5 }, "-spectators"},
		{"ping", func(c *Config) { c.PingInterval = time.Minute }, "-ping"},
		{"per-ip", func(c *Config) { c.PerIP = 31 }, "-per-ip"},
		{"max plies", func(c *Config) { c.MaxPlies = 1 }, "-max-plies"},
		{"database url", func(c *Config) { c.DatabaseURL = "mysql://x" }, "-database-url"},
		{"server pid", func(c *Config) { c.ServerPIDs = []int{0} }, "-server-pid"},
		{"max player rate", func(c *Config) { c.MaxPlayerRate = 0 }, "-max-player-rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.flag+":")
		})
	}
	c := validConfig()
	require.NoError(t, c.Validate())
	c.Mode, c.Rates = ModeClosed, nil
	require.NoError(t, c.Validate())
}

func TestIdleValidateNamesTheFlag(t *testing.T) {
	c := DefaultIdleConfig()
	err := c.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-url:")
	assert.Contains(t, err.Error(), "-server-pid:")
	c.URL, c.ServerPID, c.Conns = "http://127.0.0.1:1", 1, 0
	assert.ErrorContains(t, c.Validate(), "-conns:")
}

func TestLibraryIsDeterministicAndLegal(t *testing.T) {
	a, err := Library(7, 20, 80)
	require.NoError(t, err)
	b, err := Library(7, 20, 80)
	require.NoError(t, err)
	assert.Equal(t, a, b, "a seed always yields the same games")
	c, err := Library(8, 20, 80)
	require.NoError(t, err)
	assert.NotEqual(t, a, c)
	distinct := map[string]bool{}
	for i, s := range a {
		require.NotEmpty(t, s.Moves)
		assert.LessOrEqual(t, len(s.Moves), 80)
		distinct[strings.Join(s.Moves, " ")] = true
		board, err := rules.Load(rules.StartState())
		require.NoError(t, err)
		var last rules.Move
		for _, u := range s.Moves {
			last, err = board.Play(u)
			require.NoError(t, err, "script %d", i)
		}
		assert.Equal(t, last.Ending.Reason, s.Ending, "script %d", i)
		if s.Ending == "" {
			assert.Len(t, s.Moves, 80, "only a game that ended may be shorter")
		}
	}
	assert.Len(t, distinct, 20)
	_, err = Library(1, 0, 10)
	assert.Error(t, err)
}

func TestThinkWithMeanHasThatMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sigma := range []float64{0, 0.5, 1} {
		th := ThinkWithMean(2*time.Second, sigma)
		var sum float64
		const n = 200_000
		h := hist.New()
		for range n {
			d := th.Draw(rng)
			sum += float64(d)
			h.Record(d)
		}
		assert.InEpsilon(t, float64(2*time.Second), sum/n, 0.02, "sigma %v", sigma)
		assert.InEpsilon(t, float64(th.Median), float64(h.Quantile(0.5)), 0.02, "sigma %v", sigma)
	}
	assert.Zero(t, Think{}.Draw(rng))
}

func TestFramesAreValidProtocol(t *testing.T) {
	m, perr := protocol.Decode(moveFrame("g_abcd1234", "e7e8q", 31, 12, 5))
	require.Nil(t, perr)
	assert.Equal(t, protocol.ClientMessage{Type: "move", Ack: 5, Game: "g_abcd1234", UCI: "e7e8q", Ply: 31, LagMs: 12}, m)
	m, perr = protocol.Decode(moveFrame("g_abcd1234", "e2e4", 1, 0, 1))
	require.Nil(t, perr)
	assert.Zero(t, m.LagMs)
	m, perr = protocol.Decode(challengeFrame("guest-ab12cd34", "10+5", 3))
	require.Nil(t, perr)
	assert.Equal(t, "guest-ab12cd34", m.To)
	assert.Equal(t, protocol.TimeControl{Minutes: 10, Increment: 5}, m.TC)
	m, perr = protocol.Decode(actionFrame("acceptChallenge", "id", "c_abcd1234", 4))
	require.Nil(t, perr)
	assert.Equal(t, "c_abcd1234", m.ChallengeID)
	m, perr = protocol.Decode(actionFrame("resign", "game", "g_abcd1234", 9))
	require.Nil(t, perr)
	assert.Equal(t, int64(9), m.Ack)
	m, perr = protocol.Decode(watchFrame("g_abcd1234", 2))
	require.Nil(t, perr)
	assert.Equal(t, "watch", m.Type)
	_, perr = protocol.Decode(pingFrame())
	require.Nil(t, perr)
}

func TestParseServerMessages(t *testing.T) {
	ref := int64(7)
	tests := []struct {
		frame []byte
		want  inMsg
	}{
		{protocol.AckFrame(42), inMsg{T: "ack", Ack: 42}},
		{[]byte(`{"t":"ack","d": 43}`), inMsg{T: "ack", Ack: 43}},
		{protocol.PongFrame(), inMsg{T: "pong"}},
		{protocol.ErrorFrame(protocol.Errorf(protocol.CodeIllegalMove, "no"), ref), inMsg{T: "error", Code: "illegal_move", Ack: 7}},
		{protocol.MustEncode("move", 12, protocol.MovePayload{Game: "g_x1234", UCI: "e2e4", Ply: 11}), inMsg{T: "move", V: 12, Game: "g_x1234", Ply: 11}},
		{protocol.MustEncode("gameStart", 0, protocol.GameState{Game: "g_x1234", White: protocol.PlayerInfo{Name: "a"}, Black: protocol.PlayerInfo{Name: "b"}, Status: "started"}),
			inMsg{T: "gameStart", Game: "g_x1234", White: "a", Black: "b", Status: "started"}},
		{protocol.MustEncode("challenge", 0, protocol.ChallengePayload{ID: "c_abcd", From: "alice"}), inMsg{T: "challenge", ID: "c_abcd", From: "alice"}},
		{protocol.MustEncode("end", 30, protocol.EndPayload{Game: "g_x1234", Result: "1-0", Reason: "resign"}), inMsg{T: "end", V: 30, Game: "g_x1234", Reason: "resign"}},
	}
	for _, tt := range tests {
		got, err := parseMsg(tt.frame)
		require.NoError(t, err, string(tt.frame))
		assert.Equal(t, tt.want, got, string(tt.frame))
	}
	_, err := parseMsg([]byte(`{"t":"ack","d":"x"}`))
	assert.Error(t, err)
	_, err = parseMsg([]byte(`nope`))
	assert.Error(t, err)
}

func TestSourceIPsAreDistinctLoopbackGroups(t *testing.T) {
	seen := map[string]int{}
	for i := range 100_000 {
		ip := SourceIP(i, 20)
		require.True(t, ip.IsLoopback(), ip.String())
		seen[ip.String()]++
	}
	assert.Len(t, seen, 5000)
	for ip, n := range seen {
		require.Equal(t, 20, n, ip)
	}
}

func TestSampleProc(t *testing.T) {
	before, err := SampleProc(os.Getpid(), false)
	require.NoError(t, err)
	assert.Positive(t, before.RSSBytes)
	deadline := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := SampleProc(os.Getpid(), false)
	require.NoError(t, err)
	assert.Greater(t, after.CPUSeconds, before.CPUSeconds, "busy loop of %d iterations", x)

	cmd := exec.Command("sleep", "5")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	kids, err := childrenOf(os.Getpid())
	require.NoError(t, err)
	assert.Contains(t, kids, cmd.Process.Pid)
	tree, err := SampleProc(os.Getpid(), true)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, tree.Procs, 2)

	_, err = SampleProc(1<<30, false)
	assert.Error(t, err)
	la, err := LoadAvg()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, la[0], 0.0)
}

func TestParseLadder(t *testing.T) {
	r, err := ParseLadder("100x1000, 5000x10000")
	require.NoError(t, err)
	assert.Equal(t, []Rung{{100, 1000}, {5000, 10000}}, r)
	for _, bad := range []string{"", "100", "x100", "100x0", "ax1", "0x5"} {
		_, err := ParseLadder(bad)
		assert.Error(t, err, bad)
	}
}

func rung(games int, rate, achieved, p99 float64, lost int64) RungResult {
	return RungResult{Rung: Rung{Games: games, Rate: rate}, Mode: ModeOpen, Result: &Result{
		Steps:     []StepResult{{OfferedMovesPerSec: rate, AchievedMovesPerSec: achieved, Push: hist.Summary{Count: 100, P50Ms: p99 / 4, P90Ms: p99 / 2, P99Ms: p99, P999Ms: p99 * 2}, ConnectionsHeld: 2 * games, Server: ProcUse{RSSBytes: int64(games) << 20}}},
		Integrity: Integrity{Checked: true, Lost: lost, Equal: lost == 0},
	}}
}

func TestBestPicksTheHighestRungThatMetTheTargets(t *testing.T) {
	rungs := []RungResult{
		rung(100, 1000, 998, 10, 0),
		rung(1000, 2000, 1990, 30, 0),
		rung(1000, 3000, 2500, 20, 0), // did not keep up with the offered rate
		rung(1000, 4000, 3990, 80, 0), // too slow
		rung(5000, 1500, 1500, 5, 1),  // lost a move
		{Rung: Rung{Games: 9, Rate: 9}, Error: "failed"},
	}
	b := best(rungs)
	require.NotNil(t, b)
	assert.Equal(t, Best{Games: 1000, OfferedPerSec: 2000, AchievedPerSec: 1990, PushP99Ms: 30}, *b)
	assert.Nil(t, best(rungs[3:]))
}

func TestPlotsAreWellFormedSVG(t *testing.T) {
	res := &BenchResult{Rungs: []RungResult{rung(100, 1000, 998, 10, 0), rung(1000, 5000, 3000, 900, 0)},
		Idle: &IdleResult{Conns: 10_000, RSSBefore: 20 << 20, RSSAfter: 250 << 20, RSSPerConn: 24_000, MemAfter: &MemStats{}}}
	sat := rung(400, 0, 2500, 40, 0)
	sat.Mode = ModeClosed
	res.Saturated = &sat
	dir := t.TempDir()
	require.NoError(t, WritePlots(dir, res))
	for _, name := range []string{"latency.svg", "memory.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		dec := xml.NewDecoder(strings.NewReader(string(b)))
		circles := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				require.ErrorContains(t, err, "EOF", name)
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "circle" {
				circles++
			}
		}
		assert.Positive(t, circles, name)
	}
	lat, _ := os.ReadFile(filepath.Join(dir, "latency.svg"))
	assert.Contains(t, string(lat), "100g@1000")
	assert.Contains(t, string(lat), "target p99 50 ms")
	// Empty results still give a valid picture.
	require.NoError(t, WritePlots(dir, &BenchResult{}))
}

func TestMergeResultsCombinesRungsAndPicksTheBest(t *testing.T) {
	a := &BenchResult{Rungs: []RungResult{rung(1000, 2000, 1990, 80, 0)}, Idle: &IdleResult{Conns: 5}}
	b := &BenchResult{Rungs: []RungResult{rung(100, 250, 252, 42, 0)}, Idle: &IdleResult{Conns: 7}}
	m := MergeResults([]*BenchResult{a, b})
	assert.Len(t, m.Rungs, 2)
	assert.Equal(t, 5, m.Idle.Conns)
	require.NotNil(t, m.Best)
	assert.Equal(t, 100, m.Best.Games)
}
