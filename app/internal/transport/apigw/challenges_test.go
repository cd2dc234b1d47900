package apigw_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
)

// byConnection routes each connection, $connect included, to the instance it was first
// assigned, taking instances in turn: clients that connect one after the other are owned by
// different instances, so every challenge message crosses between them.
func byConnection(n int) func(gatewaytest.Request) int {
	var mu sync.Mutex
	owner := map[string]int{}
	return func(r gatewaytest.Request) int {
		mu.Lock()
		defer mu.Unlock()
		i, ok := owner[r.ConnID]
		if !ok {
			i = len(owner) % n
			owner[r.ConnID] = i
		}
		return i
	}
}

func payload[T any](t *testing.T, m wsclient.Msg) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(m.D, &v), string(m.Raw))
	return v
}

func (cl *client) gone(id string) protocol.ChallengeGonePayload {
	cl.t.Helper()
	return payload[protocol.ChallengeGonePayload](cl.t, cl.wait(func(m wsclient.Msg) bool {
		var g protocol.ChallengeGonePayload
		return m.T == "challengeGone" && json.Unmarshal(m.D, &g) == nil && g.ID == id
	}))
}

// TestChallengesAcrossInstancesThroughGateway: over API Gateway, with the challenger and the
// challenged owned by different instances, a decline and a cancel reach the other side, bad
// input changes nothing, and an open challenge and a rematch start games.
func TestChallengesAcrossInstancesThroughGateway(t *testing.T) {
	e := newEnv(t, 2, newShared(false))
	e.setRoute(byConnection(2))
	alice, bob, carol := e.guest(), e.guest(), e.guest()

	// Decline.
	require.Empty(t, alice.act("challenge", map[string]any{"to": bob.sess.Player.Name, "tc": "5+0"}))
	sent := payload[protocol.ChallengePayload](t, alice.waitType("challengeSent"))
	assert.Equal(t, sent, payload[protocol.ChallengePayload](t, bob.waitType("challenge")))
	assert.Equal(t, "not_found", carol.act("declineChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, "not_found", bob.act("cancelChallenge", map[string]any{"id": sent.ID}))
	require.Empty(t, bob.act("declineChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, protocol.GoneDeclined, alice.gone(sent.ID).Reason)

	// Cancel.
	require.Empty(t, alice.act("challenge", map[string]any{"to": bob.sess.Player.Name, "tc": "3+2", "color": "black"}))
	sent = payload[protocol.ChallengePayload](t, alice.waitType("challengeSent"))
	bob.waitType("challenge")
	assert.Equal(t, "not_found", alice.act("cancelChallenge", map[string]any{"id": "c_unknown123"}))
	require.Empty(t, alice.act("cancelChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, protocol.GoneCancelled, bob.gone(sent.ID).Reason)
	assert.Equal(t, "not_found", bob.act("acceptChallenge", map[string]any{"id": sent.ID}))

	// An open challenge accepted by a third player on the other instance.
	require.Empty(t, alice.act("challenge", map[string]any{"tc": "5+3", "color": "white"}))
	open := payload[protocol.ChallengePayload](t, alice.waitType("challengeSent"))
	require.Empty(t, bob.act("acceptChallenge", map[string]any{"id": open.ID}))
	gs := payload[protocol.GameState](t, alice.waitType("gameStart"))
	assert.Equal(t, alice.sess.Player.Name, gs.White.Name)
	assert.Equal(t, bob.sess.Player.Name, gs.Black.Name)
	g := alice.gone(open.ID)
	assert.Equal(t, protocol.GoneAccepted, g.Reason)
	assert.Equal(t, gs.Game, g.Game)
	bob.waitType("gameStart")

	// Rematch after the game, colours swapped.
	require.Empty(t, bob.act("resign", map[string]any{"game": gs.Game}))
	require.Empty(t, bob.act("rematch", map[string]any{"game": gs.Game}))
	offer := payload[protocol.ChallengePayload](t, alice.waitType("challenge"))
	assert.Equal(t, gs.Game, offer.Rematch)
	require.Empty(t, alice.act("acceptChallenge", map[string]any{"id": offer.ID}))
	next := payload[protocol.GameState](t, bob.waitType("gameStart"))
	assert.Equal(t, bob.sess.Player.Name, next.White.Name)
	assert.Equal(t, alice.sess.Player.Name, next.Black.Name)
	assert.Equal(t, "5+3", next.TC)
	assert.Zero(t, e.gw.IntegrationErrors())
}
