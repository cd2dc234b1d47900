package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
)

// otherThan returns the first instance that is not one of the excluded ones.
func otherThan(insts []*instance, not ...*instance) *instance {
	for _, in := range insts {
		excluded := false
		for _, n := range not {
			excluded = excluded || in == n
		}
		if !excluded {
			return in
		}
	}
	return nil
}

// hasAck reports whether a connection received the ack of a.
func (cn *conn) hasAck(a int64) bool {
	cn.cl.mu.Lock()
	defer cn.cl.mu.Unlock()
	for _, m := range cn.msgs {
		if wsclient.IsAck(m, a) {
			return true
		}
	}
	return false
}

// requireDropped waits until the connection has been closed under the client.
func (cn *conn) requireDropped(t *testing.T, d time.Duration) {
	t.Helper()
	err := cn.cl.waitFor(d, func() bool { return cn.err != nil })
	require.NoError(t, err, "%s's connection to %s is still open", cn.cl.name, cn.inst.name)
}

// TestKillInstanceMidGame: the instance holding white's socket is killed with SIGKILL while
// white's move is in flight. White reconnects to another instance, re-watches from the last
// version it holds and resends the unacknowledged move, as the protocol client does; the game
// goes on to checkmate. Nothing acknowledged is lost and no client sees a gap.
func TestKillInstanceMidGame(t *testing.T) {
	w := startWatchedGame(t, "5+0")
	c, insts, white, black, spectator, game := w.c, w.insts, w.white, w.black, w.spectator, w.game

	play(t, white, black, game, operaGame, 1, 12)
	victim := white.current().inst
	refuge := otherThan(insts, victim, black.current().inst)
	require.NotNil(t, refuge)

	// White's 13th move leaves, and its instance dies at once.
	old := white.current()
	a13 := white.sendOn(old, "move", map[string]any{"game": game, "u": operaGame[12], "ply": 13}, true)
	victim.kill(t)
	// The killed process really held white's socket: that connection drops, the others stay.
	old.requireDropped(t, 5*time.Second)
	require.NoError(t, black.current().closed(), "black was not on the killed instance")
	require.NoError(t, spectator.current().closed(), "the spectator was not on the killed instance")
	ackedBeforeKill := old.hasAck(a13)
	heldV := white.lastV(game)

	white.connect(refuge)
	white.watch(game)
	if ackedBeforeKill {
		white.noteAck(game, 13, operaGame[12])
	} else {
		// Unacknowledged: resend. If the dead instance committed it, this is a duplicate and is
		// acked without being applied again.
		white.moveUntilAcked(game, 13, operaGame[12], 10*time.Second)
	}
	t.Logf("killed %s (pid gone) with ply 13 in flight: acked before the kill=%v, white held v%d; white reconnected to %s",
		victim.name, ackedBeforeKill, heldV, refuge.name)
	play(t, white, black, game, operaGame, 14, len(operaGame))

	total := len(operaGame) + 1
	for _, cl := range []*client{white, black, spectator} {
		cl.waitEnded(game, 10*time.Second)
		cl.waitV(game, int64(total), 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	for _, cl := range []*client{white, black, spectator} {
		if stateAfter(cl.snapshot(game).states, heldV) {
			// The kill struck between a's commit of v13 and its publish: nobody can send v13's
			// event any more, so one full state (a repair at v13, or v14 decided on the durable
			// v13) brings every watcher up to date, without a hole.
			onlyState := requireConsistent(t, cl, game, int64(total))
			assert.LessOrEqual(t, onlyState, 2, "%s: only v13 and v14 may come inside a state", cl.name)
			t.Logf("%s: v13 was committed but never published; %d version(s) came inside a full state", cl.name, onlyState)
		} else {
			// White's events span two connections: v1..v12 on the dead one, the rest replayed by
			// the re-watch and then live on the new one, still each exactly once and in order.
			requireCleanSequence(t, cl, game, total)
		}
		g := cl.snapshot(game)
		assert.Equal(t, "1-0", g.result, cl.name)
		assert.Equal(t, "checkmate", g.reason, cl.name)
	}
	rows := requireAckedInDB(t, c, game, white, black)
	requireMovesAre(t, rows, operaGame)
	assert.Equal(t, int64(total), c.dbGame(game).V)
}

// stateAfter reports whether a full state newer than v was received.
func stateAfter(states []int64, v int64) bool {
	for _, s := range states {
		if s > v {
			return true
		}
	}
	return false
}

// moveClock decodes the clocks of a move event.
func moveClock(t *testing.T, m wsclient.Msg) (w, b int64) {
	t.Helper()
	require.Equal(t, "move", m.T, string(m.Raw))
	var mv struct {
		Clock struct{ W, B int64 } `json:"clock"`
	}
	require.NoError(t, json.Unmarshal(m.D, &mv))
	return mv.Clock.W, mv.Clock.B
}

// maxGrace is the most the server may wait after a clock reaches zero (lag quota, lichess's
// 2 s cap); tolerance covers the flag timer's tick and a loaded 2-core machine.
const (
	maxGrace  = 2 * time.Second
	tolerance = 1500 * time.Millisecond
)

// TestFlagFallsWhenResponsibleInstanceDies: with a 0+1 time control, black's clock runs out
// after white's third move. (1) The instance that committed that move (and armed the flag
// deadline) and held white's socket is killed at once: the surviving instances still end the
// game on time. (2) In a second game every instance is killed before the deadline, so none is
// alive when it passes; a freshly started instance ends the game as soon as it runs, since the
// deadline lives in Redis.
func TestFlagFallsWhenResponsibleInstanceDies(t *testing.T) {
	w := startWatchedGame(t, "0+1")
	c, white, black, spectator, game := w.c, w.white, w.black, w.spectator, w.game

	white.move(game, 1, "e2e4")
	black.move(game, 2, "e7e5")
	r3 := white.move(game, 3, "g1f3") // black's clock runs from this commit on
	responsible := white.current().inst
	responsible.kill(t)
	spectator.waitV(game, 3, 5*time.Second)
	_, clockB := moveClock(t, spectator.event(game, 3))
	require.Positive(t, clockB)
	earliest := r3.SentAt.Add(time.Duration(clockB) * time.Millisecond)
	latest := r3.At.Add(time.Duration(clockB)*time.Millisecond + maxGrace + tolerance)

	for _, cl := range []*client{black, spectator} {
		cl.waitEnded(game, time.Until(latest)+5*time.Second)
		g := cl.snapshot(game)
		assert.Equal(t, "1-0", g.result, cl.name)
		assert.Equal(t, "timeout", g.reason, cl.name)
		assert.False(t, g.endAt.Before(earliest), "%s: flag fell %s before black's time ran out", cl.name, earliest.Sub(g.endAt))
		assert.False(t, g.endAt.After(latest), "%s: flag fell %s late", cl.name, g.endAt.Sub(latest))
		t.Logf("%s saw the flag fall %s after black's clock reached 0 (the server's lag grace of up to 2 s included)", cl.name, g.endAt.Sub(earliest).Round(time.Millisecond))
	}
	// White comes back elsewhere and learns the result by re-watching.
	white.connect(spectator.current().inst)
	white.watch(game)
	white.waitEnded(game, 5*time.Second)
	for _, cl := range []*client{white, black, spectator} {
		requireCleanSequence(t, cl, game, 4)
	}
	requireAckedInDB(t, c, game, white, black)
	g := c.dbGame(game)
	assert.Equal(t, gameRow{Status: "ended", Result: "1-0", Reason: "timeout", V: 4, Plies: 3, EndedAt: g.EndedAt}, g)

	// (2) No instance alive when the deadline passes.
	alive := []*instance{black.current().inst, spectator.current().inst}
	white2, black2, game2 := pair(t, white, black, "0+1")
	white2.move(game2, 1, "d2d4")
	black2.move(game2, 2, "d7d5")
	r3 = white2.move(game2, 3, "c2c4")
	white2.waitV(game2, 3, 5*time.Second)
	_, clockB = moveClock(t, white2.event(game2, 3))
	for _, in := range alive {
		in.kill(t)
	}
	killedAt := time.Now()
	earliest = r3.SentAt.Add(time.Duration(clockB) * time.Millisecond)
	time.Sleep(time.Until(r3.At.Add(time.Duration(clockB)*time.Millisecond + maxGrace + 500*time.Millisecond)))
	require.Equal(t, "started", c.dbGame(game2).Status, "the game ended although no instance was running")

	spawned := time.Now()
	fresh := c.start("d")
	readyAt := time.Now()
	var ended gameRow
	require.NoError(t, eventually(5*time.Second, func() error {
		ended = c.dbGame(game2)
		if ended.Status != "ended" {
			return errNotYet
		}
		return nil
	}), "the new instance did not end the overdue game")
	assert.Equal(t, "1-0", ended.Result)
	assert.Equal(t, "timeout", ended.Reason)
	require.NotNil(t, ended.EndedAt)
	assert.False(t, ended.EndedAt.Before(earliest), "ended before black's time ran out")
	assert.True(t, ended.EndedAt.After(spawned), "ended before the fresh instance was started")
	t.Logf("no instance ran from %s before black's time ran out to %s after it; the fresh instance (ready %s after exec) ended the game %s after exec",
		earliest.Sub(killedAt).Round(time.Millisecond), spawned.Sub(earliest).Round(time.Millisecond),
		readyAt.Sub(spawned).Round(time.Millisecond), ended.EndedAt.Sub(spawned).Round(time.Millisecond))
	assert.Less(t, ended.EndedAt.Sub(readyAt), 3*time.Second)

	watcher := c.guest("late-watcher", fresh)
	watcher.watch(game2)
	watcher.waitEnded(game2, 5*time.Second)
	assert.Equal(t, "timeout", watcher.snapshot(game2).reason)
	requireAckedInDB(t, c, game2, white2, black2)
}

// TestRedisRestartMidGame: redis-server restarts mid-game and loses everything (no
// persistence). A move sent while it is down is refused with `unavailable`; once it is back an
// instance rebuilds the live state of the running game from PostgreSQL (cache, flag deadline)
// before any client acts. Black's instance is frozen through the restart and the next move, so
// it misses that move's publication; when it runs again it brings black up to date by itself.
// The game goes on to checkmate; nothing acknowledged is lost; no client sees a gap.
func TestRedisRestartMidGame(t *testing.T) {
	w := startWatchedGame(t, "5+0")
	c, insts, white, black, spectator, game := w.c, w.insts, w.white, w.black, w.spectator, w.game
	w.playOpera(t, 10)

	rdb := c.redis()
	ctx := ctxT(t, 2*time.Minute)
	epoch1, err := rdb.Get(ctx, "epoch").Result()
	require.NoError(t, err)
	frozen := black.current().inst
	frozen.pause(t)
	c.rd.Stop()
	r, err := white.actOn(ctx, white.current(), "move", map[string]any{"game": game, "u": operaGame[10], "ply": 11})
	require.NoError(t, err)
	require.Equal(t, "unavailable", r.Code, "a move while Redis is down")
	require.NoError(t, c.rd.Start(ctx))

	// Rebuilt from PostgreSQL by whichever instance noticed first, before any client acted.
	gameKey := "g:{" + game + "}:s"
	require.NoError(t, eventually(15*time.Second, func() error {
		epoch2, err := rdb.Get(ctx, "epoch").Result()
		if err != nil || epoch2 == epoch1 {
			return fmt.Errorf("epoch %q: %w", epoch2, err)
		}
		v, err := rdb.HGet(ctx, gameKey, "v").Result()
		if err != nil || v != "10" {
			return fmt.Errorf("cached v %q: %w", v, err)
		}
		if _, err := rdb.ZScore(ctx, "deadlines", game).Result(); err != nil {
			return fmt.Errorf("deadline: %w", err)
		}
		return nil
	}), "live state not rebuilt after the Redis restart")

	refused := white.moveUntilAcked(game, 11, operaGame[10], 15*time.Second)
	spectator.waitV(game, 11, 10*time.Second)
	require.Equal(t, int64(10), black.lastV(game), "black's instance is frozen")
	frozen.resume(t)
	black.waitV(game, 11, 20*time.Second)
	bg := black.snapshot(game)
	how := "a full state"
	if len(bg.events) == 11 {
		how = "the replayed event"
	}
	t.Logf("white's ply 11 was refused %d more times after Redis came back; frozen %s caught black up with %s", refused, frozen.name, how)

	play(t, white, black, game, operaGame, 12, len(operaGame))
	total := len(operaGame) + 1
	for _, cl := range []*client{white, black, spectator} {
		cl.waitEnded(game, 10*time.Second)
		cl.waitV(game, int64(total), 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	for _, cl := range []*client{white, black, spectator} {
		g := cl.snapshot(game)
		require.Empty(t, g.anomalies, "%s", cl.name)
		assert.Equal(t, "checkmate", g.reason, cl.name)
	}
	for _, cl := range []*client{white, spectator} {
		requireCleanSequence(t, cl, game, total)
	}
	rows := requireAckedInDB(t, c, game, white, black)
	requireMovesAre(t, rows, operaGame)
	rebuilt := 0
	for _, in := range insts {
		rebuilt += in.logCount(`"msg":"live state rebuilt from durable store","games":1,"of":1`)
	}
	assert.Equal(t, 1, rebuilt, "exactly one instance rebuilds the running game after the restart")
	assert.Positive(t, frozen.logCount("resynced watchers after a fan-out reconnect"), "the frozen instance resynced its watchers")
}

// TestPostgresOutage: PostgreSQL stops for a few seconds mid-game. Meanwhile /readyz reports
// it failed (503) and Redis ok, and every move is refused with `unavailable`, never acked nor
// published. When PostgreSQL is back the client's resent move is accepted without any server
// restart, and the game goes on to checkmate with nothing acknowledged lost.
func TestPostgresOutage(t *testing.T) {
	c := newClusterPrivatePG(t)
	insts := c.startAll("a", "b")
	white, black, game := pair(t, c.guest("p1", insts[0]), c.guest("p2", insts[1]), "5+0")
	play(t, white, black, game, operaGame, 1, 8)
	black.waitV(game, 8, 5*time.Second)

	pids := []int{insts[0].pid(), insts[1].pid()}
	c.pg.Stop()
	down := time.Now()
	for _, in := range insts {
		code, checks := c.readyz(in)
		assert.Equal(t, 503, code, in.name)
		assert.True(t, strings.HasPrefix(checks["postgres"], "failed"), "%s: %v", in.name, checks)
		assert.Equal(t, "ok", checks["redis"], "%s: %v", in.name, checks)
	}
	refusals := 0
	ctx := ctxT(t, time.Minute)
	for time.Since(down) < 3*time.Second {
		r, err := white.actOn(ctx, white.current(), "move", map[string]any{"game": game, "u": operaGame[8], "ply": 9})
		require.NoError(t, err)
		require.Equal(t, "unavailable", r.Code, "a move while PostgreSQL is down")
		refusals++
		time.Sleep(250 * time.Millisecond)
	}
	require.GreaterOrEqual(t, refusals, 3)
	assert.Equal(t, int64(8), black.lastV(game), "a refused move was published")
	assert.Empty(t, white.snapshot(game).acked[9])

	require.NoError(t, c.pg.Start(ctx))
	back := time.Now()
	more := white.moveUntilAcked(game, 9, operaGame[8], 30*time.Second)
	t.Logf("PostgreSQL down %s: %d moves refused with unavailable; after it came back, %d more refusals and the move was acked %s later",
		back.Sub(down).Round(time.Millisecond), refusals, more, time.Since(back).Round(time.Millisecond))
	for _, in := range insts {
		require.NoError(t, eventually(10*time.Second, func() error {
			if code, checks := c.readyz(in); code != 200 {
				return fmt.Errorf("%d %v", code, checks)
			}
			return nil
		}), in.name)
	}
	assert.Equal(t, pids, []int{insts[0].pid(), insts[1].pid()}, "no instance was restarted")
	play(t, white, black, game, operaGame, 10, len(operaGame))
	total := len(operaGame) + 1
	for _, cl := range []*client{white, black} {
		cl.waitEnded(game, 10*time.Second)
		cl.waitV(game, int64(total), 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	for _, cl := range []*client{white, black} {
		requireCleanSequence(t, cl, game, total)
	}
	rows := requireAckedInDB(t, c, game, white, black)
	requireMovesAre(t, rows, operaGame)
	g := c.dbGame(game)
	assert.Equal(t, "checkmate", g.Reason)
	assert.Equal(t, int64(total), g.V)
}

// TestFlagLeaseHolderDies: the instance that leased a due flag deadline dies before its
// commit lands. Black's instance is frozen around the deadline, so the other one (holding
// white's socket) is the only one that can lease it; its flag commit is held on the game's
// row lock, then the instance is killed and its half-done statement terminated in PostgreSQL.
// When the frozen instance runs again it must end the game once the dead one's lease has run
// out, and tell black.
func TestFlagLeaseHolderDies(t *testing.T) {
	c := newCluster(t)
	insts := c.startAll("a", "b")
	white, black, game := pair(t, c.guest("p1", insts[0]), c.guest("p2", insts[1]), "0+1")
	white.move(game, 1, "e2e4")
	black.move(game, 2, "e7e5")
	white.move(game, 3, "g1f3") // black's clock runs out about 4 s from here
	leaser, frozen := white.current().inst, black.current().inst
	require.NotEqual(t, leaser, frozen)

	ctx := ctxT(t, time.Minute)
	db := c.db()
	rdb := c.redis()
	deadline, err := rdb.ZScore(ctx, "deadlines", game).Result()
	require.NoError(t, err)
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SELECT 1 FROM games WHERE id = $1 FOR UPDATE`, game)
	require.NoError(t, err)
	frozen.pause(t)
	resumed := false
	defer func() {
		if !resumed {
			frozen.resume(t)
		}
	}()

	// At the deadline the only running instance leases the game and tries to commit the flag.
	var backend int
	require.NoError(t, eventually(15*time.Second, func() error {
		err := c.pgQueryRow(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%games%' LIMIT 1`, &backend)
		if err != nil {
			return fmt.Errorf("no flag commit waiting: %w", err)
		}
		return nil
	}))
	leasedUntil, err := rdb.ZScore(ctx, "deadlines", game).Result()
	require.NoError(t, err)
	require.Greater(t, leasedUntil, deadline, "the deadline was not leased")
	leaser.kill(t)
	var terminated bool
	require.NoError(t, c.pgQueryRow(fmt.Sprintf(`SELECT pg_terminate_backend(%d)`, backend), &terminated))
	require.True(t, terminated)
	require.NoError(t, tx.Rollback(ctx))
	require.Equal(t, "started", c.dbGame(game).Status, "the dead instance's flag commit went through")

	frozen.resume(t)
	resumed = true
	black.waitEnded(game, 15*time.Second)
	g := black.snapshot(game)
	assert.Equal(t, "1-0", g.result)
	assert.Equal(t, "timeout", g.reason)
	leaseEnd := time.UnixMilli(int64(leasedUntil))
	t.Logf("lease by %s ran until %s after the deadline; %s ended the game %s after the lease ran out",
		leaser.name, leaseEnd.Sub(time.UnixMilli(int64(deadline))), frozen.name, g.endAt.Sub(leaseEnd).Round(time.Millisecond))
	assert.False(t, g.endAt.Before(leaseEnd.Add(-50*time.Millisecond)), "ended while the dead instance's lease was still running")
	assert.False(t, g.endAt.After(leaseEnd.Add(tolerance)), "ended %s after the lease ran out", g.endAt.Sub(leaseEnd))
	requireCleanSequence(t, black, game, 4)
	requireAckedInDB(t, c, game, white, black)
	row := c.dbGame(game)
	assert.Equal(t, "timeout", row.Reason)
	assert.Equal(t, int64(4), row.V)
}
