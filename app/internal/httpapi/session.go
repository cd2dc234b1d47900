package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/store"
)

// bearerClaims verifies the request's `Authorization: Bearer <token>` at the API's now.
func (a *API) bearerClaims(r *http.Request) (authn.Claims, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return authn.Claims{}, errorf(http.StatusUnauthorized, "unauthorized", "send the session token as Authorization: Bearer <token>")
	}
	claims, err := a.signer.Verify(strings.TrimSpace(token), a.now())
	if err != nil {
		return authn.Claims{}, errorf(http.StatusUnauthorized, "unauthorized", "missing, invalid or expired session token")
	}
	return claims, nil
}

// renewSession answers a fresh token (a full TokenTTL from now) for the player of a bearer
// token that is still valid, so a browser that stays signed in is not logged out when its
// token's TTL runs out (docs/design/backend.md, "Session renewal"). It never revives a
// session: an expired, tampered or missing token gets 401, and so does a token whose player no
// longer exists. Renewals mint tokens, so they share the per-address limit of logins.
func (a *API) renewSession(w http.ResponseWriter, r *http.Request) {
	if !a.limits.allow(a.clientIP(r), a.now()) {
		a.fail(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a minute"))
		return
	}
	claims, err := a.bearerClaims(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	// The stored player, not the token's copy, is what the new token asserts.
	p, err := a.durable.PlayerByID(r.Context(), claims.PlayerID)
	if errors.Is(err, store.ErrNotFound) {
		a.fail(w, r, errorf(http.StatusUnauthorized, "unauthorized", "the session's player no longer exists"))
		return
	}
	if err != nil {
		a.fail(w, r, fmt.Errorf("renewing the session of %s: %w", claims.PlayerID, err))
		return
	}
	expires := a.now().Add(a.opts.TokenTTL).UTC().Truncate(time.Second)
	token, err := a.signer.Sign(authn.Claims{PlayerID: p.ID, Name: p.Name, Guest: p.Guest, ExpiresAt: expires})
	if err != nil {
		a.fail(w, r, fmt.Errorf("signing the renewed session of %s: %w", p.ID, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "player": playerJSON(p), "expiresAt": expires.Format(time.RFC3339)})
}
