package memstore

import (
	"context"
	"sort"

	"chessplatform/app/internal/store"
)

// PutChallenge implements store.Live.
func (l *Live) PutChallenge(_ context.Context, c store.Challenge) error {
	l.mu.Lock()
	l.challenges[c.ID] = c
	l.mu.Unlock()
	return nil
}

// GetChallenge implements store.Live.
func (l *Live) GetChallenge(_ context.Context, id string) (store.Challenge, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.challenges[id]
	if !ok || c.Expires <= l.now() {
		return store.Challenge{}, store.ErrNotFound
	}
	return c, nil
}

// TakeChallenge implements store.Live.
func (l *Live) TakeChallenge(_ context.Context, id, playerID string, action store.ChallengeAction) (store.Challenge, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.challenges[id]
	if !ok || c.Expires <= l.now() {
		return store.Challenge{}, store.ErrNotFound // an expired one stays for ExpireChallenges
	}
	if !store.MayTake(c, playerID, action) {
		return store.Challenge{}, store.ErrNotYours
	}
	delete(l.challenges, id)
	return c, nil
}

// ExpireChallenges implements store.Live.
func (l *Live) ExpireChallenges(_ context.Context, now int64) ([]store.Challenge, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []store.Challenge
	for id, c := range l.challenges {
		if c.Expires <= now {
			out = append(out, c)
			delete(l.challenges, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Expires < out[j].Expires })
	return out, nil
}
