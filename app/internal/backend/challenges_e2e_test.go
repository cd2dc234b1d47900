package backend_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// challengeOf sends a challenge from p and returns what its creator is told (challengeSent).
func (e *env) challengeOf(p *player, d map[string]any) protocol.ChallengePayload {
	e.t.Helper()
	require.Empty(e.t, e.act(p, "challenge", d))
	return decode[protocol.ChallengePayload](e.t, waitEvent(e.t, p, "challengeSent"))
}

// goneOf waits for the challengeGone of challenge id on p.
func goneOf(t *testing.T, p *player, id string) protocol.ChallengeGonePayload {
	t.Helper()
	m, err := p.c.Wait(ctxT(t), func(m wsclient.Msg) bool {
		return m.T == "challengeGone" && decode[protocol.ChallengeGonePayload](t, m).ID == id
	})
	require.NoError(t, err)
	return decode[protocol.ChallengeGonePayload](t, m)
}

func TestChallengeDeclineIsToldToTheChallenger(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.registered("alice"), e.registered("bob_b")
	bobTab := e.connect(bob.sess)
	sent := e.challengeOf(alice, map[string]any{"to": "bob_b", "tc": "3+2", "color": "black"})
	assert.Equal(t, "bob_b", sent.To)
	assert.Equal(t, "alice", sent.From)
	assert.Equal(t, e.clock.Now().Add(store.ChallengeTTL).UnixMilli(), sent.ExpiresAt)
	got := decode[protocol.ChallengePayload](t, waitEvent(t, bob, "challenge"))
	assert.Equal(t, sent, got)
	require.Empty(t, e.act(bob, "declineChallenge", map[string]any{"id": sent.ID}))
	want := protocol.ChallengeGonePayload{ID: sent.ID, Reason: protocol.GoneDeclined, By: "bob_b"}
	assert.Equal(t, want, goneOf(t, alice, sent.ID))
	assert.Equal(t, want, goneOf(t, bobTab, sent.ID), "the target's other tab drops it too")
	assert.Equal(t, "not_found", e.act(bob, "acceptChallenge", map[string]any{"id": sent.ID}))
}

func TestChallengeCancelIsToldToTheTarget(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.guest(), e.guest()
	sent := e.challengeOf(alice, map[string]any{"to": bob.sess.Player.Name, "tc": "5+0"})
	waitEvent(t, bob, "challenge")
	require.Empty(t, e.act(alice, "cancelChallenge", map[string]any{"id": sent.ID}))
	want := protocol.ChallengeGonePayload{ID: sent.ID, Reason: protocol.GoneCancelled, By: alice.sess.Player.Name}
	assert.Equal(t, want, goneOf(t, bob, sent.ID))
	assert.Equal(t, want, goneOf(t, alice, sent.ID))
	assert.Equal(t, "not_found", e.act(bob, "acceptChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, "not_found", e.act(alice, "cancelChallenge", map[string]any{"id": sent.ID}))
}

// TestChallengeBadInputChangesNothing: unknown ids and someone else's challenges are refused
// with an error, and the challenge can still be accepted by its target afterwards.
func TestChallengeBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	sent := e.challengeOf(alice, map[string]any{"to": bob.sess.Player.Name, "tc": "5+0", "color": "white"})
	for _, tc := range []struct {
		p    *player
		t    string
		id   string
		code string
	}{
		{alice, "cancelChallenge", "c_unknown123", "not_found"},
		{bob, "declineChallenge", "c_unknown123", "not_found"},
		{bob, "acceptChallenge", "c_unknown123", "not_found"},
		{bob, "cancelChallenge", sent.ID, "not_found"},    // not the creator
		{carol, "cancelChallenge", sent.ID, "not_found"},  // a stranger
		{carol, "declineChallenge", sent.ID, "not_found"}, // not addressed to carol
		{carol, "acceptChallenge", sent.ID, "not_found"},
		{alice, "declineChallenge", sent.ID, "not_found"}, // one's own
		{alice, "acceptChallenge", sent.ID, "not_found"},
		{alice, "cancelChallenge", "not-an-id", "bad_request"},
	} {
		assert.Equal(t, tc.code, e.act(tc.p, tc.t, map[string]any{"id": tc.id}), "%s %s", tc.t, tc.id)
	}
	var c protocol.ChallengePayload
	require.NoError(t, wsclient.GetJSON(ctxT(t), e.hc, e.url+"/api/challenges/"+sent.ID, http.StatusOK, &c))
	assert.Equal(t, sent, c)
	require.Empty(t, e.act(bob, "acceptChallenge", map[string]any{"id": sent.ID}))
	gs := decode[protocol.GameState](t, waitEvent(t, alice, "gameStart"))
	assert.Equal(t, alice.sess.Player.Name, gs.White.Name)
	g := goneOf(t, alice, sent.ID)
	assert.Equal(t, protocol.GoneAccepted, g.Reason)
	assert.Equal(t, gs.Game, g.Game)
	assert.Equal(t, bob.sess.Player.Name, g.By)
}

// TestOpenChallengeByLink: a challenge without "to" is accepted by whoever opens its link, but
// not by its creator, and not rated by a guest.
func TestOpenChallengeByLink(t *testing.T) {
	e := newEnv(t)
	alice, bob, guest := e.registered("alice"), e.registered("bob_b"), e.guest()
	sent := e.challengeOf(alice, map[string]any{"tc": "10+5", "color": "white", "rated": true})
	assert.Empty(t, sent.To)
	var c protocol.ChallengePayload
	require.NoError(t, wsclient.GetJSON(ctxT(t), e.hc, e.url+"/api/challenges/"+sent.ID, http.StatusOK, &c))
	assert.Equal(t, sent, c)
	assert.Equal(t, "bad_request", e.act(alice, "acceptChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, "bad_request", e.act(guest, "acceptChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, "not_found", e.act(bob, "declineChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, "bad_request", e.act(guest, "challenge", map[string]any{"tc": "5+0", "rated": true}))

	require.Empty(t, e.act(bob, "acceptChallenge", map[string]any{"id": sent.ID}))
	gs := decode[protocol.GameState](t, waitEvent(t, bob, "gameStart"))
	assert.Equal(t, "alice", gs.White.Name)
	assert.Equal(t, "bob_b", gs.Black.Name)
	assert.Equal(t, "10+5", gs.TC)
	assert.True(t, gs.Rated)
	want := protocol.ChallengeGonePayload{ID: sent.ID, Reason: protocol.GoneAccepted, Game: gs.Game, By: "bob_b"}
	assert.Equal(t, want, goneOf(t, alice, sent.ID))
	assert.Equal(t, want, goneOf(t, bob, sent.ID))
	require.NoError(t, wsclient.GetJSON(ctxT(t), e.hc, e.url+"/api/challenges/"+sent.ID, http.StatusNotFound, nil))
	require.NoError(t, wsclient.GetJSON(ctxT(t), e.hc, e.url+"/api/challenges/g_notachallenge", http.StatusNotFound, nil))
	assert.Equal(t, "not_found", e.act(guest, "acceptChallenge", map[string]any{"id": sent.ID}))
}

func TestChallengeExpiryIsToldToBothSides(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.guest(), e.guest()
	sent := e.challengeOf(alice, map[string]any{"to": bob.sess.Player.Name, "tc": "5+0"})
	open := e.challengeOf(alice, map[string]any{"tc": "5+0"})
	e.clock.Advance(store.ChallengeTTL + time.Second)
	want := protocol.ChallengeGonePayload{ID: sent.ID, Reason: protocol.GoneExpired}
	assert.Equal(t, want, goneOf(t, alice, sent.ID))
	assert.Equal(t, want, goneOf(t, bob, sent.ID))
	assert.Equal(t, protocol.ChallengeGonePayload{ID: open.ID, Reason: protocol.GoneExpired}, goneOf(t, alice, open.ID))
	assert.Equal(t, "not_found", e.act(bob, "acceptChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, "not_found", e.act(alice, "cancelChallenge", map[string]any{"id": open.ID}))
}

// TestRematchSwapsColours: after a game, a rematch offer is a challenge to the opponent with
// the colours swapped and the same time control and rated flag; an offer from both sides
// starts one game.
func TestRematchSwapsColours(t *testing.T) {
	e := newEnv(t)
	a, b, carol := e.registered("alice"), e.registered("bob_b"), e.guest()
	white, black, game := e.pair(a, b, "3+2", true)
	assert.Equal(t, "bad_request", e.act(white, "rematch", map[string]any{"game": game}), "the game still runs")
	require.Empty(t, e.act(black, "resign", map[string]any{"game": game}))
	assert.Equal(t, "not_your_game", e.act(carol, "rematch", map[string]any{"game": game}))
	assert.Equal(t, "not_found", e.act(white, "rematch", map[string]any{"game": "g_nosuchgame"}))

	require.Empty(t, e.act(white, "rematch", map[string]any{"game": game}))
	sent := decode[protocol.ChallengePayload](t, waitEvent(t, white, "challengeSent"))
	offer := decode[protocol.ChallengePayload](t, waitEvent(t, black, "challenge"))
	assert.Equal(t, sent, offer)
	assert.Equal(t, game, offer.Rematch)
	assert.Equal(t, "black", offer.Color, "white offers to play black")
	assert.Equal(t, "3+2", offer.TC)
	assert.True(t, offer.Rated)
	require.Empty(t, e.act(black, "acceptChallenge", map[string]any{"id": offer.ID}))
	gs := decode[protocol.GameState](t, waitEvent(t, white, "gameStart"))
	assert.Equal(t, black.sess.Player.Name, gs.White.Name)
	assert.Equal(t, white.sess.Player.Name, gs.Black.Name)
	assert.Equal(t, "3+2", gs.TC)
	assert.True(t, gs.Rated)
	assert.Equal(t, protocol.GoneAccepted, goneOf(t, white, offer.ID).Reason)
	waitEvent(t, black, "gameStart")

	// Both ask for a rematch of the second game: the second request accepts the first offer.
	second := gs.Game
	e.watch(white, second, 0)
	e.watch(black, second, 0)
	require.Empty(t, e.act(white, "resign", map[string]any{"game": second}))
	require.Empty(t, e.act(black, "rematch", map[string]any{"game": second}))
	offer2 := decode[protocol.ChallengePayload](t, waitEvent(t, white, "challenge"))
	assert.Equal(t, second, offer2.Rematch)
	require.Empty(t, e.act(white, "rematch", map[string]any{"game": second}))
	third := decode[protocol.GameState](t, waitEvent(t, black, "gameStart"))
	assert.Equal(t, white.sess.Player.Name, third.White.Name)
	assert.Equal(t, third.Game, decode[protocol.GameState](t, waitEvent(t, white, "gameStart")).Game)
	assert.Equal(t, protocol.ChallengeGonePayload{ID: offer2.ID, Reason: protocol.GoneAccepted, Game: third.Game, By: white.sess.Player.Name},
		goneOf(t, black, offer2.ID))

	// A declined rematch is told to the one who offered it.
	e.watch(white, third.Game, 0)
	require.Empty(t, e.act(white, "resign", map[string]any{"game": third.Game}))
	require.Empty(t, e.act(white, "rematch", map[string]any{"game": third.Game}))
	offer3 := decode[protocol.ChallengePayload](t, waitEvent(t, black, "challenge"))
	require.Empty(t, e.act(black, "declineChallenge", map[string]any{"id": offer3.ID}))
	assert.Equal(t, protocol.GoneDeclined, goneOf(t, white, offer3.ID).Reason)
}
