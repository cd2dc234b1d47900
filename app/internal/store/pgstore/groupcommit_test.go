package pgstore

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/store"
)

func pending(t *testing.T, c store.Commit) *pendingCommit {
	t.Helper()
	b, err := jsonState(c.State)
	require.NoError(t, err)
	return &pendingCommit{ctx: testCtx(t), c: c, state: b, done: make(chan error, 1)}
}

// One batch statement gives each commit its own outcome: applied, stale (conflict), unknown
// game (not found); a stale commit changes nothing of its game while the others apply.
func TestGroupCommitBatchOutcomes(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	ctx := testCtx(t)
	w, b := mkPlayer(t, s), mkPlayer(t, s)
	var states []*game.State
	var batch []*pendingCommit
	for i := 0; i < 5; i++ {
		st := mkGame(t, s, w, b)
		next, c := moved(t, st, "e2e4")
		if i == 3 { // stale: the store is at v0, this claims v1
			c.PrevV = 1
			next.V++
		}
		states = append(states, next)
		batch = append(batch, pending(t, c))
	}
	ghost, c := moved(t, states[0], "e7e5")
	ghost.ID = "g_ghost"
	c.State = ghost
	batch = append(batch, pending(t, c))

	g := &groupCommitter{s: s}
	g.commit(batch)
	for i, p := range batch {
		err := <-p.done
		switch i {
		case 3:
			assert.ErrorIs(t, err, store.ErrConflict)
		case 5:
			assert.ErrorIs(t, err, store.ErrNotFound)
		default:
			assert.NoError(t, err, i)
		}
	}
	for i, st := range states {
		v, plies, _, moves := gameRow(t, s, st.ID)
		if i == 3 {
			assert.Equal(t, [3]int64{0, 0, 0}, [3]int64{v, int64(plies), int64(moves)})
			continue
		}
		assert.Equal(t, [3]int64{st.V, 1, 1}, [3]int64{v, int64(plies), int64(moves)})
		loaded, err := s.LoadGame(ctx, st.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"e2e4"}, loaded.Moves)
	}
}

// A batch that fails as a whole (here a move row that already exists although the game's ply
// count says otherwise) falls back to one statement per commit: only the bad one fails.
func TestGroupCommitFallsBackWhenTheBatchFails(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	w, b := mkPlayer(t, s), mkPlayer(t, s)
	good := mkGame(t, s, w, b)
	bad := mkGame(t, s, w, b)
	_, err := s.pool.Exec(testCtx(t), `INSERT INTO moves VALUES ($1, 1, 'e2e4', 'e4', 'x', 0, 0, now())`, bad.ID)
	require.NoError(t, err)
	_, c1 := moved(t, good, "e2e4")
	_, c2 := moved(t, bad, "d2d4")
	batch := []*pendingCommit{pending(t, c1), pending(t, c2)}
	_, err = s.commitBatch(batch)
	require.Error(t, err, "the batch statement itself fails")
	(&groupCommitter{s: s}).commit(batch)
	assert.NoError(t, <-batch[0].done)
	assert.ErrorIs(t, <-batch[1].done, store.ErrConflict)
	_, _, _, moves := gameRow(t, s, good.ID)
	assert.Equal(t, 1, moves)
}

// Commits of one game never share a batch; many games at once all apply, in order per game.
func TestGroupCommitManyGames(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG), func(c *Config) { c.MaxConns, c.GroupCommit = 12, 2 })
	ctx := testCtx(t)
	w, b := mkPlayer(t, s), mkPlayer(t, s)
	const games = 24
	var wg sync.WaitGroup
	errs := make(chan error, games)
	ids := make([]string, games)
	for i := 0; i < games; i++ {
		st := mkGame(t, s, w, b)
		ids[i] = st.ID
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range dance {
				var c store.Commit
				st, c = moved(t, st, u)
				if err := s.CommitGame(ctx, c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		loaded, err := s.LoadGame(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, dance, loaded.Moves)
	}
	n := s.group.batched.Load()
	t.Logf("%d of %d commits shared a statement", n, games*len(dance))
	assert.Positive(t, n, "with 24 writers and 2 committers some commits must share a statement")
}

// A commit whose caller gave up before its batch ran is not sent; one queued on a closed store
// is told the store is unavailable.
func TestGroupCommitCancelledAndClosed(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	st := mkGame(t, s, mkPlayer(t, s), mkPlayer(t, s))
	_, c := moved(t, st, "e2e4")
	p := pending(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.ctx = ctx
	(&groupCommitter{s: s}).commit([]*pendingCommit{p})
	err := <-p.done
	assert.ErrorIs(t, err, store.ErrUnavailable)
	assert.True(t, errors.Is(err, context.Canceled))
	v, _, _, _ := gameRow(t, s, st.ID)
	assert.Equal(t, int64(0), v)

	g := newGroupCommitter(s, 1)
	g.close()
	assert.ErrorIs(t, g.submit(pending(t, c)), store.ErrUnavailable)
}
