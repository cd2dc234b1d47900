package integration

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
)

// latestMigration is the highest version among pgstore's migration files.
func latestMigration(t *testing.T) int64 {
	t.Helper()
	files, err := filepath.Glob("../store/pgstore/migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var latest int64
	for _, f := range files {
		num, _, _ := strings.Cut(filepath.Base(f), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		require.NoError(t, err, f)
		latest = max(latest, v)
	}
	return latest
}

// TestSchemaFromEmptyAndPGNAfterRestart: three instances started at once on an empty database
// migrate it exactly once; a rated game played to checkmate over two of them is durable: after
// every instance has been stopped and started again, each serves the complete PGN with the
// right result, and the moves table holds exactly the acknowledged moves.
func TestSchemaFromEmptyAndPGNAfterRestart(t *testing.T) {
	c := newCluster(t)
	db := c.db()
	ctx := ctxT(t, 30*time.Second)
	var tables int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables))
	require.Zero(t, tables, "the database must start empty")

	insts := c.startAll("a", "b", "c")
	a, b := insts[0], insts[1]

	// Every migration applied once, although three processes raced to apply them.
	want := latestMigration(t)
	var applied, distinct, top int64
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*), count(DISTINCT version_id), max(version_id) FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied, &distinct, &top))
	assert.Equal(t, want, top, "schema version")
	assert.Equal(t, distinct, applied, "a migration was applied more than once")
	for _, tbl := range []string{"players", "ratings", "games", "moves"} {
		var ok bool
		require.NoError(t, db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+tbl).Scan(&ok))
		assert.True(t, ok, "table %s", tbl)
	}

	alice := c.registered("alice_"+strconv.Itoa(int(time.Now().UnixMilli()%100000)), a)
	bob := c.registered("bob_"+strconv.Itoa(int(time.Now().UnixMilli()%100000)), b)
	game := challengeGame(t, alice, bob, "5+0", true)
	play(t, alice, bob, game, operaGame, 1, len(operaGame))
	for _, cl := range []*client{alice, bob} {
		cl.waitEnded(game, 10*time.Second)
		g := cl.snapshot(game)
		assert.Equal(t, "1-0", g.result, cl.name)
		assert.Equal(t, "checkmate", g.reason, cl.name)
		// 33 moves and the end, each exactly once and in order, on both instances.
		requireCleanSequence(t, cl, game, len(operaGame)+1)
	}
	end := alice.snapshot(game).events[len(operaGame)]
	var endPayload struct {
		Ratings *struct {
			White struct{ Before, After int } `json:"white"`
		} `json:"ratings"`
	}
	require.NoError(t, json.Unmarshal(end.D, &endPayload))
	require.NotNil(t, endPayload.Ratings, "a rated game's end carries the rating changes: %s", end.Raw)
	assert.Greater(t, endPayload.Ratings.White.After, endPayload.Ratings.White.Before, "the winner gains")

	// Stop every instance: nothing of the game may live only in a process.
	for _, in := range insts {
		in.stop(t)
	}
	for _, in := range insts {
		c.run(in)
	}

	var first string
	for _, in := range insts {
		pgn := c.getText(in.url + "/api/games/" + game + "/pgn")
		if first == "" {
			first = pgn
		}
		assert.Equal(t, first, pgn, "instances disagree on the PGN")
	}
	tags, movetext := splitPGN(t, first)
	assert.Equal(t, operaMovetext, movetext)
	assert.Equal(t, "1-0", tags["Result"])
	assert.Equal(t, "checkmate", tags["Termination"])
	assert.Equal(t, alice.sess.Player.Name, tags["White"])
	assert.Equal(t, bob.sess.Player.Name, tags["Black"])
	assert.Equal(t, game, tags["GameId"])
	assert.Equal(t, "300+0", tags["TimeControl"])
	assert.Equal(t, "Rated blitz game", tags["Event"])

	rows := requireAckedInDB(t, c, game, alice, bob)
	requireMovesAre(t, rows, operaGame)
	for i, r := range rows {
		assert.Equal(t, operaSAN[i], r.SAN, "SAN of ply %d", r.Ply)
	}
	acked := len(alice.snapshot(game).acked) + len(bob.snapshot(game).acked)
	assert.Equal(t, len(operaGame), acked, "every move was acknowledged")
	g := c.dbGame(game)
	assert.Equal(t, gameRow{Status: "ended", Result: "1-0", Reason: "checkmate", V: int64(len(operaGame) + 1), Plies: len(operaGame), EndedAt: g.EndedAt}, g)
	require.NotNil(t, g.EndedAt)

	// The restarted instances serve the rest of the durable record too.
	var prof struct {
		Games, Wins, Losses int
		Ratings             map[string]struct{ Games int }
	}
	require.NoError(t, wsclient.GetJSON(ctx, c.hc, b.url+"/api/players/"+alice.sess.Player.Name, 200, &prof))
	assert.Equal(t, 1, prof.Games)
	assert.Equal(t, 1, prof.Wins)
	assert.Equal(t, 1, prof.Ratings["blitz"].Games)
	var applied2 int64
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied2))
	assert.Equal(t, applied, applied2, "a restart re-applied migrations")
}

var pgnTag = regexp.MustCompile(`^\[(\w+) "(.*)"\]$`)

// splitPGN returns the tags and the movetext (whitespace normalised) of a PGN.
func splitPGN(t *testing.T, pgn string) (map[string]string, string) {
	t.Helper()
	head, body, ok := strings.Cut(pgn, "\n\n")
	require.True(t, ok, "PGN without a blank line before the movetext:\n%s", pgn)
	tags := map[string]string{}
	for _, line := range strings.Split(head, "\n") {
		m := pgnTag.FindStringSubmatch(line)
		require.NotNil(t, m, "bad tag line %q", line)
		tags[m[1]] = m[2]
	}
	return tags, strings.Join(strings.Fields(body), " ")
}
