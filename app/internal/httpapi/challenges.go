package httpapi

import (
	"net/http"

	"chessplatform/app/internal/protocol"
)

// challenge answers GET /api/challenges/{id}: an open challenge (a link) or a direct one, as
// long as it waits for an answer; 404 once it expired or was answered. The id is the secret a
// link carries, so no session is needed to read it (accepting needs one).
func (a *API) challenge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !protocol.ValidChallengeID(id) {
		a.fail(w, r, errorf(http.StatusNotFound, "not_found", "no challenge %q", id))
		return
	}
	c, err := a.srv.Challenge(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
