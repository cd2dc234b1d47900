package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
)

// A backend task accepts tokens signed with the announced next key (TOKEN_KEY_NEXT, the
// session-key secret's "next"): tasks started after a rotation sign with it while this one
// still runs. It never signs with it.
func TestTokenKeyNextIsAcceptedNotUsed(t *testing.T) {
	const next = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	cfg, err := parseConfig(nil, env(map[string]string{"TOKEN_KEY": goodKey, "TOKEN_KEY_NEXT": next}))
	require.NoError(t, err)
	mine, err := authn.NewSigner(cfg.tokenKey, cfg.tokenKeysOld...)
	require.NoError(t, err)
	nk, err := authn.ParseKey(next)
	require.NoError(t, err)
	later, err := authn.NewSigner(nk)
	require.NoError(t, err)
	tok, err := later.Sign(authn.Claims{PlayerID: "p", Name: "n", ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	_, err = mine.Verify(tok, time.Now())
	assert.NoError(t, err, "a token of a task started after the rotation")
	own, err := mine.Sign(authn.Claims{PlayerID: "p", Name: "n", ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	ck, err := authn.ParseKey(goodKey)
	require.NoError(t, err)
	onlyCurrent, err := authn.NewSigner(ck)
	require.NoError(t, err)
	_, err = onlyCurrent.Verify(own, time.Now())
	assert.NoError(t, err, "signed with TOKEN_KEY")

	_, err = parseConfig(nil, env(map[string]string{"TOKEN_KEY": goodKey, "TOKEN_KEY_NEXT": "zz"}))
	require.ErrorContains(t, err, "TOKEN_KEY_NEXT")
}
