package integration

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/protocol"
)

// challengeMsg waits on cl's current connection for a message of type typ about challenge id
// ("" matches any id but those in except; messages are not consumed) and decodes its payload
// into out.
func challengeMsg(t *testing.T, cl *client, typ, id string, out any, except ...string) {
	t.Helper()
	m, err := cl.current().wait(ctxT(t, 15*time.Second), func(m wsclient.Msg) bool {
		var d struct {
			ID string `json:"id"`
		}
		return m.T == typ && json.Unmarshal(m.D, &d) == nil && (d.ID == id || id == "" && !slices.Contains(except, d.ID))
	})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(m.D, out))
}

// refused sends an ackable message and returns its error code ("" when acked).
func refused(t *testing.T, cl *client, typ string, d any) string {
	t.Helper()
	r, err := cl.actOn(ctxT(t, 10*time.Second), cl.current(), typ, d)
	require.NoError(t, err)
	return r.Code
}

// TestChallengesAcrossInstances: three real instances on one Redis and one PostgreSQL; the
// challenger, the challenged (with a second tab on a third instance) and a stranger on
// different instances. A decline and a cancel reach the other side and the other tab, someone
// else's challenge is refused and left alone, and an open challenge is accepted from another
// instance.
func TestChallengesAcrossInstances(t *testing.T) {
	c := newCluster(t)
	insts := c.startAll("a", "b", "c")
	alice, bob, carol := c.guest("alice", insts[0]), c.guest("bob", insts[1]), c.guest("carol", insts[2])
	bobTab := c.tab(bob, "bob-tab", insts[2])

	alice.act("challenge", map[string]any{"to": bob.sess.Player.Name, "tc": "5+0"})
	var sent, got protocol.ChallengePayload
	challengeMsg(t, alice, "challengeSent", "", &sent)
	challengeMsg(t, bob, "challenge", sent.ID, &got)
	assert.Equal(t, sent, got)
	assert.Equal(t, "not_found", refused(t, carol, "declineChallenge", map[string]any{"id": sent.ID}))
	assert.Equal(t, "not_found", refused(t, carol, "cancelChallenge", map[string]any{"id": sent.ID}))
	bob.act("declineChallenge", map[string]any{"id": sent.ID})
	for _, cl := range []*client{alice, bob, bobTab} {
		var g protocol.ChallengeGonePayload
		challengeMsg(t, cl, "challengeGone", sent.ID, &g)
		assert.Equal(t, protocol.GoneDeclined, g.Reason, cl.name)
	}

	alice.act("challenge", map[string]any{"to": bob.sess.Player.Name, "tc": "3+2"})
	var second protocol.ChallengePayload
	challengeMsg(t, bob, "challenge", "", &second, sent.ID)
	require.NotEqual(t, sent.ID, second.ID)
	alice.act("cancelChallenge", map[string]any{"id": second.ID})
	for _, cl := range []*client{bob, bobTab} {
		var g protocol.ChallengeGonePayload
		challengeMsg(t, cl, "challengeGone", second.ID, &g)
		assert.Equal(t, protocol.GoneCancelled, g.Reason, cl.name)
	}
	assert.Equal(t, "not_found", refused(t, bob, "acceptChallenge", map[string]any{"id": second.ID}))

	alice.act("challenge", map[string]any{"tc": "5+3", "color": "black"})
	var open protocol.ChallengePayload
	challengeMsg(t, alice, "challengeSent", "", &open, sent.ID, second.ID)
	assert.Empty(t, open.To)
	carol.act("acceptChallenge", map[string]any{"id": open.ID})
	gs := carol.waitGameStart(15 * time.Second)
	assert.Equal(t, carol.sess.Player.Name, gs.White.Name)
	assert.Equal(t, alice.sess.Player.Name, gs.Black.Name)
	var g protocol.ChallengeGonePayload
	challengeMsg(t, alice, "challengeGone", open.ID, &g)
	assert.Equal(t, protocol.ChallengeGonePayload{ID: open.ID, Reason: protocol.GoneAccepted, Game: gs.Game, By: carol.sess.Player.Name}, g)
	assert.Equal(t, gs.Game, alice.waitGameStart(15*time.Second).Game)
}
