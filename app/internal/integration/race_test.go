package integration

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/rules"
)

// fire sends the same kind of message from several tabs at once (released together after each
// has its frame ready) and returns each tab's answer.
func fire(t *testing.T, tabs []*client, build func(i int) (string, map[string]any)) []result {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	out := make([]result, len(tabs))
	errs := make([]error, len(tabs))
	for i, tab := range tabs {
		typ, d := build(i)
		cn := tab.current()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			out[i], errs[i] = tab.actOn(ctx, cn, typ, d)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "tab %s", tabs[i].name)
	}
	return out
}

// overlapped reports whether every message was written before any answer arrived: the server
// had all of them in hand at once.
func overlapped(rs []result) bool {
	var lastWrite, firstAnswer time.Time
	for _, r := range rs {
		if r.WrittenAt.After(lastWrite) {
			lastWrite = r.WrittenAt
		}
		if firstAnswer.IsZero() || r.At.Before(firstAnswer) {
			firstAnswer = r.At
		}
	}
	return lastWrite.Before(firstAnswer)
}

// TestSameMoveOnTwoInstancesAppliedOnce: each move of a whole game is sent by two tabs of the
// mover, connected to two different instances, at the same moment. Both tabs get an ack, the
// move is applied once: one row per ply, and v advances by exactly one per move for every
// watcher.
func TestSameMoveOnTwoInstancesAppliedOnce(t *testing.T) {
	c := newCluster(t)
	insts := c.startAll("a", "b", "c")
	a, b, cc := insts[0], insts[1], insts[2]

	p1, p2 := c.guest("p1", a), c.guest("p2", b)
	white, black, game := pair(t, p1, p2, "5+0")
	// Second tabs on other instances: white on A and B (or B and C), black likewise.
	other := func(cl *client) *instance {
		if cl.current().inst == cc {
			return a
		}
		return cc
	}
	white2 := c.tab(white, "white-tab2", other(white))
	black2 := c.tab(black, "black-tab2", other(black))
	white2.watch(game)
	black2.watch(game)
	spectator := c.guest("spectator", cc)
	spectator.watch(game)

	together := 0
	for ply := 1; ply <= len(operaGame); ply++ {
		tabs := []*client{white, white2}
		if ply%2 == 0 {
			tabs = []*client{black, black2}
		}
		require.NotEqual(t, tabs[0].current().inst, tabs[1].current().inst)
		rs := fire(t, tabs, func(int) (string, map[string]any) {
			return "move", map[string]any{"game": game, "u": operaGame[ply-1], "ply": ply}
		})
		for i, r := range rs {
			require.Empty(t, r.Code, "ply %d: tab %s was refused", ply, tabs[i].name)
			tabs[i].noteAck(game, ply, operaGame[ply-1])
		}
		if overlapped(rs) {
			together++
		}
		// v advanced by exactly one: the spectator holds v = ply, and nothing more arrives.
		spectator.waitV(game, int64(ply), 5*time.Second)
	}
	// A copy that read the cache before the other's commit applies the move too and loses at
	// PostgreSQL's version check (the server logs it, then answers it as a duplicate). Without
	// such losses the test would prove nothing.
	lost := c.lostRaces(game)
	t.Logf("%d of %d plies had both copies in flight at once; %d copies lost the commit race", together, len(operaGame), lost)
	require.GreaterOrEqual(t, together, len(operaGame)*8/10, "the copies were not sent concurrently; the test proves nothing")
	require.Positive(t, lost, "no copy ever reached the durable version check; the race was not exercised")

	total := len(operaGame) + 1
	for _, cl := range []*client{white, white2, black, black2, spectator} {
		cl.waitV(game, int64(total), 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond) // let a stray duplicate arrive before checking
	for _, cl := range []*client{white, white2, black, black2, spectator} {
		evs := requireCleanSequence(t, cl, game, total)
		for i := 0; i < len(operaGame); i++ {
			var mv struct {
				U   string `json:"u"`
				Ply int    `json:"ply"`
			}
			require.NoError(t, json.Unmarshal(evs[i].D, &mv))
			require.Equal(t, "move", evs[i].T)
			require.Equal(t, i+1, mv.Ply, "%s: v%d", cl.name, evs[i].V)
			require.Equal(t, operaGame[i], mv.U)
		}
	}
	for _, cl := range []*client{white, white2, black, black2, spectator} {
		g := cl.snapshot(game)
		t.Logf("%s: %d full states (the watch, then repairs published by race losers), %d events already covered by one", cl.name, len(g.states), g.redundant)
	}
	rows := requireAckedInDB(t, c, game, white, white2, black, black2)
	requireMovesAre(t, rows, operaGame)
	g := c.dbGame(game)
	assert.Equal(t, int64(total), g.V)
	assert.Equal(t, "checkmate", g.Reason)
}

// TestConflictingMovesOnePerPly: for every ply the mover's two tabs, on two instances, send two
// different legal moves at the same moment. Exactly one is applied (acked), the other is
// refused, and the game, the watchers and PostgreSQL all agree on which.
func TestConflictingMovesOnePerPly(t *testing.T) {
	c := newCluster(t)
	insts := c.startAll("a", "b", "c")
	a, b, cc := insts[0], insts[1], insts[2]

	p1, p2 := c.guest("p1", a), c.guest("p2", b)
	white, black, game := pair(t, p1, p2, "5+0")
	other := func(cl *client) *instance {
		if cl.current().inst == cc {
			return a
		}
		return cc
	}
	white2 := c.tab(white, "white-tab2", other(white))
	black2 := c.tab(black, "black-tab2", other(black))
	spectator := c.guest("spectator", cc)
	spectator.watch(game)

	rng := rand.New(rand.NewPCG(1, 2)) // deterministic move choice
	board, err := rules.Load(rules.StartState())
	require.NoError(t, err)
	var played []string
	wins := map[string]int{}
	together, raced := 0, 0
	const plies = 30
	for ply := 1; ply <= plies; ply++ {
		legal := quietMoves(t, board)
		require.NotEmpty(t, legal, "ply %d: random play reached a position with no quiet move", ply)
		tabs := []*client{white, white2}
		if ply%2 == 0 {
			tabs = []*client{black, black2}
		}
		if len(legal) == 1 { // a forced move (e.g. out of check): no choice to race on
			tabs[0].move(game, ply, legal[0])
			spectator.waitV(game, int64(ply), 5*time.Second)
			_, err := board.Play(legal[0])
			require.NoError(t, err)
			played = append(played, legal[0])
			continue
		}
		raced++
		i := rng.IntN(len(legal))
		j := (i + 1 + rng.IntN(len(legal)-1)) % len(legal)
		cand := []string{legal[i], legal[j]}
		rs := fire(t, tabs, func(k int) (string, map[string]any) {
			return "move", map[string]any{"game": game, "u": cand[k], "ply": ply}
		})
		if overlapped(rs) {
			together++
		}
		winner := -1
		for k, r := range rs {
			switch r.Code {
			case "":
				require.Equal(t, -1, winner, "ply %d: both %v were acked", ply, cand)
				winner = k
			case "bad_request":
			default:
				t.Fatalf("ply %d: tab %s got %q", ply, tabs[k].name, r.Code)
			}
		}
		require.NotEqual(t, -1, winner, "ply %d: neither of %v was acked", ply, cand)
		tabs[winner].noteAck(game, ply, cand[winner])
		wins[tabs[winner].current().inst.name]++
		// The watchers got the winner's move as v = ply.
		spectator.waitV(game, int64(ply), 5*time.Second)
		ev := spectator.snapshot(game).events[ply-1]
		var mv struct {
			U string `json:"u"`
		}
		require.NoError(t, json.Unmarshal(ev.D, &mv))
		require.Equal(t, cand[winner], mv.U, "ply %d: the acked move is not the one played", ply)
		_, err := board.Play(cand[winner])
		require.NoError(t, err)
		played = append(played, cand[winner])
	}
	lost := c.lostRaces(game)
	t.Logf("%d plies, %d raced, %d with both moves in flight at once, %d lost at the durable version check; wins by instance: %v",
		len(played), raced, together, lost, wins)
	require.Len(t, played, plies)
	require.GreaterOrEqual(t, raced, plies*2/3)
	require.GreaterOrEqual(t, together, raced*8/10, "the moves were not sent concurrently; the test proves nothing")
	require.Positive(t, lost, "no move ever reached the durable version check; the race was not exercised")

	events := len(played)
	time.Sleep(300 * time.Millisecond)
	requireCleanSequence(t, spectator, game, events)
	rows := requireAckedInDB(t, c, game, white, white2, black, black2)
	requireMovesAre(t, rows, played)
	assert.Equal(t, int64(events), c.dbGame(game).V)
}

// quietMoves lists the legal moves of a position that do not end the game, so random play
// goes on for as long as the test wants.
func quietMoves(t *testing.T, b *rules.Board) []string {
	t.Helper()
	var out []string
	for _, m := range b.LegalMoves() {
		cp, err := rules.Load(b.State())
		require.NoError(t, err)
		if _, err := cp.Play(m); err != nil {
			t.Fatalf("legal move %s does not play: %v", m, err)
		}
		if !cp.Ending().Over() {
			out = append(out, m)
		}
	}
	return out
}
