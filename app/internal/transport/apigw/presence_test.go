package apigw_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
)

// TestSpectatorsAndClaimThroughGateway: over API Gateway the spectator count reaches the
// players (posted through @connections), a player's $disconnect starts the abandon timeout,
// a claim before it is refused, and a claim after it ends the game for everyone.
func TestSpectatorsAndClaimThroughGateway(t *testing.T) {
	e := newEnv(t, 1, newShared(false), func(e *env) {
		e.srvConfig.AbandonTimeout = time.Second
		e.srvConfig.SpectatorInterval = 50 * time.Millisecond
	})
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	white, black, gs := pair(t, alice, bob)
	game := gs.Game
	white.watch(game, 0)
	black.watch(game, 0)
	carol.watch(game, 0)
	spectators := func(n int) func(wsclient.Msg) bool {
		return func(m wsclient.Msg) bool {
			var p protocol.SpectatorsPayload
			return m.T == protocol.TSpectators && json.Unmarshal(m.D, &p) == nil && p.Game == game && p.N == n
		}
	}
	white.wait(spectators(1))
	black.wait(spectators(1))
	move(t, white, game, "e2e4", 1)
	move(t, black, game, "e7e5", 2)

	claim := map[string]any{"game": game, "result": "win"}
	assert.Equal(t, string(protocol.CodeBadRequest), white.act(protocol.TClaimAbandoned, claim), "the opponent is connected")
	black.c.Close() // $disconnect
	gone := white.waitType(protocol.TOpponentGone)
	var gp protocol.OpponentGonePayload
	require.NoError(t, json.Unmarshal(gone.D, &gp))
	assert.Equal(t, protocol.OpponentGonePayload{Game: game, ClaimIn: 1000}, gp)
	assert.Equal(t, string(protocol.CodeBadRequest), white.act(protocol.TClaimAbandoned, claim), "too early")
	time.Sleep(1100 * time.Millisecond)
	require.Empty(t, white.act(protocol.TClaimAbandoned, map[string]any{"game": game, "result": "draw"}))
	for _, p := range []*client{white, carol} {
		end := p.waitType(protocol.TEnd)
		var ep protocol.EndPayload
		require.NoError(t, json.Unmarshal(end.D, &ep))
		assert.Equal(t, protocol.EndPayload{Game: game, Result: "1/2-1/2", Reason: "abandoned"}, ep)
	}
}
