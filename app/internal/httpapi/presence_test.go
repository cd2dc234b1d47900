package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/httpapi"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/store/pgstore"
)

type nopConn struct{}

func (nopConn) Send([]byte) bool { return true }
func (nopConn) Close(string)     {}

type runningList struct {
	Games []struct {
		ID    string `json:"id"`
		White struct {
			Name string `json:"name"`
		} `json:"white"`
		Black struct {
			Name string `json:"name"`
		} `json:"black"`
		TC     string `json:"tc"`
		Status string `json:"status"`
		Turn   string `json:"turn"`
		Plies  int    `json:"plies"`
	} `json:"games"`
}

func getList(t *testing.T, h http.Handler, target string) runningList {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var l runningList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &l))
	return l
}

// TestRunningGamesAPIs: a player's running games (status=started, from the live store, with
// whose turn it is) and the latest running games of everyone, on PostgreSQL and in memory.
func TestRunningGamesAPIs(t *testing.T) {
	ctx := context.Background()
	pgs, err := pgstore.Open(ctx, pgstore.Config{URL: freshDB(t), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(pgs.Close)
	for mode, durable := range map[string]store.Durable{"memory": memstore.NewDurable(), "postgres": pgs} {
		t.Run(mode, func(t *testing.T) {
			log := slog.New(slog.NewJSONHandler(io.Discard, nil))
			srv, err := server.New(ctx, durable, memstore.NewLive(func() int64 { return time.Now().UnixMilli() }), log, server.Config{})
			require.NoError(t, err)
			t.Cleanup(func() {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx, "test over")
			})
			signer, err := authn.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
			require.NoError(t, err)
			mux := http.NewServeMux()
			httpapi.New(srv, signer, log, httpapi.Options{AuthPerMinute: 1_000_000}).Register(mux)

			ids := map[string]string{}
			for _, n := range []string{"alice", "bobby", "carol"} {
				ids[n] = server.NewPlayerID()
				require.NoError(t, durable.CreatePlayer(ctx, store.Player{ID: ids[n], Name: n, CreatedAt: time.Now().UTC()}))
			}
			tc, _ := protocol.ParseTimeControl("3+2")
			start := func(w, b string) string {
				st, err := srv.StartGame(ctx, ids[w], ids[b], tc, false, "")
				require.NoError(t, err)
				time.Sleep(3 * time.Millisecond) // distinct creation times
				return st.ID
			}
			g1, g2, g3 := start("alice", "bobby"), start("carol", "alice"), start("bobby", "carol")

			// Bobby moves in g3; carol resigns g3 later.
			bobby, err := srv.Open(ctx, authn.Claims{PlayerID: ids["bobby"], Name: "bobby", ExpiresAt: time.Now().Add(time.Hour)}, nopConn{}, server.Client{})
			require.NoError(t, err)
			srv.Handle(ctx, bobby, []byte(`{"t":"move","d":{"game":"`+g3+`","u":"e2e4","ply":1}}`))

			mine := getList(t, mux, "/api/players/alice/games?status=started")
			require.Len(t, mine.Games, 2)
			byID := map[string]string{}
			for _, g := range mine.Games {
				byID[g.ID] = g.White.Name + "-" + g.Black.Name + " " + g.TC + " " + g.Turn + " " + g.Status
			}
			assert.Equal(t, map[string]string{g1: "alice-bobby 3+2 white started", g2: "carol-alice 3+2 white started"}, byID)
			bob := getList(t, mux, "/api/players/bobby/games?status=started")
			require.Len(t, bob.Games, 2)

			live := getList(t, mux, "/api/games/live")
			var order []string
			for _, g := range live.Games {
				order = append(order, g.ID)
			}
			assert.Equal(t, []string{g3, g2, g1}, order, "newest first")

			carol, err := srv.Open(ctx, authn.Claims{PlayerID: ids["carol"], Name: "carol", ExpiresAt: time.Now().Add(time.Hour)}, nopConn{}, server.Client{})
			require.NoError(t, err)
			srv.Handle(ctx, carol, []byte(`{"t":"resign","d":{"game":"`+g3+`"}}`))
			require.Len(t, getList(t, mux, "/api/players/bobby/games?status=started").Games, 1, "an ended game leaves the list")
			require.Len(t, getList(t, mux, "/api/games/live?limit=20").Games, 2)
			require.Len(t, getList(t, mux, "/api/games/live?limit=1").Games, 1)

			for target, want := range map[string]answer{
				"/api/games/live?limit=0":                  {400, "bad_request"},
				"/api/games/live?limit=21":                 {400, "bad_request"},
				"/api/players/alice/games?status=ended":    {400, "bad_request"},
				"/api/players/nobody/games?status=started": {404, "not_found"},
				"/api/players/a/games?status=started":      {404, "not_found"},
			} {
				assert.Equal(t, want, call(mux, http.MethodGet, target, nil), target)
			}
		})
	}
}
