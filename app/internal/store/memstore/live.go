package memstore

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// Live is an in-memory store.Live for one server instance.
type Live struct {
	mu         sync.Mutex
	games      map[string]*liveGame
	seeks      map[string]store.Seek // by player id
	challenges map[string]store.Challenge
	conns      map[string]int // open connections per player (presence)
	capPlayer  map[string]int // connections counted by AcquireConn, per player
	capAddr    map[string]int // ... and per client address
	active     map[string]map[string]bool
	broker     broker
	now        func() int64
	epoch      bool
	ranks      rankings
	pres       presence // since when players are gone, spectator counts (presence.go)
}

type liveGame struct {
	v         int64
	state     []byte
	history   []game.Event
	deadline  int64
	published int64 // highest event version published
}

// NewLive returns an empty Live. now supplies Unix ms (expiry of challenges).
func NewLive(now func() int64) *Live {
	return &Live{
		games:      map[string]*liveGame{},
		seeks:      map[string]store.Seek{},
		challenges: map[string]store.Challenge{},
		conns:      map[string]int{},
		capPlayer:  map[string]int{},
		capAddr:    map[string]int{},
		active:     map[string]map[string]bool{},
		broker:     broker{subs: map[string]map[*subscription]bool{}},
		now:        now,
		ranks:      rankings{entries: map[rating.Speed]map[string]store.RankEntry{}},
	}
}

var _ store.Live = (*Live)(nil)

// GetGame implements store.Live.
func (l *Live) GetGame(_ context.Context, id string) (*game.State, error) {
	l.mu.Lock()
	g, ok := l.games[id]
	var b []byte
	if ok {
		b = g.state
	}
	l.mu.Unlock()
	if !ok {
		return nil, store.ErrNotFound
	}
	return decode(b)
}

// PutGame implements store.Live. The state is replaced only by a newer version, but events are
// published whenever they are newer than the last published one: an instance that lost a
// commit race may re-cache the winner's state (without events) before the winner's own PutGame
// arrives, and the winner's events must still go out, once and in order.
func (l *Live) PutGame(ctx context.Context, st *game.State, events []game.Event) error {
	return l.PutResult(ctx, st, events, nil)
}

// PutResult implements store.Live: PutGame and the ranking entries under one lock.
func (l *Live) PutResult(_ context.Context, st *game.State, events []game.Event, ranks []store.RankEntry) error {
	if err := store.CheckEvents(st, events); err != nil {
		return err
	}
	b, err := st.EncodeJSON()
	if err != nil {
		return fmt.Errorf("encoding game %s: %w", st.ID, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.games[st.ID]
	if !ok {
		g = &liveGame{published: -1}
		l.games[st.ID] = g
	}
	if ok && store.LeavesGap(g.published, events) {
		return fmt.Errorf("put game %s v%d: %w", st.ID, st.V, store.ErrGap)
	}
	if !ok || st.V > g.v {
		g.v, g.state, g.deadline = st.V, b, st.Deadline()
	}
	l.ranks.apply(ranks)
	topic := store.GameTopic(st.ID)
	for _, e := range events {
		if e.V <= g.published {
			continue
		}
		if n := len(g.history); n > 0 && g.history[n-1].V != e.V-1 {
			g.history = g.history[:0] // a gap: older events cannot be replayed in order
		}
		g.history = append(g.history, game.Event{V: e.V, Frame: append([]byte(nil), e.Frame...)})
		g.published = e.V
		l.broker.publish(topic, e.Frame)
	}
	if n := len(g.history); n > store.HistorySize {
		g.history = append(g.history[:0:0], g.history[n-store.HistorySize:]...)
	}
	if n := len(g.history); n > 0 && g.history[n-1].V != g.v {
		g.history = g.history[:0] // the history must end at the cached version to be replayable
	}
	return nil
}

// DropGame implements store.Live.
func (l *Live) DropGame(_ context.Context, id string) error {
	l.mu.Lock()
	delete(l.games, id)
	l.mu.Unlock()
	return nil
}

// History implements store.Live.
func (l *Live) History(_ context.Context, id string, afterV int64) ([][]byte, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.games[id]
	if !ok {
		return nil, false, nil
	}
	if afterV >= g.v {
		return nil, true, nil
	}
	var frames [][]byte
	complete := false
	for _, e := range g.history {
		if e.V == afterV+1 {
			complete = true
		}
		if e.V > afterV {
			frames = append(frames, e.Frame)
		}
	}
	if !complete {
		return nil, false, nil
	}
	return frames, true, nil
}

// DueGames implements store.Live.
func (l *Live) DueGames(_ context.Context, now, leaseMs int64, limit int) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var due []string
	for id, g := range l.games {
		if g.deadline != 0 && g.deadline <= now {
			due = append(due, id)
		}
	}
	sort.Slice(due, func(i, j int) bool { return l.games[due[i]].deadline < l.games[due[j]].deadline })
	if len(due) > limit {
		due = due[:limit]
	}
	for _, id := range due {
		l.games[id].deadline = now + leaseMs
	}
	return due, nil
}

// PublishedVersions implements store.Live.
func (l *Live) PublishedVersions(_ context.Context, ids []string) (map[string]int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int64, len(ids))
	for _, id := range ids {
		if g, ok := l.games[id]; ok {
			out[id] = max(g.published, 0)
		}
	}
	return out, nil
}

// ArmDeadline implements store.Live.
func (l *Live) ArmDeadline(_ context.Context, id string, v, at int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g, ok := l.games[id]; ok && g.v == v {
		g.deadline = at
	}
	return nil
}

// AddSeek implements store.Live.
func (l *Live) AddSeek(_ context.Context, s store.Seek) error {
	l.mu.Lock()
	l.seeks[s.PlayerID] = s
	l.mu.Unlock()
	return nil
}

// RemoveSeek implements store.Live.
func (l *Live) RemoveSeek(_ context.Context, playerID string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.seeks[playerID]
	delete(l.seeks, playerID)
	return ok, nil
}

// MatchSeeks implements store.Live: in each pool, seeks sorted by rating are paired with their
// nearest unpaired neighbour when the gap fits both windows.
func (l *Live) MatchSeeks(_ context.Context, now int64) ([][2]store.Seek, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pools := map[string][]store.Seek{}
	for _, s := range l.seeks {
		k := fmt.Sprintf("%s|%t", s.TC, s.Rated)
		pools[k] = append(pools[k], s)
	}
	var pairs [][2]store.Seek
	for _, pool := range pools {
		for _, p := range store.PairPool(pool, now) {
			delete(l.seeks, p[0].PlayerID)
			delete(l.seeks, p[1].PlayerID)
			pairs = append(pairs, p)
		}
	}
	return pairs, nil
}

// Connected implements store.Live.
func (l *Live) Connected(_ context.Context, playerID string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[playerID]++
	delete(l.pres.gone, playerID)
	return l.conns[playerID] == 1, nil
}

// Disconnected implements store.Live.
func (l *Live) Disconnected(_ context.Context, playerID string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[playerID] <= 0 {
		return false, nil
	}
	l.conns[playerID]--
	if l.conns[playerID] == 0 {
		delete(l.conns, playerID)
		return true, nil
	}
	return false, nil
}

// AcquireConn implements store.Live (one process: there are no other instances).
func (l *Live) AcquireConn(_ context.Context, playerID, addr string, limits store.ConnLimits, force bool) (store.ConnCap, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !force {
		if limits.PerPlayer > 0 && l.capPlayer[playerID] >= limits.PerPlayer {
			return store.CapPlayer, nil
		}
		if addr != "" && limits.PerAddr > 0 && l.capAddr[addr] >= limits.PerAddr {
			return store.CapAddr, nil
		}
	}
	l.capPlayer[playerID]++
	if addr != "" {
		l.capAddr[addr]++
	}
	return store.CapNone, nil
}

// ReleaseConn implements store.Live.
func (l *Live) ReleaseConn(_ context.Context, playerID, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	decrement(l.capPlayer, playerID)
	if addr != "" {
		decrement(l.capAddr, addr)
	}
	return nil
}

func decrement(m map[string]int, k string) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}

// ActiveGamesOf implements store.Live.
func (l *Live) ActiveGamesOf(_ context.Context, playerID string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for id := range l.active[playerID] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// AddActive implements store.Live.
func (l *Live) AddActive(_ context.Context, gameID string, playerIDs ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range playerIDs {
		if l.active[p] == nil {
			l.active[p] = map[string]bool{}
		}
		l.active[p][gameID] = true
	}
	return nil
}

// RemoveActive implements store.Live.
func (l *Live) RemoveActive(_ context.Context, gameID string, playerIDs ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range playerIDs {
		delete(l.active[p], gameID)
		if len(l.active[p]) == 0 {
			delete(l.active, p)
		}
	}
	return nil
}

// Publish implements store.Live.
func (l *Live) Publish(_ context.Context, topic string, payload []byte) error {
	l.broker.publish(topic, payload)
	return nil
}

// Subscribe implements store.Live.
func (l *Live) Subscribe(context.Context) (store.Subscription, error) {
	return l.broker.subscribe(), nil
}

// EnsureEpoch implements store.Live.
func (l *Live) EnsureEpoch(context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fresh := !l.epoch
	l.epoch = true
	return fresh, nil
}

// Ping implements store.Live.
func (l *Live) Ping(context.Context) error { return nil }
