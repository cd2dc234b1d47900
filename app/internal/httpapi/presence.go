package httpapi

import (
	"errors"
	"net/http"
	"time"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// Running games for the lobby (docs/design/backend.md, "Presence"): a player's own running
// games (GET /api/players/{name}/games?status=started) and the latest running games of
// everyone (GET /api/games/live).

// maxLiveGames bounds GET /api/games/live's limit.
const maxLiveGames = 20

// runningJSON is one running game as the lobby lists it.
type runningJSON struct {
	ID        string              `json:"id"`
	White     protocol.PlayerInfo `json:"white"`
	Black     protocol.PlayerInfo `json:"black"`
	TC        string              `json:"tc"`
	Rated     bool                `json:"rated"`
	Status    string              `json:"status"`
	Turn      string              `json:"turn,omitempty"`
	Plies     int                 `json:"plies"`
	CreatedAt string              `json:"createdAt,omitempty"`
}

// runningGames answers GET /api/players/{name}/games?status=started: every running game of
// the player, from the live store's set of the player's active games (what the server keeps for
// presence, rebuilt from PostgreSQL when Redis loses it), each with whose turn it is. A game
// that ended meanwhile is left out.
func (a *API) runningGames(w http.ResponseWriter, r *http.Request) {
	name, ok := a.playerName(w, r)
	if !ok {
		return
	}
	p, err := a.durable.PlayerByName(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ids, err := a.live.ActiveGamesOf(r.Context(), p.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]runningJSON, 0, len(ids))
	for _, id := range ids {
		st, err := a.srv.GameState(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if st.Status != "started" {
			continue
		}
		out = append(out, runningJSON{
			ID: st.Game, White: st.White, Black: st.Black, TC: st.TC, Rated: st.Rated,
			Status: st.Status, Turn: st.Turn, Plies: len(st.Moves),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"games": out, "next": nil})
}

// liveGames answers GET /api/games/live?limit=N (1-20, default 10): the most recently started
// running games, newest first, from one index scan in PostgreSQL.
func (a *API) liveGames(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r.URL.Query(), 10, maxLiveGames)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	games, err := a.durable.LatestGames(r.Context(), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]runningJSON, 0, len(games))
	for _, g := range games {
		out = append(out, runningJSON{
			ID: g.ID, TC: g.TC, Rated: g.Rated, Status: g.Status, Plies: g.Plies,
			White:     protocol.PlayerInfo{Name: g.White.Name, Rating: g.White.Rating, Provisional: g.White.Provisional, Guest: g.White.Guest},
			Black:     protocol.PlayerInfo{Name: g.Black.Name, Rating: g.Black.Rating, Provisional: g.Black.Provisional, Guest: g.Black.Guest},
			CreatedAt: g.CreatedAt.UTC().Format(time.RFC3339Nano),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"games": out})
}
