package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
)

func cachedGame(t *testing.T, id string) *game.State {
	t.Helper()
	tc, err := protocol.ParseTimeControl("5+0")
	require.NoError(t, err)
	return game.New(id, game.PlayerRef{ID: "p_w"}, game.PlayerRef{ID: "p_b"}, tc, false, 1000)
}

func TestMemCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newMemCache(4)
	_, ok := c.get("g_a1b2c3", now)
	assert.False(t, ok, "empty cache")

	st := cachedGame(t, "g_a1b2c3")
	out, err := st.Move(0, "e2e4", 1, 0, 2000)
	require.NoError(t, err)
	st.Seal(&out)
	c.put(st, now)
	got, ok := c.get(st.ID, now)
	require.True(t, ok)
	assert.Equal(t, int64(1), got.V)
	got.Moves[0] = "d2d4" // callers get copies
	again, _ := c.get(st.ID, now)
	assert.Equal(t, "e2e4", again.Moves[0])

	// A newer version heard on the game's topic makes the copy unusable until a newer put.
	c.observe(st.ID, 2)
	_, ok = c.get(st.ID, now)
	assert.False(t, ok)
	newer := st.Clone()
	out, err = newer.Move(1, "e7e5", 2, 0, 3000)
	require.NoError(t, err)
	newer.Seal(&out)
	c.put(newer, now)
	got, ok = c.get(st.ID, now)
	require.True(t, ok)
	assert.Equal(t, int64(2), got.V)
	c.put(st, now) // an older put does not replace a newer state
	got, _ = c.get(st.ID, now)
	assert.Equal(t, int64(2), got.V)

	// Ended games leave; drop forgets; idle games are swept; a full cache evicts the oldest.
	ended := newer.Clone()
	out, err = ended.Resign(0, 0, 4000)
	require.NoError(t, err)
	ended.Seal(&out)
	c.put(ended, now)
	_, ok = c.get(st.ID, now)
	assert.False(t, ok)

	for i, id := range []string{"g_one111", "g_two222", "g_three33", "g_four444"} {
		c.put(cachedGame(t, id), now.Add(time.Duration(i)*time.Second))
	}
	c.put(cachedGame(t, "g_five555"), now.Add(10*time.Second))
	_, ok = c.get("g_one111", now)
	assert.False(t, ok, "the least recently used game was evicted")
	_, ok = c.get("g_five555", now)
	assert.True(t, ok)
	c.drop("g_five555")
	_, ok = c.get("g_five555", now)
	assert.False(t, ok)
	c.sweep(now.Add(20*time.Minute), 10*time.Minute)
	assert.Empty(t, c.games)
}
