package protocol

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeChallengeMessages covers the two-way challenge messages: open challenges (no
// "to"), cancelChallenge, declineChallenge and rematch, and their bad input.
func TestDecodeChallengeMessages(t *testing.T) {
	for _, tt := range []struct {
		frame string
		want  ClientMessage
	}{
		{`{"t":"challenge","d":{"tc":"3+2"},"a":4}`, ClientMessage{Type: TChallenge, Ack: 4, TC: TimeControl{3, 2}, Color: ColorRandom}},
		{`{"t":"challenge","d":{"to":null,"tc":"5+0","color":"white","rated":true}}`,
			ClientMessage{Type: TChallenge, TC: TimeControl{5, 0}, Color: ColorWhite, Rated: true}},
		{`{"t":"cancelChallenge","d":{"id":"c_abcd1234"},"a":2}`, ClientMessage{Type: TCancelChallenge, Ack: 2, ChallengeID: "c_abcd1234"}},
		{`{"t":"declineChallenge","d":{"id":"c_abcd1234"}}`, ClientMessage{Type: TDeclineChallenge, ChallengeID: "c_abcd1234"}},
		{`{"t":"rematch","d":{"game":"g_abcd1234"},"a":9}`, ClientMessage{Type: TRematch, Ack: 9, Game: "g_abcd1234"}},
	} {
		got, perr := Decode([]byte(tt.frame))
		require.Nil(t, perr, tt.frame)
		assert.Equal(t, tt.want, got, tt.frame)
	}
	for _, frame := range []string{
		`{"t":"challenge","d":{"to":"","tc":"5+0"},"a":3}`,
		`{"t":"challenge","d":{"to":5,"tc":"5+0"},"a":3}`,
		`{"t":"challenge","d":{"tc":"5+0","color":"green"},"a":3}`,
		`{"t":"challenge","d":{},"a":3}`,
		`{"t":"cancelChallenge","a":3}`,
		`{"t":"cancelChallenge","d":{},"a":3}`,
		`{"t":"cancelChallenge","d":{"id":"g_abcd1234"},"a":3}`,
		`{"t":"cancelChallenge","d":{"id":"c_ab"},"a":3}`,
		`{"t":"cancelChallenge","d":{"id":7},"a":3}`,
		`{"t":"declineChallenge","d":{"id":null},"a":3}`,
		`{"t":"rematch","d":{"game":"c_abcd1234"},"a":3}`,
		`{"t":"rematch","d":{},"a":3}`,
		`{"t":"rematch","d":"g_abcd1234","a":3}`,
	} {
		got, perr := Decode([]byte(frame))
		require.NotNil(t, perr, frame)
		assert.Equal(t, CodeBadRequest, perr.Code, frame)
		assert.NotEmpty(t, perr.Msg, frame)
		assert.Equal(t, int64(3), got.Ack, frame)
	}
}

// TestChallengeServerPayloads pins the wire shape of challengeSent/challenge and challengeGone.
func TestChallengeServerPayloads(t *testing.T) {
	b := MustEncode(TChallengeSent, 0, ChallengePayload{ID: "c_abcd1234", From: "alice", TC: "3+2", Color: ColorWhite, ExpiresAt: 1700000000000})
	assert.JSONEq(t, `{"t":"challengeSent","d":{"id":"c_abcd1234","from":"alice","tc":"3+2","color":"white","rated":false,"expiresAt":1700000000000}}`, string(b))
	b = MustEncode(TChallenge, 0, ChallengePayload{ID: "c_abcd1234", From: "alice", To: "bob", TC: "3+2", Color: ColorRandom, Rated: true, ExpiresAt: 5, Rematch: "g_abcd1234"})
	assert.JSONEq(t, `{"t":"challenge","d":{"id":"c_abcd1234","from":"alice","to":"bob","tc":"3+2","color":"random","rated":true,"expiresAt":5,"rematch":"g_abcd1234"}}`, string(b))
	b = MustEncode(TChallengeGone, 0, ChallengeGonePayload{ID: "c_abcd1234", Reason: GoneAccepted, Game: "g_abcd1234", By: "bob"})
	assert.JSONEq(t, `{"t":"challengeGone","d":{"id":"c_abcd1234","reason":"accepted","game":"g_abcd1234","by":"bob"}}`, string(b))
	b = MustEncode(TChallengeGone, 0, ChallengeGonePayload{ID: "c_abcd1234", Reason: GoneDeclined})
	assert.JSONEq(t, `{"t":"challengeGone","d":{"id":"c_abcd1234","reason":"declined"}}`, string(b))
}
