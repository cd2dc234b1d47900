package apigw_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/transport/apigw"
)

// maxGamePlies is the longest game the rules allow: with the seventy-five-move rule and
// fivefold repetition ending games automatically, 8848.5 moves (17,697 plies; wismuth.com's
// longest-game analysis, and Tom Murphy's constructed 17,697-ply game, SIGBOVIK 2020).
const maxGamePlies = 17697

// maxPromotions: each side has 8 pawns.
const maxPromotions = 16

// maxBytesPerPly is a move's share of the state's "moves" array: a quoted UCI of at most 5
// characters and a comma.
const maxBytesPerPly = 8

// worstState is a full game state with every field at its largest.
func worstState() protocol.GameState {
	moves := make([]string, maxGamePlies)
	for i := range moves {
		moves[i] = "h7h8"
		if i < maxPromotions {
			moves[i] = "h7h8q"
		}
	}
	name := strings.Repeat("n", 256) // the token format's limit; usernames are ≤ 20
	str := func(s string) *string { return &s }
	ratings := &protocol.EndRatings{White: protocol.RatingChange{Before: 3999, After: 3999}, Black: protocol.RatingChange{Before: 3999, After: 3999}}
	return protocol.GameState{
		Game: "g_" + strings.Repeat("x", 30), V: math.MaxInt64,
		White: protocol.PlayerInfo{Name: name, Rating: 3999, Provisional: true, Guest: true},
		Black: protocol.PlayerInfo{Name: name, Rating: 3999, Provisional: true, Guest: true},
		TC:    "180+180", Rated: true,
		FEN:   "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 150 8849" + strings.Repeat(" ", 40),
		Moves: moves, Clock: protocol.Clock{W: math.MaxInt64, B: math.MaxInt64}, Turn: "white",
		Status: "ended", Result: str("1/2-1/2"), Reason: str("timeoutVsInsufficient"), DrawOffer: str("white"),
		Ratings: ratings, ClockRunning: true, ServerTime: math.MaxInt64,
	}
}

// TestLargestStateFrameFits: the largest message the server sends is a full game state; even
// for the longest possible game it stays under API Gateway's 128 KB message limit.
func TestLargestStateFrameFits(t *testing.T) {
	frame := protocol.MustEncode(protocol.TState, 0, worstState())
	t.Logf("largest state frame: %d bytes for %d plies (limit %d)", len(frame), maxGamePlies, apigw.MaxPostBytes)
	assert.Less(t, len(frame), apigw.MaxPostBytes)
	noMoves := worstState()
	noMoves.Moves = nil
	overhead := len(protocol.MustEncode(protocol.TState, 0, noMoves))
	assert.LessOrEqual(t, len(frame), overhead+maxBytesPerPly*maxGamePlies, "the per-ply model holds")
}

// longGame returns a legal game of n plies that no rule ends (found by a seeded random walk
// that avoids endings and prefers quiet moves so material stays on the board).
func longGame(t *testing.T, n int) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 300))
	b, err := rules.Load(rules.StartState())
	require.NoError(t, err)
	var out []string
	for len(out) < n {
		legal := b.LegalMoves()
		rng.Shuffle(len(legal), func(i, j int) { legal[i], legal[j] = legal[j], legal[i] })
		var next *rules.Board
		for pass := 0; pass < 2 && next == nil; pass++ {
			for _, u := range legal {
				nb, err := rules.Load(b.State())
				require.NoError(t, err)
				mv, err := nb.Play(u)
				require.NoError(t, err)
				if mv.Ending.Over() {
					continue
				}
				if pass == 0 && isCapture(b.FEN(), u) {
					continue // quiet moves first
				}
				next, out = nb, append(out, u)
				break
			}
		}
		require.NotNil(t, next, "stuck after %d plies", len(out))
		b = next
	}
	return out
}

// isCapture tells whether the target square of a UCI move is occupied in the FEN.
func isCapture(fen, uci string) bool {
	board := strings.Fields(fen)[0]
	file, rank := int(uci[2]-'a'), int(uci[3]-'1')
	rows := strings.Split(board, "/")
	row := rows[7-rank]
	col := 0
	for _, ch := range row {
		if ch >= '1' && ch <= '8' {
			col += int(ch - '0')
			continue
		}
		if col == file {
			return true
		}
		col++
	}
	return false
}

// TestLongGameStateThroughGateway plays 300 plies through the gateway; a spectator that
// watches from v 0 then gets the whole game as one state frame, posted through @connections
// within the limit and within the per-ply size model of TestLargestStateFrameFits.
func TestLongGameStateThroughGateway(t *testing.T) {
	const plies = 300
	ucis := longGame(t, plies)
	e := newEnv(t, 1, newShared(false), func(e *env) {
		e.srvConfig.RateLimit = server.RateLimit{Rate: 1000, Burst: 1000, MaxViolations: 1000, ViolationWindow: time.Second}
	})
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	white, black, gs := pair(t, alice, bob)
	game := gs.Game
	for i, u := range ucis {
		p := white
		if i%2 == 1 {
			p = black
		}
		move(t, p, game, u, i+1)
	}
	a, err := carol.c.SendAck(ctxT(t), "watch", map[string]any{"game": game, "v": 0})
	require.NoError(t, err)
	require.Empty(t, carol.result(a))
	st := carol.waitType("state")
	var full protocol.GameState
	require.NoError(t, json.Unmarshal(st.D, &full))
	require.Equal(t, ucis, full.Moves)
	assert.Equal(t, "started", full.Status)
	t.Logf("state frame of a %d-ply game: %d bytes", plies, len(st.Raw))
	assert.GreaterOrEqual(t, e.gw.MaxPostBytes(), int64(len(st.Raw)), "it went through @connections")
	assert.LessOrEqual(t, e.gw.MaxPostBytes(), int64(apigw.MaxPostBytes))
	full.Moves = nil
	overhead := len(protocol.MustEncode(protocol.TState, 0, full))
	assert.LessOrEqual(t, len(st.Raw), overhead+maxBytesPerPly*plies)
}
