package backend_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/wsclient"
)

// renew posts to /api/session/renew with the given Authorization header ("" for none) and
// returns the status, the answer as a session (on 200) and the error code (otherwise).
func renew(t *testing.T, e *env, auth string) (int, wsclient.Session, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, e.url+"/api/session/renew", nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := e.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var s wsclient.Session
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &s), "%s", body)
		return resp.StatusCode, s, ""
	}
	var fail struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(body, &fail), "%s", body)
	return resp.StatusCode, s, fail.Error.Code
}

func sessionStatus(t *testing.T, e *env, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.url+"/api/session", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestRenewSessionKeepsThePlayer(t *testing.T) {
	e := newEnv(t)
	guest, err := wsclient.Guest(ctxT(t), e.hc, e.url)
	require.NoError(t, err)
	account, err := wsclient.Register(ctxT(t), e.hc, e.url, "renewer", "correct horse battery")
	require.NoError(t, err)

	for _, old := range []wsclient.Session{guest, account} {
		t.Run(old.Player.Name, func(t *testing.T) {
			// A game started under the old token.
			w, b, g := e.pair(e.connect(old), e.guest(), "5+0", false)
			mine, opponent := 1, b
			if b.sess.Player.ID == old.Player.ID {
				mine, opponent = 2, w
			}
			// Tokens carry whole seconds: a renewal within the second of issue could repeat it.
			time.Sleep(time.Until(mustTime(t, old.ExpiresAt).Add(-24*time.Hour + 1100*time.Millisecond)))

			status, fresh, code := renew(t, e, "Bearer "+old.Token)
			require.Equal(t, http.StatusOK, status, code)
			assert.NotEqual(t, old.Token, fresh.Token)
			assert.Equal(t, old.Player, fresh.Player, "the renewed token names the same player")
			assert.True(t, mustTime(t, fresh.ExpiresAt).After(mustTime(t, old.ExpiresAt)), "%s after %s", fresh.ExpiresAt, old.ExpiresAt)
			assert.WithinDuration(t, time.Now().Add(24*time.Hour), mustTime(t, fresh.ExpiresAt), 5*time.Second)
			assert.Equal(t, http.StatusOK, sessionStatus(t, e, fresh.Token))

			// The renewed token plays the old token's game: the server takes it for the same player.
			renewed := e.connect(fresh)
			e.watch(renewed, g, 0)
			if mine == 2 {
				e.play(opponent, nil, g, 1, "e2e4")
			}
			assert.Empty(t, e.act(renewed, "move", map[string]any{"game": g, "u": map[int]string{1: "d2d4", 2: "d7d5"}[mine], "ply": mine}))
			// Renewal revokes nothing: the old token stays valid until it expires (the client
			// forgets it; docs/design/backend.md, "Session renewal").
			assert.Equal(t, http.StatusOK, sessionStatus(t, e, old.Token))
		})
	}
}

func TestRenewSessionRefusesWhatIsNotAValidSession(t *testing.T) {
	e := newEnv(t)
	s, err := wsclient.Guest(ctxT(t), e.hc, e.url)
	require.NoError(t, err)
	other, err := authn.NewSigner([]byte("another key of at least 32 bytes!!"))
	require.NoError(t, err)
	foreign, err := other.Sign(authn.Claims{PlayerID: s.Player.ID, Name: s.Player.Name, Guest: true, ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	// Signed with the backend's own key, for a player that was never created.
	same, err := authn.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	ghost, err := same.Sign(authn.Claims{PlayerID: "no-such-player", Name: "guest-ghost", Guest: true, ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	for name, auth := range map[string]string{
		"no header":         "",
		"no Bearer prefix":  s.Token,
		"garbage":           "Bearer not-a-token",
		"tampered":          "Bearer " + s.Token[:len(s.Token)-2] + "AA",
		"another key":       "Bearer " + foreign,
		"player not stored": "Bearer " + ghost,
	} {
		t.Run(name, func(t *testing.T) {
			status, _, code := renew(t, e, auth)
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Equal(t, "unauthorized", code)
		})
	}

	req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.url+"/api/session/renew", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := e.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "renewal is a POST")
}

func TestRenewSessionRefusesAnExpiredToken(t *testing.T) {
	e := newEnv(t, func(o *backendOptions) { o.TokenTTL = time.Second })
	s, err := wsclient.Guest(ctxT(t), e.hc, e.url)
	require.NoError(t, err)
	expires := mustTime(t, s.ExpiresAt)
	time.Sleep(time.Until(expires) + 50*time.Millisecond)
	status, _, code := renew(t, e, "Bearer "+s.Token)
	assert.Equal(t, http.StatusUnauthorized, status, "an expired session is never revived")
	assert.Equal(t, "unauthorized", code)
}

func TestRenewSessionSharesTheLoginRateLimit(t *testing.T) {
	e := newEnv(t, func(o *backendOptions) { o.API.AuthPerMinute = 2 })
	s, err := wsclient.Guest(ctxT(t), e.hc, e.url) // one of the two
	require.NoError(t, err)
	status, _, _ := renew(t, e, "Bearer "+s.Token)
	require.Equal(t, http.StatusOK, status)
	status, _, code := renew(t, e, "Bearer "+s.Token)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "rate_limited", code)
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return at
}
