package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"unicode/utf8"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
)

// Every string that comes from a request is checked here before it reaches a store: the
// stores differ on what they accept (PostgreSQL refuses NUL and invalid UTF-8, the memory store
// takes anything), and the answer must not depend on the store.

// querySpeed reads the optional "speed" query parameter (default blitz).
func querySpeed(q url.Values) (rating.Speed, error) {
	speed := rating.Speed(q.Get("speed"))
	if speed == "" {
		return rating.Blitz, nil
	}
	if !slices.Contains(speeds, speed) {
		return "", errorf(http.StatusBadRequest, "bad_request", "speed must be bullet, blitz, rapid or classical")
	}
	return speed, nil
}

// queryLimit reads the optional "limit" query parameter: def when absent, else 1..max.
func queryLimit(q url.Values, def, max int) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, errorf(http.StatusBadRequest, "bad_request", "limit must be 1-%d", max)
	}
	return n, nil
}

// gameID returns the {id} path value, or answers 404 when it is not a game id.
func (a *API) gameID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !protocol.ValidGameID(id) {
		a.fail(w, r, errorf(http.StatusNotFound, "not_found", "no game %q", id))
		return "", false
	}
	return id, true
}

// playerName returns the {name} path value, or answers 404 when no player can have that name:
// every name, a registered one or a guest's "guest-xxxxxxxx", is 3-20 of A-Z a-z 0-9 _ -.
// A NUL byte, invalid UTF-8 or an over-long value is one of those cases, so the store never
// sees it.
func (a *API) playerName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if !protocol.ValidUsername(name) {
		a.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such player"))
		return "", false
	}
	return name, true
}

// validPassword reports whether pw can be a password: minPassword..maxPassword bytes of
// valid UTF-8 without control characters (a NUL or a newline in a password is a client bug
// or an attack, never a choice the user made).
func validPassword(pw string) bool {
	if len(pw) < minPassword || len(pw) > maxPassword || !utf8.ValidString(pw) {
		return false
	}
	for _, r := range pw {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
