package pgstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLatestGamesNewestRunningFirst: LatestGames lists running games only, newest first, up
// to the limit.
func TestLatestGamesNewestRunningFirst(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	ctx := testCtx(t)
	w, b := mkPlayer(t, s), mkPlayer(t, s)
	var ids []string
	for range 4 {
		ids = append(ids, mkGame(t, s, w, b).ID)
		time.Sleep(3 * time.Millisecond) // distinct creation times
	}
	_, err := s.pool.Exec(ctx, `UPDATE games SET status = 'ended' WHERE id = $1`, ids[2])
	require.NoError(t, err)

	got, err := s.LatestGames(ctx, 10)
	require.NoError(t, err)
	var gotIDs []string
	for _, g := range got {
		gotIDs = append(gotIDs, g.ID)
		assert.Equal(t, w.Name, g.White.Name)
		assert.Equal(t, "5+3", g.TC)
	}
	assert.Equal(t, []string{ids[3], ids[1], ids[0]}, gotIDs)
	got, err = s.LatestGames(ctx, 2)
	require.NoError(t, err)
	assert.Len(t, got, 2)
	got, err = s.LatestGames(ctx, 0)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// TestLatestGamesReadsOnlyTheTopOfTheRunningIndex: with 50,000 ended games and 200 running
// ones, the query is a backward scan of games_active_idx that reads limit rows: no sort, no
// scan of the table, whatever the number of games that ended.
func TestLatestGamesReadsOnlyTheTopOfTheRunningIndex(t *testing.T) {
	s := openStore(t, freshDB(t, sharedPG))
	ctx := testCtx(t)
	w, b := mkPlayer(t, s), mkPlayer(t, s)
	tmpl := mkGame(t, s, w, b)
	_, err := s.pool.Exec(ctx, `
		INSERT INTO games (id, white_id, black_id, tc, rated, speed, status, v, plies, state, created_at)
		SELECT 'g_bulk' || i, white_id, black_id, tc, rated, speed,
		       CASE WHEN i % 250 = 0 THEN 'started' ELSE 'ended' END, v, plies, state,
		       created_at - make_interval(secs => i)
		FROM games, generate_series(1, 50000) AS i WHERE id = $1`, tmpl.ID)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, `ANALYZE games`)
	require.NoError(t, err)

	var plan []byte
	require.NoError(t, s.pool.QueryRow(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+latestGamesSQL, 10).Scan(&plan))
	var doc []struct {
		Plan       map[string]any `json:"Plan"`
		ExecTimeMs float64        `json:"Execution Time"`
	}
	require.NoError(t, json.Unmarshal(plan, &doc))
	text := string(plan)
	assert.Contains(t, text, `"Index Name": "games_active_idx"`, "reads the partial index of running games")
	assert.Contains(t, text, `"Scan Direction": "Backward"`, "newest first without a sort")
	assert.NotContains(t, text, `"Node Type": "Seq Scan"`)
	assert.NotContains(t, text, `"Node Type": "Sort"`)
	rows := 0
	for _, part := range strings.Split(text, `"Actual Rows": `)[1:] {
		var n int
		_ = json.Unmarshal([]byte(strings.SplitN(part, ",", 2)[0]), &n)
		rows = max(rows, n)
	}
	assert.LessOrEqual(t, rows, 10, "no node reads more than the limit")
	t.Logf("LatestGames(10) over 50,001 games, 201 running: %.3f ms in PostgreSQL", doc[0].ExecTimeMs)
}
