package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
)

// operaGame is Morphy v. Duke Karl / Count Isouard, Paris 1858: 33 plies ending in checkmate
// (1-0), with captures, checks and queenside castling.
var operaGame = []string{
	"e2e4", "e7e5", "g1f3", "d7d6", "d2d4", "c8g4", "d4e5", "g4f3", "d1f3", "d6e5",
	"f1c4", "g8f6", "f3b3", "d8e7", "b1c3", "c7c6", "c1g5", "b7b5", "c3b5", "c6b5",
	"c4b5", "b8d7", "e1c1", "a8d8", "d1d7", "d8d7", "h1d1", "e7e6", "b5d7", "f6d7",
	"b3b8", "d7b8", "d1d8",
}

// operaSAN is the same game in SAN, written out independently of the server's rules code.
var operaSAN = strings.Fields("e4 e5 Nf3 d6 d4 Bg4 dxe5 Bxf3 Qxf3 dxe5 Bc4 Nf6 Qb3 Qe7 Nc3 c6 Bg5 b5 " +
	"Nxb5 cxb5 Bxb5+ Nbd7 O-O-O Rd8 Rxd7 Rxd7 Rd1 Qe6 Bxd7+ Nxd7 Qb8+ Nxb8 Rd8#")

// operaMovetext is the PGN movetext the server must serve for it (whitespace normalised).
const operaMovetext = "1. e4 e5 2. Nf3 d6 3. d4 Bg4 4. dxe5 Bxf3 5. Qxf3 dxe5 6. Bc4 Nf6 7. Qb3 Qe7 " +
	"8. Nc3 c6 9. Bg5 b5 10. Nxb5 cxb5 11. Bxb5+ Nbd7 12. O-O-O Rd8 13. Rxd7 Rxd7 14. Rd1 Qe6 " +
	"15. Bxd7+ Nxd7 16. Qb8+ Nxb8 17. Rd8# 1-0"

// mover returns the client whose turn ply is (odd plies: white).
func mover(white, black *client, ply int) *client {
	if ply%2 == 1 {
		return white
	}
	return black
}

// play plays moves[from-1 : to] (plies from..to, 1-based) alternately, each acknowledged.
func play(t *testing.T, white, black *client, game string, moves []string, from, to int) {
	t.Helper()
	for ply := from; ply <= to; ply++ {
		mover(white, black, ply).move(game, ply, moves[ply-1])
	}
}

// requireCleanSequence checks a client's view of a game: no gap, duplicate or regression was
// ever seen, and its versioned events run from v1 to the final version without a hole (a
// client that watched from v0 before the first event and never lost its connection).
func requireCleanSequence(t *testing.T, cl *client, game string, wantEvents int) []wsclient.Msg {
	t.Helper()
	g := cl.snapshot(game)
	require.Empty(t, g.anomalies, "%s saw version anomalies in %s", cl.name, game)
	require.Equal(t, wantEvents, len(g.events), "%s: versioned events of %s: %s; full states at %v",
		cl.name, game, eventTypes(g.events), g.states)
	for i, m := range g.events {
		require.Equal(t, int64(i+1), m.V, "%s: event %d of %s: %s", cl.name, i, game, m.Raw)
	}
	return g.events
}

// requireConsistent checks a client's view of a game for clients that may have been brought
// up to date with a full state (after a resync, or a repair): no anomaly was ever seen, and every
// version up to final came either as an event or inside a full state. It returns how many
// versions came only inside a state.
func requireConsistent(t *testing.T, cl *client, game string, final int64) int {
	t.Helper()
	g := cl.snapshot(game)
	require.Empty(t, g.anomalies, "%s saw version anomalies in %s", cl.name, game)
	require.Equal(t, final, g.lastV, "%s: last version of %s", cl.name, game)
	covered := int64(0)
	for _, v := range g.states {
		covered = max(covered, v)
	}
	got := map[int64]bool{}
	for _, m := range g.events {
		got[m.V] = true
	}
	onlyState := 0
	for v := int64(1); v <= final; v++ {
		if !got[v] {
			require.LessOrEqual(t, v, covered, "%s: v%d of %s came neither as an event nor in a state: %s; states %v",
				cl.name, v, game, eventTypes(g.events), g.states)
			onlyState++
		}
	}
	return onlyState
}

// requireAckedInDB checks that every move acknowledged to any of the clients is in the moves
// table at its ply, and that the table holds plies 1..n without a hole, n being the games
// row's ply count.
func requireAckedInDB(t *testing.T, c *cluster, game string, clients ...*client) []moveRow {
	t.Helper()
	rows := c.dbMoves(game)
	g := c.dbGame(game)
	require.Len(t, rows, g.Plies, "moves rows vs games.plies of %s", game)
	byPly := map[int]string{}
	for i, r := range rows {
		require.Equal(t, i+1, r.Ply, "moves of %s have a hole or a repeat", game)
		byPly[r.Ply] = r.UCI
	}
	acked := 0
	for _, cl := range clients {
		for ply, uci := range cl.snapshot(game).acked {
			require.Equal(t, uci, byPly[ply], "%s's acknowledged move at ply %d of %s is not in PostgreSQL", cl.name, ply, game)
			acked++
		}
	}
	require.Positive(t, acked, "no acknowledged move to check")
	return rows
}

// requireMovesAre checks the moves table against an expected UCI list.
func requireMovesAre(t *testing.T, rows []moveRow, ucis []string) {
	t.Helper()
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = r.UCI
	}
	assert.Equal(t, ucis, got)
}

// eventTypes lists the types of events, for messages.
func eventTypes(ms []wsclient.Msg) string {
	var sb strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&sb, "%d:%s ", m.V, m.T)
	}
	return sb.String()
}
