package memstore

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"chessplatform/app/internal/store"
)

// presence holds Live's PresenceLive data; gone and spectators are guarded by Live.mu.
type presence struct {
	gone       map[string]int64 // player id -> Unix ms the player was found gone
	spectators map[string]int   // game id -> connections watching it without playing
	pubMu      sync.Mutex       // orders PublishSpectators' count and publish
}

// GoneSince implements store.Live.
func (l *Live) GoneSince(_ context.Context, playerID string, now int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[playerID] > 0 {
		delete(l.pres.gone, playerID)
		return 0, nil
	}
	if since, ok := l.pres.gone[playerID]; ok {
		return since, nil
	}
	if l.pres.gone == nil {
		l.pres.gone = map[string]int64{}
	}
	l.pres.gone[playerID] = now
	return now, nil
}

// Spectate implements store.Live.
func (l *Live) Spectate(_ context.Context, gameID string, delta int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pres.spectators == nil {
		l.pres.spectators = map[string]int{}
	}
	n := max(l.pres.spectators[gameID]+delta, 0)
	if n == 0 {
		delete(l.pres.spectators, gameID)
	} else {
		l.pres.spectators[gameID] = n
	}
	return nil
}

// PublishSpectators implements store.Live.
func (l *Live) PublishSpectators(_ context.Context, gameID string, prefix, suffix []byte) (int, error) {
	l.pres.pubMu.Lock()
	defer l.pres.pubMu.Unlock()
	l.mu.Lock()
	n := l.pres.spectators[gameID]
	l.mu.Unlock()
	frame := slices.Concat(prefix, []byte(strconv.Itoa(n)), suffix)
	l.broker.publish(store.GameTopic(gameID), frame)
	return n, nil
}
