package game

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rules"
)

// endPayload decodes the one `end` event of a sealed outcome.
func endPayload(t *testing.T, ev []Event) map[string]any {
	t.Helper()
	require.Len(t, ev, 1)
	var f struct {
		T string         `json:"t"`
		D map[string]any `json:"d"`
	}
	require.NoError(t, json.Unmarshal(ev[0].Frame, &f))
	require.Equal(t, protocol.TEnd, f.T)
	return f.D
}

func TestSnapshotFirstMoveBy(t *testing.T) {
	st := newTestGame(t, "5+0") // created at 1_000_000
	assert.Equal(t, int64(1_000_000+AbortWindowMs), st.Snapshot(1_000_500).FirstMoveBy, "white's deadline")

	out, err := st.Move(rules.White, "e2e4", 1, 0, 1_004_000)
	require.NoError(t, err)
	st.Seal(&out)
	assert.Equal(t, int64(1_004_000+AbortWindowMs), st.Snapshot(1_004_100).FirstMoveBy, "black's deadline starts at white's move")

	out, err = st.Move(rules.Black, "e7e5", 2, 0, 1_006_000)
	require.NoError(t, err)
	st.Seal(&out)
	gs := st.Snapshot(1_006_100)
	assert.Zero(t, gs.FirstMoveBy, "no deadline once both have moved")
	b, err := json.Marshal(gs)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "firstMoveBy", "absent, not 0, for older readers")
}

func TestNoFirstMoveAbortNamesTheSide(t *testing.T) {
	for _, tc := range []struct {
		name  string
		moves []string
		want  string
	}{
		{"white never moved", nil, "white"},
		{"black never moved", []string{"e2e4"}, "black"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestGame(t, "5+0")
			now := int64(1_000_000)
			for i, u := range tc.moves {
				now += 1000
				out, err := st.Move(st.Turn(), u, i+1, 0, now)
				require.NoError(t, err)
				st.Seal(&out)
			}
			out := st.CheckTime(st.AbortAt)
			d := endPayload(t, st.Seal(&out))
			assert.Equal(t, ReasonAbort, d["reason"], "old clients keep reading reason abort")
			assert.Equal(t, tc.want, d["noMove"])
			assert.NotContains(t, d, "abortedBy")

			gs := st.Snapshot(st.EndedAt)
			assert.Equal(t, tc.want, gs.NoMove)
			assert.Empty(t, gs.AbortedBy)
			assert.Zero(t, gs.FirstMoveBy)
		})
	}
}

func TestRequestedAbortNamesWhoAsked(t *testing.T) {
	st := newTestGame(t, "5+0")
	out, err := st.Move(rules.White, "e2e4", 1, 0, 1_001_000)
	require.NoError(t, err)
	st.Seal(&out)
	out, err = st.Abort(rules.Black, 0, 1_002_000)
	require.NoError(t, err)
	d := endPayload(t, st.Seal(&out))
	assert.Equal(t, ReasonAbort, d["reason"])
	assert.Equal(t, "black", d["abortedBy"])
	assert.NotContains(t, d, "noMove")

	// The state survives the stores' JSON round trip with the detail.
	b, err := st.EncodeJSON()
	require.NoError(t, err)
	var back State
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "black", back.Snapshot(1_003_000).AbortedBy)
}

func TestOtherEndingsCarryNoAbortDetail(t *testing.T) {
	st := newTestGame(t, "5+0")
	out, err := st.Resign(rules.White, 0, 1_001_000)
	require.NoError(t, err)
	d := endPayload(t, st.Seal(&out))
	assert.NotContains(t, d, "abortedBy")
	assert.NotContains(t, d, "noMove")
}
