package backend_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/protocol"
)

// castling returns the castling field of a FEN.
func castling(fen string) string { return strings.Fields(fen)[2] }

func TestScholarsMateEndsInCheckmate(t *testing.T) {
	e := newEnv(t)
	w, b, g := e.pair(e.guest(), e.guest(), "5+3", false)
	spectator := e.guest()
	e.watch(spectator, g, 0)
	e.play(w, b, g, 1, "e2e4", "e7e5", "f1c4", "b8c6", "d1h5", "g8f6", "h5f7")
	for _, p := range []*player{w, b, spectator} {
		end := decode[protocol.EndPayload](t, waitEvent(t, p, "end"))
		assert.Equal(t, "1-0", end.Result)
		assert.Equal(t, "checkmate", end.Reason)
		assert.Nil(t, end.Ratings, "casual games carry no rating change")
	}
	gs := e.state(g)
	assert.Equal(t, "ended", gs.Status)
	assert.Len(t, gs.Moves, 7)
	// The mating move's event says check and SAN with #.
	var last protocol.MovePayload
	for {
		m := waitEvent(t, b, "move")
		last = decode[protocol.MovePayload](t, m)
		if last.Ply == 7 {
			break
		}
	}
	assert.Equal(t, "Qxf7#", last.SAN)
	assert.True(t, last.Check)
}

func TestSpecialMovesThroughTheProtocol(t *testing.T) {
	tests := []struct {
		name     string
		moves    []string
		wantSAN  string // SAN of the last move
		wantFEN  string // prefix of the FEN after the last move (placement, turn, castling, e.p.)
		castling string
	}{
		{"en passant", []string{"e2e4", "a7a6", "e4e5", "d7d5", "e5d6"}, "exd6",
			"rnbqkbnr/1pp1pppp/p2P4/8/8/8/PPPP1PPP/RNBQKBNR b KQkq -", "KQkq"},
		{"king-side castling", []string{"e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "f8c5", "e1g1"}, "O-O",
			"r1bqk1nr/pppp1ppp/2n5/2b1p3/2B1P3/5N2/PPPP1PPP/RNBQ1RK1 b kq -", "kq"},
		{"queen-side castling", []string{"e2e4", "d7d6", "d2d4", "c8e6", "b1c3", "d8d7", "g1f3", "b8c6", "f1e2", "e8c8"}, "O-O-O",
			"2kr1bnr/pppqpppp/2npb3/8/3PP3/2N2N2/PPP1BPPP/R1BQK2R w KQ -", "KQ"},
		{"king move loses both rights", []string{"e2e4", "e7e5", "e1e2"}, "Ke2", "", "kq"},
		{"rook moves lose one right each", []string{"h2h4", "a7a5", "h1h3", "a8a6"}, "Ra6", "", "Qk"},
		{"captured rook loses the right", []string{"g2g3", "h7h6", "f1g2", "h6h5", "g2b7", "h5h4", "b7a8"}, "Bxa8", "", "KQk"},
		{"under-promotion to a knight", []string{"h2h4", "g7g5", "h4g5", "g8f6", "g5g6", "e7e6", "g6g7", "f8e7", "g7h8n"}, "gxh8=N", "", "KQq"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w, b, g := e.pair(e.guest(), e.guest(), "10+0", false)
			e.play(w, b, g, 1, tt.moves...)
			var last protocol.MovePayload
			for last.Ply != len(tt.moves) {
				last = decode[protocol.MovePayload](t, waitEvent(t, w, "move"))
			}
			assert.Equal(t, tt.wantSAN, last.SAN)
			if tt.wantFEN != "" {
				assert.True(t, strings.HasPrefix(last.FEN, tt.wantFEN), "FEN %q", last.FEN)
			}
			assert.Equal(t, tt.castling, castling(last.FEN))
			assert.Equal(t, "started", e.state(g).Status)
		})
	}
}

func TestStalemate(t *testing.T) {
	e := newEnv(t)
	w, b, g := e.pair(e.guest(), e.guest(), "10+0", false)
	// Sam Loyd's ten-move stalemate.
	e.play(w, b, g, 1, "e2e3", "a7a5", "d1h5", "a8a6", "h5a5", "h7h5", "h2h4", "a6h6", "a5c7", "f7f6",
		"c7d7", "e8f7", "d7b7", "d8d3", "b7b8", "d3h7", "b8c8", "f7g6", "c8e6")
	end := decode[protocol.EndPayload](t, waitEvent(t, b, "end"))
	assert.Equal(t, "1/2-1/2", end.Result)
	assert.Equal(t, "stalemate", end.Reason)
}

func TestInsufficientMaterialAfterCapture(t *testing.T) {
	e := newEnv(t)
	w, b := e.guest(), e.guest()
	g := e.startFrom(w, b, "5+0", "4k3/8/8/8/8/8/3n4/2B1K3 w - - 0 1")
	e.play(w, b, g, 1, "e1d2")
	end := decode[protocol.EndPayload](t, waitEvent(t, w, "end"))
	assert.Equal(t, "1/2-1/2", end.Result)
	assert.Equal(t, "insufficient", end.Reason)
}

func TestThreefoldClaim(t *testing.T) {
	e := newEnv(t)
	w, b, g := e.pair(e.guest(), e.guest(), "10+0", false)
	e.play(w, b, g, 1, "g1f3", "g8f6", "f3g1", "f6g8")
	// The start position has occurred twice: no claim yet, and nothing changes.
	before := e.state(g)
	assert.Equal(t, string(protocol.CodeNoClaim), e.act(w, "drawClaim", map[string]any{"game": g}))
	assert.Equal(t, before.V, e.state(g).V)
	e.play(w, b, g, 5, "g1f3", "g8f6", "f3g1", "f6g8")
	assert.Empty(t, e.act(b, "drawClaim", map[string]any{"game": g}))
	end := decode[protocol.EndPayload](t, waitEvent(t, w, "end"))
	assert.Equal(t, "1/2-1/2", end.Result)
	assert.Equal(t, "threefold", end.Reason)
}

func TestFlagFall(t *testing.T) {
	tests := []struct {
		name       string
		fen        string
		moves      []string // two plies, so the clock starts with white to move
		wantResult string
		wantReason string
	}{
		{"opponent can mate", "", []string{"e2e4", "e7e5"}, "0-1", "timeout"},
		{"opponent has a lone king", "4k3/8/8/8/8/8/8/4K2Q w - - 0 1", []string{"h1h2", "e8d7"}, "1/2-1/2", "timeoutVsInsufficient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w, b := e.guest(), e.guest()
			var g string
			if tt.fen == "" {
				w, b, g = e.pair(w, b, "1+0", false)
			} else {
				g = e.startFrom(w, b, "1+0", tt.fen)
			}
			e.play(w, b, g, 1, tt.moves...)
			// White's clock now runs; nobody sends anything: the server must flag by itself.
			e.clock.Advance(60*time.Second + 2100*time.Millisecond)
			end := decode[protocol.EndPayload](t, waitEvent(t, b, "end"))
			assert.Equal(t, tt.wantResult, end.Result)
			assert.Equal(t, tt.wantReason, end.Reason)
			gs := e.state(g)
			assert.Equal(t, int64(0), gs.Clock.W)
			assert.Equal(t, int64(60_000), gs.Clock.B)
		})
	}
}

func TestMoveAfterFlagEndsOnTime(t *testing.T) {
	e := newEnv(t, func(o *backendOptions) { o.Server.TickInterval = time.Hour })
	w, b, g := e.pair(e.guest(), e.guest(), "1+0", false)
	e.play(w, b, g, 1, "e2e4", "e7e5")
	e.clock.Advance(65 * time.Second)
	// The timer loop is off, so the late move itself discovers the flag.
	assert.Equal(t, string(protocol.CodeGameOver), e.act(w, "move", map[string]any{"game": g, "u": "d2d4", "ply": 3}))
	end := decode[protocol.EndPayload](t, waitEvent(t, b, "end"))
	assert.Equal(t, "timeout", end.Reason)
	assert.Len(t, e.state(g).Moves, 2)
}

func TestClockIncrementAndStart(t *testing.T) {
	e := newEnv(t)
	w, b, g := e.pair(e.guest(), e.guest(), "3+2", false)
	e.clock.Advance(5 * time.Second) // before the first moves the clocks do not run
	e.play(w, b, g, 1, "e2e4", "e7e5")
	e.clock.Advance(4 * time.Second)
	code := e.act(w, "move", map[string]any{"game": g, "u": "g1f3", "ply": 3, "l": 0})
	require.Empty(t, code)
	var m protocol.MovePayload
	for m.Ply != 3 {
		m = decode[protocol.MovePayload](t, waitEvent(t, b, "move"))
	}
	assert.Equal(t, int64(180_000-4_000+2_000), m.Clock.W)
	assert.Equal(t, int64(180_000), m.Clock.B)
}

func TestResignAbortAndDraws(t *testing.T) {
	t.Run("resign", func(t *testing.T) {
		e := newEnv(t)
		w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
		e.play(w, b, g, 1, "e2e4")
		assert.Empty(t, e.act(w, "resign", map[string]any{"game": g}))
		end := decode[protocol.EndPayload](t, waitEvent(t, b, "end"))
		assert.Equal(t, "0-1", end.Result)
		assert.Equal(t, "resign", end.Reason)
	})
	t.Run("abort before both moved", func(t *testing.T) {
		e := newEnv(t)
		w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
		e.play(w, b, g, 1, "e2e4")
		assert.Empty(t, e.act(b, "abort", map[string]any{"game": g}))
		end := decode[protocol.EndPayload](t, waitEvent(t, w, "end"))
		assert.Equal(t, "abort", end.Reason)
		assert.Equal(t, "*", end.Result)
	})
	t.Run("abort rejected after both moved", func(t *testing.T) {
		e := newEnv(t)
		w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
		e.play(w, b, g, 1, "e2e4", "e7e5")
		assert.Equal(t, string(protocol.CodeBadRequest), e.act(w, "abort", map[string]any{"game": g}))
		assert.Equal(t, "started", e.state(g).Status)
	})
	t.Run("first move not made in time aborts", func(t *testing.T) {
		e := newEnv(t)
		w, _, g := e.pair(e.guest(), e.guest(), "5+0", false)
		e.clock.Advance(31 * time.Second)
		end := decode[protocol.EndPayload](t, waitEvent(t, w, "end"))
		assert.Equal(t, "abort", end.Reason)
		assert.Equal(t, "ended", e.state(g).Status)
	})
	t.Run("offer and accept", func(t *testing.T) {
		e := newEnv(t)
		w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
		e.play(w, b, g, 1, "e2e4", "e7e5")
		assert.Empty(t, e.act(w, "drawOffer", map[string]any{"game": g}))
		offered := decode[protocol.DrawOfferedPayload](t, waitEvent(t, b, "drawOffered"))
		assert.Equal(t, "white", offered.By)
		assert.Equal(t, "white", *e.state(g).DrawOffer)
		assert.Empty(t, e.act(b, "drawAccept", map[string]any{"game": g}))
		end := decode[protocol.EndPayload](t, waitEvent(t, w, "end"))
		assert.Equal(t, "1/2-1/2", end.Result)
		assert.Equal(t, "agreement", end.Reason)
	})
	t.Run("offer and decline", func(t *testing.T) {
		e := newEnv(t)
		w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
		assert.Empty(t, e.act(b, "drawOffer", map[string]any{"game": g}))
		waitEvent(t, w, "drawOffered")
		assert.Empty(t, e.act(w, "drawDecline", map[string]any{"game": g}))
		waitEvent(t, b, "drawDeclined")
		assert.Nil(t, e.state(g).DrawOffer)
		assert.Equal(t, string(protocol.CodeBadRequest), e.act(w, "drawAccept", map[string]any{"game": g}))
	})
	t.Run("offer lapses when the opponent moves", func(t *testing.T) {
		e := newEnv(t)
		w, b, g := e.pair(e.guest(), e.guest(), "5+0", false)
		e.play(w, b, g, 1, "e2e4")
		assert.Empty(t, e.act(w, "drawOffer", map[string]any{"game": g}))
		e.play(w, b, g, 2, "e7e5")
		assert.Nil(t, e.state(g).DrawOffer)
		assert.Equal(t, string(protocol.CodeBadRequest), e.act(b, "drawAccept", map[string]any{"game": g}))
		assert.Equal(t, "started", e.state(g).Status)
	})
}

// backendOptions is an alias so option funcs read naturally in tests.
type backendOptions = backend.Options
