package integration

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
)

// The tests in this file aim at the window between a move's durable commit and its
// publication through Redis, the one step that makes a move visible to the other instances.

// crashAfterCommit makes an instance die after the mover's move is durable in PostgreSQL but
// before Redis has cached and published it (the one step that makes a move visible to the other
// instances), deterministically: it holds the game's row lock so the commit waits, pauses Redis
// writes (CLIENT PAUSE WRITE; reads go on), releases the lock so the commit completes, then
// kills the mover's instance while its PutGame is held back. It returns the mover's dropped
// connection and checks that the fault is as intended: PostgreSQL at the new version, Redis
// and every client still at the one before.
func crashAfterCommit(t *testing.T, c *cluster, mover *client, game string, ply int, uci string, watchers ...*client) *conn {
	t.Helper()
	victim := mover.current().inst
	ctx := ctxT(t, time.Minute)
	db := c.db()
	rdb := c.redis()
	before := c.dbGame(game).V
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SELECT 1 FROM games WHERE id = $1 FOR UPDATE`, game)
	require.NoError(t, err)
	require.NoError(t, rdb.Do(ctx, "CLIENT", "PAUSE", "20000", "WRITE").Err())
	unpaused := false
	defer func() {
		if !unpaused {
			_ = rdb.Do(context.Background(), "CLIENT", "UNPAUSE").Err()
		}
	}()

	old := mover.current()
	mover.sendOn(old, "move", map[string]any{"game": game, "u": uci, "ply": ply}, true)
	// The victim has read the game from Redis and now waits for the row lock in its commit.
	require.NoError(t, eventually(10*time.Second, func() error {
		if n := c.waitingOn("games"); n <= 0 {
			return fmt.Errorf("no commit waiting for the lock (%d)", n)
		}
		return nil
	}))
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, eventually(10*time.Second, func() error {
		if v := c.dbGame(game).V; v != before+1 {
			return fmt.Errorf("v%d", v)
		}
		return nil
	}), "the move did not commit")
	time.Sleep(200 * time.Millisecond) // the victim's PutGame reaches Redis and is held there
	victim.kill(t)
	require.NoError(t, rdb.Do(ctx, "CLIENT", "UNPAUSE").Err())
	unpaused = true
	old.requireDropped(t, 5*time.Second)

	require.Equal(t, strconv.FormatInt(before, 10), cachedV(ctx, rdb, game), "Redis was updated; the crash window was missed")
	for _, cl := range append([]*client{mover}, watchers...) {
		require.Equal(t, before, cl.lastV(game), "%s was told of the move", cl.name)
	}
	return old
}

// reachAll waits (d in all) until every client holds version v of a game; it lists those that
// do not.
func reachAll(game string, v int64, d time.Duration, clients ...*client) []string {
	var missing []string
	deadline := time.Now().Add(d)
	for _, cl := range clients {
		if cl.waitFor(time.Until(deadline), func() bool { return cl.view(game).lastV >= v }) != nil {
			missing = append(missing, fmt.Sprintf("%s (on %s) holds v%d", cl.name, cl.current().inst.name, cl.lastV(game)))
		}
	}
	return missing
}

// requireAllReach is reachAll that fails the test.
func requireAllReach(t *testing.T, c *cluster, game string, v int64, d time.Duration, msg string, clients ...*client) {
	t.Helper()
	missing := reachAll(game, v, d, clients...)
	if len(missing) > 0 {
		t.Fatalf("%s: %v (PostgreSQL v%d, Redis cache v%s)", msg, missing, c.dbGame(game).V, cachedV(ctxT(t, 5*time.Second), c.redis(), game))
	}
}

// TestCrashBetweenCommitAndPublish: an instance dies between the durable commit of white's
// move and its publication (see crashAfterCommit). White, as the protocol asks, reconnects
// elsewhere and resends the unacknowledged move; it is acked as a duplicate. Every client must
// still learn of the committed move (its event or a full state), and the game goes on.
// (Failed before 5407598: nobody ever received v13.)
func TestCrashBetweenCommitAndPublish(t *testing.T) {
	w := startWatchedGame(t, "5+0")
	c, insts, white, black, spectator, game := w.c, w.insts, w.white, w.black, w.spectator, w.game
	w.playOpera(t, 12)
	refuge := otherThan(insts, white.current().inst, black.current().inst)
	crashAfterCommit(t, c, white, game, 13, operaGame[12], black, spectator)

	white.connect(refuge)
	white.watch(game)
	white.moveUntilAcked(game, 13, operaGame[12], 10*time.Second) // the resend: a duplicate, acked
	requireAllReach(t, c, game, 13, 10*time.Second, "after an instance died between the durable commit of ply 13 and "+
		"Live.PutGame and the mover's resend was acked as a duplicate, not every client learned of v13", white, black, spectator)
	play(t, white, black, game, operaGame, 14, len(operaGame))
	for _, cl := range []*client{white, black, spectator} {
		cl.waitEnded(game, 10*time.Second)
		require.Empty(t, cl.snapshot(game).anomalies, cl.name)
	}
	rows := requireAckedInDB(t, c, game, white, black)
	requireMovesAre(t, rows, operaGame)
}

// TestCrashBetweenCommitAndPublishMoverGone: as TestCrashBetweenCommitAndPublish, but the mover
// does not come back (its tab closed with the instance, or its network is down). The move is
// durable and black's clock runs from it, so black (and the spectator) must learn of it without
// any action of the mover's, before black's time is spent waiting on a board that shows white to
// move. A 5+0 game: the only thing that would otherwise touch the game is white's stale flag
// deadline, minutes away.
func TestCrashBetweenCommitAndPublishMoverGone(t *testing.T) {
	w := startWatchedGame(t, "5+0")
	c, white, black, spectator, game := w.c, w.white, w.black, w.spectator, w.game
	w.playOpera(t, 12)
	crashAfterCommit(t, c, white, game, 13, operaGame[12], black, spectator)
	if missing := reachAll(game, 13, 15*time.Second, black, spectator); len(missing) > 0 {
		// Evidence for the report: what black meets if it tries to play on, and whose clock
		// the flag deadline in Redis follows.
		ctx := ctxT(t, 10*time.Second)
		r, err := black.actOn(ctx, black.current(), "move", map[string]any{"game": game, "u": operaGame[13], "ply": 14})
		require.NoError(t, err)
		var gs struct {
			V    int64  `json:"v"`
			Turn string `json:"turn"`
		}
		require.NoError(t, wsclient.GetJSON(ctx, c.hc, black.current().inst.url+"/api/games/"+game, 200, &gs))
		dl, _ := c.redis().ZScore(ctx, "deadlines", game).Result()
		t.Fatalf("BUG (open, server): an instance died between the durable commit of white's ply 13 and Live.PutGame, "+
			"and white did not come back: 15 s later %v. PostgreSQL v%d (black to move, black's clock running), Redis "+
			"cache v%s; GET /api/games/{id} says v%d, %s to move; black's ply 14 is answered %q; the flag deadline in "+
			"Redis is %s away (white's clock, from v12). Nothing repairs the cache until that stale deadline fires.",
			missing, c.dbGame(game).V, cachedV(ctx, c.redis(), game), gs.V, gs.Turn, r.Code,
			time.Until(time.UnixMilli(int64(dl))).Round(time.Second))
	}
	black.move(game, 14, operaGame[13])
	// White comes back much later, re-watches and resends its unacknowledged move.
	white.connect(spectator.current().inst)
	white.watch(game)
	white.moveUntilAcked(game, 13, operaGame[12], 10*time.Second)
	play(t, white, black, game, operaGame, 15, len(operaGame))
	for _, cl := range []*client{white, black, spectator} {
		cl.waitEnded(game, 10*time.Second)
		require.Empty(t, cl.snapshot(game).anomalies, cl.name)
	}
	rows := requireAckedInDB(t, c, game, white, black)
	requireMovesAre(t, rows, operaGame)
}

func cachedV(ctx context.Context, rdb *redis.Client, game string) string {
	v, err := rdb.HGet(ctx, "g:{"+game+"}:s", "v").Result()
	if err != nil {
		return err.Error()
	}
	return v
}

// TestRedisDownBetweenCommitAndPublish: Redis goes down (and loses its data) after a move's
// durable commit has started and before the move is cached and published. The commit is durable,
// so the move is acked; its events wait in the committing instance. When Redis is back, every
// client receives the move (as an event, or inside the full state of the resync that follows
// its instance's re-subscription), nobody sees a gap or a duplicate, and the game goes on.
func TestRedisDownBetweenCommitAndPublish(t *testing.T) {
	w := startWatchedGame(t, "5+0")
	c, insts, white, black, spectator, game := w.c, w.insts, w.white, w.black, w.spectator, w.game
	w.playOpera(t, 12)

	ctx := ctxT(t, time.Minute)
	tx, err := c.db().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SELECT 1 FROM games WHERE id = $1 FOR UPDATE`, game)
	require.NoError(t, err)
	cn := white.current()
	sent := time.Now()
	a := white.sendOn(cn, "move", map[string]any{"game": game, "u": operaGame[12], "ply": 13}, true)
	require.NoError(t, eventually(10*time.Second, func() error {
		if n := c.waitingOn("games"); n <= 0 {
			return fmt.Errorf("no commit waiting for the lock (%d)", n)
		}
		return nil
	}))
	c.rd.Stop()
	require.NoError(t, tx.Commit(ctx))
	r, err := white.answer(ctx, cn, a, sent)
	require.NoError(t, err)
	require.Empty(t, r.Code, "the durable move must be acked although Redis is down")
	white.noteAck(game, 13, operaGame[12])
	require.Equal(t, int64(13), c.dbGame(game).V)
	time.Sleep(time.Second)
	for _, cl := range []*client{white, black, spectator} {
		require.Equal(t, int64(12), cl.lastV(game), "%s heard of v13 while Redis was down", cl.name)
	}

	require.NoError(t, c.rd.Start(ctx))
	requireAllReach(t, c, game, 13, 15*time.Second, "after Redis came back, not every client received the move held while it was down",
		white, black, spectator)
	c.waitAllReady(insts)
	play(t, white, black, game, operaGame, 14, len(operaGame))
	total := len(operaGame) + 1
	for _, cl := range []*client{white, black, spectator} {
		cl.waitEnded(game, 10*time.Second)
		cl.waitV(game, int64(total), 10*time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	for _, cl := range []*client{white, black, spectator} {
		// Either way is right: the held event (if the client's instance had re-subscribed when
		// it was published), or a full state from the resync that follows a re-subscription.
		onlyState := requireConsistent(t, cl, game, int64(total))
		t.Logf("%s (on %s): v13 as an event: %v; versions received only inside a full state: %d",
			cl.name, cl.current().inst.name, cl.snapshot(game).seen[13], onlyState)
	}
	rows := requireAckedInDB(t, c, game, white, black)
	requireMovesAre(t, rows, operaGame)
	// The held events go out once: on their own when Live takes them back first, or inside a
	// full state when the holder's next commit comes after another instance's (they no longer
	// join up; TestHeldEventsThatNoLongerJoinUpArePublishedAsAState in package server).
	held, superseded := 0, 0
	for _, in := range insts {
		held += in.logCount("published events held while live storage was down")
		superseded += in.logCount("held events do not join the new ones; publishing the full state instead")
	}
	assert.Equal(t, 1, held+superseded, "the committing instance published the held events once (%d on their own, %d in a state)", held, superseded)
}

// waitingOn counts the PostgreSQL queries containing text that wait for a lock.
func (c *cluster) waitingOn(text string) int {
	var n int
	err := c.pgQueryRow(fmt.Sprintf(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%%%s%%'`, text), &n)
	if err != nil {
		return -1
	}
	return n
}

// TestResyncAfterLiveDeliveryNoDuplicate: after Redis comes back, each instance resyncs its
// watchers from the version each one had when the resync began; an event delivered live in the
// meantime must not be delivered again. Deterministic: white's move is committed while Redis is
// down and held by white's instance (frozen with SIGSTOP while Redis restarts); the other
// instances' resyncs are held in PostgreSQL (the games table locked) after reading the
// watchers' versions; then white's instance runs and publishes the held move, which black and
// the spectator receive live; then the resyncs go on.
func TestResyncAfterLiveDeliveryNoDuplicate(t *testing.T) {
	w := startWatchedGame(t, "5+0")
	c, white, black, spectator, game := w.c, w.white, w.black, w.spectator, w.game
	w.playOpera(t, 12)
	holder := white.current().inst

	// White's ply 13 is committed while Redis is down: acked, its event held by white's instance.
	ctx := ctxT(t, time.Minute)
	db := c.db()
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SELECT 1 FROM games WHERE id = $1 FOR UPDATE`, game)
	require.NoError(t, err)
	cn := white.current()
	sent := time.Now()
	a := white.sendOn(cn, "move", map[string]any{"game": game, "u": operaGame[12], "ply": 13}, true)
	require.NoError(t, eventually(10*time.Second, func() error {
		if c.waitingOn("games") <= 0 {
			return errNotYet
		}
		return nil
	}))
	c.rd.Stop()
	require.NoError(t, tx.Commit(ctx))
	r, err := white.answer(ctx, cn, a, sent)
	require.NoError(t, err)
	require.Empty(t, r.Code)
	white.noteAck(game, 13, operaGame[12])

	// Hold every read of the games table, freeze the holder, and bring Redis back: the other
	// instances reconnect and start resyncing black and the spectator from v12.
	lock, err := db.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = lock.Rollback(ctx) }()
	_, err = lock.Exec(ctx, `LOCK TABLE games IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)
	holder.pause(t)
	resumed := false
	defer func() {
		if !resumed {
			holder.resume(t)
		}
	}()
	require.NoError(t, c.rd.Start(ctx))
	require.NoError(t, eventually(15*time.Second, func() error {
		if n := c.waitingOn("SELECT state FROM games WHERE id"); n < 2 {
			return fmt.Errorf("%d resyncs waiting", n)
		}
		return nil
	}), "the resyncs of black's and the spectator's instances did not start")
	for _, cl := range []*client{black, spectator} {
		require.Equal(t, int64(12), cl.lastV(game), cl.name)
	}

	// The holder publishes the held move; black and the spectator get it live.
	holder.resume(t)
	resumed = true
	requireAllReach(t, c, game, 13, 10*time.Second, "the held move was not delivered live", black, spectator)
	for _, cl := range []*client{black, spectator} {
		require.True(t, cl.snapshot(game).seen[13], "%s: v13 did not come as an event", cl.name)
	}
	// Let the resyncs finish.
	require.NoError(t, lock.Rollback(ctx))
	time.Sleep(2 * time.Second)
	for _, cl := range []*client{black, spectator} {
		require.Empty(t, cl.snapshot(game).anomalies, "BUG (open, server): %s received v13 live while its instance's "+
			"resync was under way, and then again from the resync (Session.finishWatch lowers the session's last "+
			"version to the one the resync started from)", cl.name)
	}
	c.waitAllReady(w.insts)
	play(t, white, black, game, operaGame, 14, len(operaGame))
	for _, cl := range []*client{white, black, spectator} {
		cl.waitEnded(game, 10*time.Second)
		require.Empty(t, cl.snapshot(game).anomalies, cl.name)
	}
	requireAckedInDB(t, c, game, white, black)
}
