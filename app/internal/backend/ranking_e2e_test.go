package backend_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/devtools/wsclient"
	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
)

type profileJSON struct {
	Ratings map[string]struct {
		Rating      int  `json:"rating"`
		Provisional bool `json:"provisional"`
		Rank        *int `json:"rank"`
	} `json:"ratings"`
}

type leaderboardJSON struct {
	Players []struct {
		Rank   int    `json:"rank"`
		Name   string `json:"name"`
		Rating int    `json:"rating"`
	} `json:"players"`
}

// seedRated registers a player with a password and a rating in one speed, in the memory
// Durable before the backend starts (its rankings are then rebuilt from it).
func seedRated(t *testing.T, d store.Durable, name string, speed rating.Speed, r rating.Rating) store.Player {
	t.Helper()
	ctx := context.Background()
	hash, err := authn.HashPassword("correct horse battery")
	require.NoError(t, err)
	p := store.Player{ID: "p_" + name, Name: name, PasswordHash: hash, CreatedAt: time.Now().UTC()}
	require.NoError(t, d.CreatePlayer(ctx, p))
	host := store.Player{ID: "p_host_" + name, Name: "host_" + name, CreatedAt: time.Now().UTC()}
	require.NoError(t, d.CreatePlayer(ctx, host))
	st := game.New("g_seed_"+name, game.PlayerRef{ID: p.ID, Name: p.Name}, game.PlayerRef{ID: host.ID, Name: host.Name},
		protocol.TimeControl{Minutes: 3}, true, time.Now().UnixMilli())
	st.Speed = speed
	require.NoError(t, d.CreateGame(ctx, st))
	out, err := st.Abort(0, 0, st.CreatedAt)
	require.NoError(t, err)
	st.Seal(&out)
	require.NoError(t, d.CommitGame(ctx, store.Commit{PrevV: 0, State: st,
		Ratings: []store.RatingWrite{{PlayerID: p.ID, Speed: speed, New: r}}}))
	return p
}

// TestRanksInMemoryMode: in single-instance mode the leaderboard and the profile's ranks come
// from the in-memory Live, rebuilt from the in-memory Durable at start and kept in step by a
// rated game's end: the answers equal what the Durable computes, before and after the game.
func TestRanksInMemoryMode(t *testing.T) {
	durable := memstore.NewDurable()
	var live *memstore.Live
	est := func(r float64) rating.Rating { return rating.Rating{R: r, RD: 60, Vol: 0.06, Games: 40} }
	ann := seedRated(t, durable, "rk_ann", rating.Blitz, est(1801))
	bob := seedRated(t, durable, "rk_bob", rating.Blitz, est(1799))
	seedRated(t, durable, "rk_cat", rating.Blitz, est(1800))
	seedRated(t, durable, "rk_new", rating.Blitz, rating.Rating{R: 2400, RD: 200, Vol: 0.06, Games: 3})
	e := newEnv(t, func(o *backend.Options) {
		o.Durable = durable
		live = o.Live.(*memstore.Live)
	})
	ctx := ctxT(t)

	// The Live's own answers, once its rebuild at start is done (the API would answer from the
	// Durable meanwhile).
	require.Eventually(t, func() bool {
		_, err := live.Leaderboard(ctx, rating.Blitz, 10)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "the memory rankings were never built")

	check := func(stage string) {
		t.Helper()
		want, err := durable.Leaderboard(ctx, rating.Blitz, 50)
		require.NoError(t, err)
		got, err := live.Leaderboard(ctx, rating.Blitz, 50)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s: the memory Live's leaderboard", stage)
		var lb leaderboardJSON
		require.NoError(t, wsclient.GetJSON(ctx, e.hc, e.url+"/api/leaderboard?speed=blitz", http.StatusOK, &lb))
		require.Len(t, lb.Players, len(want), stage)
		for i, w := range want {
			assert.Equal(t, fmt.Sprint(i+1, w.Name, w.Rating.Int()), fmt.Sprint(lb.Players[i].Rank, lb.Players[i].Name, lb.Players[i].Rating), stage)
		}
		for _, name := range []string{"rk_ann", "rk_bob", "rk_cat", "rk_new"} {
			ranks, err := durable.Ranks(ctx, name)
			require.NoError(t, err)
			var prof profileJSON
			require.NoError(t, wsclient.GetJSON(ctx, e.hc, e.url+"/api/players/"+name, http.StatusOK, &prof))
			for _, sp := range store.RankSpeeds {
				r := prof.Ratings[string(sp)]
				if want, ok := ranks[sp]; ok {
					if assert.NotNil(t, r.Rank, "%s: %s %s", stage, name, sp) {
						assert.Equal(t, want, *r.Rank, "%s: %s %s", stage, name, sp)
					}
				} else {
					assert.Nil(t, r.Rank, "%s: %s %s is not ranked", stage, name, sp)
				}
			}
		}
	}
	check("at start")
	var prof profileJSON
	require.NoError(t, wsclient.GetJSON(ctx, e.hc, e.url+"/api/players/rk_cat", http.StatusOK, &prof))
	require.NotNil(t, prof.Ratings["blitz"].Rank)
	assert.Equal(t, 2, *prof.Ratings["blitz"].Rank)
	require.NoError(t, wsclient.GetJSON(ctx, e.hc, e.url+"/api/players/rk_new", http.StatusOK, &prof))
	assert.True(t, prof.Ratings["blitz"].Provisional)
	assert.Nil(t, prof.Ratings["blitz"].Rank, "provisional: no rank")

	// A rated blitz game between ann and bob: the winner (Black, by fool's mate) moves.
	login := func(p store.Player) *player {
		var s wsclient.Session
		require.NoError(t, wsclient.PostJSON(ctx, e.hc, e.url+"/api/sessions",
			map[string]any{"username": p.Name, "password": "correct horse battery"}, http.StatusCreated, &s))
		return e.connect(s)
	}
	w, b, g := e.pair(login(ann), login(bob), "3+0", true)
	e.play(w, b, g, 1, "f2f3", "e7e5", "g2g4", "d8h4")
	waitEvent(t, w, "end")
	check("after a rated game")
}
