package pgstore

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/storetest"
)

// Every contract subtest gets a store on a database of its own, migrated from empty; the
// contract runs with and without group commit.
func TestDurableContract(t *testing.T) {
	for _, group := range []int{0, 2} {
		t.Run(fmt.Sprintf("group=%d", group), func(t *testing.T) {
			storetest.RunDurable(t, func(t *testing.T) store.Durable {
				return openStore(t, freshDB(t, sharedPG), func(c *Config) { c.GroupCommit = group })
			})
		})
	}
}

func TestRankingContract(t *testing.T) {
	storetest.RunRankingDurable(t, func(t *testing.T) store.Durable { return openStore(t, freshDB(t, sharedPG)) })
}

// TestRankingContractUnderALinguisticCollation runs the ranking contract on a database whose
// default collation is ICU's en-US, which orders "x_", "xa", "xB" unlike bytes: equal ratings
// must still be ordered by name bytes (COLLATE "C"), as Redis orders them.
func TestRankingContractUnderALinguisticCollation(t *testing.T) {
	storetest.RunRankingDurable(t, func(t *testing.T) store.Durable {
		name := fmt.Sprintf("icu%d_%d", os.Getpid(), dbSeq.Add(1))
		admin := adminExec(t, sharedPG.DSN)
		admin(`CREATE DATABASE ` + name + ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
		t.Cleanup(func() { admin(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
		return openStore(t, withDB(t, sharedPG.DSN, name))
	})
}

var idSeq atomic.Int64

func uid(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1e9, idSeq.Add(1))
}

func mkPlayer(t testing.TB, d store.Durable) store.Player {
	t.Helper()
	p := store.Player{ID: uid("p"), Name: uid("n"), PasswordHash: "$argon2id$x", CreatedAt: time.Now().UTC()}
	require.NoError(t, d.CreatePlayer(testCtx(t), p))
	return p
}

func mkGame(t testing.TB, d store.Durable, white, black store.Player) *game.State {
	t.Helper()
	tc, err := protocol.ParseTimeControl("5+3")
	require.NoError(t, err)
	st := game.New(uid("g"), game.PlayerRef{ID: white.ID, Name: white.Name, Rating: 1500},
		game.PlayerRef{ID: black.ID, Name: black.Name, Rating: 1500}, tc, true, time.Now().UnixMilli())
	require.NoError(t, d.CreateGame(testCtx(t), st))
	return st
}

// moved returns a copy of st with uci played and the commit that stores it.
func moved(t testing.TB, st *game.State, uci string) (*game.State, store.Commit) {
	t.Helper()
	c := st.Clone()
	out, err := c.Move(c.Turn(), uci, len(c.Moves)+1, 0, c.CreatedAt+int64(len(c.Moves)+1)*1000)
	require.NoError(t, err)
	c.Seal(&out)
	return c, store.Commit{PrevV: st.V, State: c, Move: out.Move}
}

// gameRow reads what the database holds for a game, bypassing the store's decoding.
func gameRow(t testing.TB, s *Store, id string) (v int64, plies int, status string, moves int) {
	t.Helper()
	require.NoError(t, s.pool.QueryRow(testCtx(t),
		`SELECT v, plies, status, (SELECT count(*) FROM moves WHERE game_id = $1) FROM games WHERE id = $1`, id).
		Scan(&v, &plies, &status, &moves))
	return
}

// A rated game ends with a move (here: mate) and rating writes; one rating's version is stale.
// The game row, the moves and every rating must stay as they were, although the game's own
// version matched; then the same commit with the right versions applies completely.
func TestRatingConflictChangesNothing(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	ctx := testCtx(t)
	w, b := mkPlayer(t, s), mkPlayer(t, s)

	// Give white an existing blitz rating row (version 1) through an earlier rated game.
	earlier := mkGame(t, s, w, b)
	out, err := earlier.Resign(rules.Black, 0, earlier.CreatedAt+10)
	require.NoError(t, err)
	earlier.Seal(&out)
	r1 := rating.Rating{R: 1600, RD: 200, Vol: 0.06, Games: 1, LastRated: time.Now().UTC().Truncate(time.Microsecond)}
	require.NoError(t, s.CommitGame(ctx, store.Commit{PrevV: 0, State: earlier, Ratings: []store.RatingWrite{
		{PlayerID: w.ID, Speed: earlier.Speed, PrevVersion: 0, New: r1},
	}}))

	st := mkGame(t, s, w, b)
	for _, u := range []string{"f2f3", "e7e5", "g2g4"} {
		var c store.Commit
		st, c = moved(t, st, u)
		require.NoError(t, s.CommitGame(ctx, c))
	}
	vBefore, pliesBefore, _, movesBefore := gameRow(t, s, st.ID)
	require.Equal(t, 3, movesBefore)

	mate, c := moved(t, st, "d8h4")
	require.True(t, mate.Ended(), "fool's mate ends the game")
	newW := rating.Rating{R: 1550, RD: 180, Vol: 0.06, Games: 2}
	newB := rating.Rating{R: 1650, RD: 300, Vol: 0.06, Games: 1}
	cases := map[string][]store.RatingWrite{
		"stale update":                {{PlayerID: w.ID, Speed: st.Speed, PrevVersion: 7, New: newW}, {PlayerID: b.ID, Speed: st.Speed, PrevVersion: 0, New: newB}},
		"insert over an existing row": {{PlayerID: w.ID, Speed: st.Speed, PrevVersion: 0, New: newW}, {PlayerID: b.ID, Speed: st.Speed, PrevVersion: 0, New: newB}},
		"update of a missing row":     {{PlayerID: w.ID, Speed: st.Speed, PrevVersion: 1, New: newW}, {PlayerID: b.ID, Speed: st.Speed, PrevVersion: 1, New: newB}},
	}
	for name, writes := range cases {
		c.Ratings = writes
		err := s.CommitGame(ctx, c)
		require.ErrorIs(t, err, store.ErrConflict, name)

		v, plies, status, moves := gameRow(t, s, st.ID)
		assert.Equal(t, vBefore, v, name)
		assert.Equal(t, pliesBefore, plies, name)
		assert.Equal(t, "started", status, name)
		assert.Equal(t, movesBefore, moves, name)
		loaded, err := s.LoadGame(ctx, st.ID)
		require.NoError(t, err)
		assert.Equal(t, st.Moves, loaded.Moves, name)
		rw, err := s.Ratings(ctx, w.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(1), rw[st.Speed].Version, name)
		assert.InDelta(t, 1600, rw[st.Speed].Rating.R, 1e-9, name)
		assert.True(t, r1.LastRated.Equal(rw[st.Speed].Rating.LastRated), name)
		rb, err := s.Ratings(ctx, b.ID)
		require.NoError(t, err)
		assert.Empty(t, rb, name)
	}

	c.Ratings = []store.RatingWrite{{PlayerID: w.ID, Speed: st.Speed, PrevVersion: 1, New: newW}, {PlayerID: b.ID, Speed: st.Speed, PrevVersion: 0, New: newB}}
	require.NoError(t, s.CommitGame(ctx, c))
	v, plies, status, moves := gameRow(t, s, st.ID)
	assert.Equal(t, mate.V, v)
	assert.Equal(t, 4, plies)
	assert.Equal(t, "ended", status)
	assert.Equal(t, 4, moves)
	rw, err := s.Ratings(ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, store.PlayerRating{Speed: st.Speed, Rating: newW, Version: 2}, rw[st.Speed])
	rb, err := s.Ratings(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, store.PlayerRating{Speed: st.Speed, Rating: newB, Version: 1}, rb[st.Speed])
	rec, err := s.Record(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, store.Record{Games: 2, Wins: 1, Losses: 1}, rec)
}

// Many writers race for each ply of one game with the same PrevV: every round exactly one wins,
// and the moves table ends gap-free with the winners' moves.
func TestConcurrentCommitsOneWinnerPerVersion(t *testing.T) {
	for _, group := range []int{0, 3} {
		t.Run(fmt.Sprintf("group=%d", group), func(t *testing.T) { testOneWinner(t, group) })
	}
}

func testOneWinner(t *testing.T, group int) {
	s := openStore(t, freshDB(t, sharedPG), func(c *Config) { c.MaxConns, c.GroupCommit = 16, group })
	ctx := testCtx(t)
	st := mkGame(t, s, mkPlayer(t, s), mkPlayer(t, s))
	const writers, rounds = 24, 6
	var winners []string
	for round := 0; round < rounds; round++ {
		board, err := rules.Load(st.Rules)
		require.NoError(t, err)
		legal := board.LegalMoves()
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  = make([]error, writers)
			ucis  = make([]string, writers)
			after = make([]*game.State, writers)
		)
		for i := 0; i < writers; i++ {
			ucis[i] = legal[i%len(legal)]
			next, c := moved(t, st, ucis[i])
			after[i] = next
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.CommitGame(ctx, c)
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, won, "round %d: two writers won", round)
				won = i
				continue
			}
			require.ErrorIs(t, err, store.ErrConflict, "round %d", round)
		}
		require.NotEqual(t, -1, won, "round %d: nobody won", round)
		st = after[won]
		winners = append(winners, ucis[won])
	}
	loaded, err := s.LoadGame(ctx, st.ID)
	require.NoError(t, err)
	assert.Equal(t, winners, loaded.Moves)
	assert.Equal(t, st.V, loaded.V)
	moves, err := s.GameMoves(ctx, st.ID)
	require.NoError(t, err)
	require.Len(t, moves, rounds)
	for i, m := range moves {
		assert.Equal(t, i+1, m.Ply)
		assert.Equal(t, winners[i], m.UCI)
	}
}

func TestCommitRejectsBadInputAndUnknownGames(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	ctx := testCtx(t)
	w, b := mkPlayer(t, s), mkPlayer(t, s)
	st := mkGame(t, s, w, b)
	next, good := moved(t, st, "e2e4")

	wrongPly := good
	m := *good.Move
	m.Ply = 5
	wrongPly.Move = &m
	noAdvance := good
	noAdvance.PrevV = next.V
	dupRating := good
	dupRating.Ratings = []store.RatingWrite{{PlayerID: w.ID, Speed: "blitz"}, {PlayerID: w.ID, Speed: "blitz"}}
	for name, c := range map[string]store.Commit{
		"nil state": {PrevV: 0}, "move ply not the state's": wrongPly,
		"version not advancing": noAdvance, "same rating twice": dupRating,
	} {
		err := s.CommitGame(ctx, c)
		require.Error(t, err, name)
		assert.NotErrorIs(t, err, store.ErrConflict, name)
		assert.NotErrorIs(t, err, store.ErrUnavailable, name)
	}
	v, _, _, moves := gameRow(t, s, st.ID)
	assert.Equal(t, int64(0), v)
	assert.Equal(t, 0, moves)

	missing := next.Clone()
	missing.ID = "g_nope"
	assert.ErrorIs(t, s.CommitGame(ctx, store.Commit{PrevV: 0, State: missing, Move: good.Move}), store.ErrNotFound)
	_, err := s.GameMoves(ctx, "g_nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	moves2, err := s.GameMoves(ctx, st.ID)
	require.NoError(t, err)
	assert.Empty(t, moves2, "a game without moves is not missing")

	// A game whose player does not exist is refused (foreign key) as not found.
	ghost := st.Clone()
	ghost.ID, ghost.Black.ID = uid("g"), "p_ghost"
	assert.ErrorIs(t, s.CreateGame(ctx, ghost), store.ErrNotFound)
	// A duplicate game id is an error, not a sentinel.
	err = s.CreateGame(ctx, st)
	require.Error(t, err)
	assert.NotErrorIs(t, err, store.ErrNotFound)
	// A duplicate player id is not a taken name.
	p := store.Player{ID: w.ID, Name: uid("other"), CreatedAt: time.Now()}
	err = s.CreatePlayer(ctx, p)
	require.Error(t, err)
	assert.NotErrorIs(t, err, store.ErrNameTaken)

	_, err = s.Leaderboard(ctx, "blitz", -1)
	assert.Error(t, err)
	lb, err := s.Leaderboard(ctx, "blitz", 0)
	require.NoError(t, err)
	assert.Empty(t, lb)
}

// The queries must be able to use the indexes made for them (the planner would pick a
// sequential scan on tables this small, so sequential scans are switched off to ask).
func TestQueriesUseTheirIndexes(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	ctx := testCtx(t)
	conn, err := s.pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, `SET enable_seqscan = off`)
	require.NoError(t, err)
	defer func() { _, _ = conn.Exec(context.Background(), `RESET enable_seqscan`) }()
	explain := func(sql string, args ...any) string {
		rows, err := conn.Query(ctx, "EXPLAIN "+sql, args...)
		require.NoError(t, err)
		var plan string
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			plan += line + "\n"
		}
		require.NoError(t, rows.Err())
		return plan
	}
	for name, c := range map[string]struct {
		sql   string
		args  []any
		index []string
	}{
		"leaderboard": {`SELECT p.name FROM ratings r JOIN players p ON p.id = r.player_id
			WHERE r.speed = $1 AND r.rd < 110 AND NOT p.guest ORDER BY r.r DESC, p.name COLLATE "C" LIMIT $2`,
			[]any{"blitz", 10}, []string{"ratings_leaderboard_idx"}},
		"history": {`SELECT id FROM ((SELECT id, created_at FROM games WHERE white_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3)
			UNION ALL (SELECT id, created_at FROM games WHERE black_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3)) x
			ORDER BY created_at DESC LIMIT $3`, []any{"p1", time.Now(), 20},
			[]string{"games_white_history_idx", "games_black_history_idx"}},
		"active":  {`SELECT id FROM games WHERE status <> 'ended' ORDER BY created_at, id`, nil, []string{"games_active_idx"}},
		"by name": {`SELECT id FROM players WHERE lower(name) = lower($1)`, []any{"x"}, []string{"players_name_lower_key"}},
	} {
		plan := explain(c.sql, c.args...)
		for _, idx := range c.index {
			assert.Contains(t, plan, idx, "%s:\n%s", name, plan)
		}
	}
}

func mustTC(t testing.TB, s string) protocol.TimeControl {
	tc, err := protocol.ParseTimeControl(s)
	require.NoError(t, err)
	return tc
}
