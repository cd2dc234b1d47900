package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/store"
)

// ownPostgres starts a server for one test (one that stops or reconfigures it).
func ownPostgres(t *testing.T) *testenv.Postgres {
	t.Helper()
	pg := testenv.PostgresT(t)
	t.Cleanup(func() {
		if err := stopServer(pg); err != nil {
			t.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	return pg
}

// While the server is down every call fails promptly with ErrUnavailable (never ErrConflict,
// never a success); once it is back the same Store serves again, its pool reconnecting.
func TestServerRestartWithoutReopening(t *testing.T) {
	pg := ownPostgres(t)
	s := openStore(t, pg.DSN, func(c *Config) { c.MaxConns = 4; c.ConnectTimeout = 2 * time.Second })
	ctx := testCtx(t)
	st := mkGame(t, s, mkPlayer(t, s), mkPlayer(t, s))
	st, c := moved(t, st, "e2e4")
	require.NoError(t, s.CommitGame(ctx, c))
	next, c := moved(t, st, "e7e5")

	require.NoError(t, stopServer(pg))
	for i := 0; i < 3; i++ {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.Ping(callCtx)
		assert.ErrorIs(t, err, store.ErrUnavailable)
		_, err = s.LoadGame(callCtx, st.ID)
		assert.ErrorIs(t, err, store.ErrUnavailable)
		err = s.CommitGame(callCtx, c)
		assert.ErrorIs(t, err, store.ErrUnavailable)
		assert.NotErrorIs(t, err, store.ErrConflict)
		_, err = s.PlayerByName(callCtx, "anyone")
		assert.ErrorIs(t, err, store.ErrUnavailable)
		assert.NotErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, callCtx.Err(), "calls must fail fast, not wait out the context")
		cancel()
	}

	require.NoError(t, pg.Start(ctx))
	require.NoError(t, s.CommitGame(ctx, c), "the first commit after the restart")
	loaded, err := s.LoadGame(ctx, st.ID)
	require.NoError(t, err)
	assert.Equal(t, next.Moves, loaded.Moves)
	assert.NoError(t, s.Ping(ctx))
}
