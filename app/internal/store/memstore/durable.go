// Package memstore implements store.Durable and store.Live in process memory, for the
// single-instance mode and for tests. Everything is lost when the process exits.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// Durable is an in-memory store.Durable. Game states are kept as JSON so that callers never
// share memory with the store, exactly as with a database.
type Durable struct {
	mu      sync.RWMutex
	players map[string]store.Player // by id
	byName  map[string]string       // lower-case name -> id
	ratings map[string]map[rating.Speed]store.PlayerRating
	history map[historyKey][]store.RatingPoint // oldest first
	games   map[string]*gameRow
	order   []string // game ids in creation order
}

type historyKey struct {
	playerID string
	speed    rating.Speed
}

type gameRow struct {
	v     int64
	state []byte
	moves []game.MoveRecord
}

// NewDurable returns an empty store.
func NewDurable() *Durable {
	return &Durable{
		players: map[string]store.Player{},
		byName:  map[string]string{},
		ratings: map[string]map[rating.Speed]store.PlayerRating{},
		history: map[historyKey][]store.RatingPoint{},
		games:   map[string]*gameRow{},
	}
}

var _ store.Durable = (*Durable)(nil)

// CreatePlayer implements store.Durable.
func (d *Durable) CreatePlayer(_ context.Context, p store.Player) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := strings.ToLower(p.Name)
	if _, ok := d.byName[key]; ok {
		return store.ErrNameTaken
	}
	if _, ok := d.players[p.ID]; ok {
		return fmt.Errorf("player id %s exists", p.ID)
	}
	d.players[p.ID] = p
	d.byName[key] = p.ID
	return nil
}

// PlayerByName implements store.Durable (names are case-insensitive).
func (d *Durable) PlayerByName(_ context.Context, name string) (store.Player, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	id, ok := d.byName[strings.ToLower(name)]
	if !ok {
		return store.Player{}, store.ErrNotFound
	}
	return d.players[id], nil
}

// PlayerByID implements store.Durable.
func (d *Durable) PlayerByID(_ context.Context, id string) (store.Player, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p, ok := d.players[id]
	if !ok {
		return store.Player{}, store.ErrNotFound
	}
	return p, nil
}

// Ratings implements store.Durable.
func (d *Durable) Ratings(_ context.Context, playerID string) (map[rating.Speed]store.PlayerRating, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := map[rating.Speed]store.PlayerRating{}
	for s, r := range d.ratings[playerID] {
		out[s] = r
	}
	return out, nil
}

// Record implements store.Durable.
func (d *Durable) Record(_ context.Context, playerID string) (store.Record, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var rec store.Record
	for _, row := range d.games {
		st, err := decode(row.state)
		if err != nil {
			return rec, err
		}
		c, ok := st.ColorOf(playerID)
		if !ok || !st.Ended() {
			continue
		}
		score, counts := st.WhiteScore()
		if !counts {
			continue
		}
		if c == 1 {
			score = 1 - score
		}
		rec.Games++
		switch score {
		case 1:
			rec.Wins++
		case 0:
			rec.Losses++
		default:
			rec.Draws++
		}
	}
	return rec, nil
}

// Leaderboard implements store.Durable.
func (d *Durable) Leaderboard(_ context.Context, speed rating.Speed, limit int) ([]store.LeaderboardEntry, error) {
	if limit < 0 {
		return nil, fmt.Errorf("leaderboard: negative limit %d", limit)
	}
	out := d.ranking(speed)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ranking lists the ranked players of a speed in order.
func (d *Durable) ranking(speed rating.Speed) []store.LeaderboardEntry {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []store.LeaderboardEntry
	for id, rs := range d.ratings {
		r, ok := rs[speed]
		p := d.players[id]
		if !ok || p.Guest || r.Rating.Provisional() {
			continue
		}
		out = append(out, store.LeaderboardEntry{Name: p.Name, Rating: r.Rating})
	}
	store.SortRanking(out)
	return out
}

// Ranks implements store.Durable.
func (d *Durable) Ranks(_ context.Context, name string) (map[rating.Speed]int, error) {
	out := map[rating.Speed]int{}
	for _, speed := range store.RankSpeeds {
		for i, e := range d.ranking(speed) {
			if e.Name == name {
				out[speed] = i + 1
				break
			}
		}
	}
	return out, nil
}

// RankedPage implements store.Durable.
func (d *Durable) RankedPage(_ context.Context, speed rating.Speed, after string, limit int) ([]store.RankEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("ranked page: limit %d must be positive", limit)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []store.RankEntry
	for id, rs := range d.ratings {
		r, ok := rs[speed]
		p := d.players[id]
		if !ok || id <= after || p.Guest || r.Rating.Provisional() {
			continue
		}
		out = append(out, store.RankEntry{PlayerID: id, Name: p.Name, Speed: speed, Rating: r.Rating, Version: r.Version})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PlayerID < out[j].PlayerID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// CreateGame implements store.Durable.
func (d *Durable) CreateGame(_ context.Context, st *game.State) error {
	b, err := st.EncodeJSON()
	if err != nil {
		return fmt.Errorf("encoding game %s: %w", st.ID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.games[st.ID]; ok {
		return fmt.Errorf("game %s exists", st.ID)
	}
	d.games[st.ID] = &gameRow{v: st.V, state: b}
	d.order = append(d.order, st.ID)
	return nil
}

// RatingHistory implements store.Durable.
func (d *Durable) RatingHistory(_ context.Context, playerID string, speed rating.Speed, limit int) ([]store.RatingPoint, error) {
	if limit < 0 {
		return nil, fmt.Errorf("rating history: negative limit %d", limit)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	points := d.history[historyKey{playerID, speed}]
	out := make([]store.RatingPoint, 0, min(limit, len(points)))
	for i := len(points) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, points[i])
	}
	return out, nil
}

// CommitGame implements store.Durable.
func (d *Durable) CommitGame(_ context.Context, c store.Commit) error {
	b, err := c.State.EncodeJSON()
	if err != nil {
		return fmt.Errorf("encoding game %s: %w", c.State.ID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	row, ok := d.games[c.State.ID]
	if !ok {
		return store.ErrNotFound
	}
	if row.v != c.PrevV {
		return store.ErrConflict
	}
	if c.Move != nil && c.Move.Ply != len(row.moves)+1 {
		return store.ErrConflict
	}
	for _, w := range c.Ratings {
		if d.ratings[w.PlayerID][w.Speed].Version != w.PrevVersion {
			return store.ErrConflict
		}
	}
	for _, w := range c.Ratings {
		if d.ratings[w.PlayerID] == nil {
			d.ratings[w.PlayerID] = map[rating.Speed]store.PlayerRating{}
		}
		d.ratings[w.PlayerID][w.Speed] = store.PlayerRating{Speed: w.Speed, Rating: w.New, Version: w.PrevVersion + 1}
		k := historyKey{w.PlayerID, w.Speed}
		d.history[k] = append(d.history[k], store.RatingPoint{GameID: c.State.ID, Rating: w.New})
	}
	row.v = c.State.V
	row.state = b
	if c.Move != nil {
		row.moves = append(row.moves, *c.Move)
	}
	return nil
}

// LoadGame implements store.Durable.
func (d *Durable) LoadGame(_ context.Context, id string) (*game.State, error) {
	d.mu.RLock()
	row, ok := d.games[id]
	var b []byte
	if ok {
		b = row.state
	}
	d.mu.RUnlock()
	if !ok {
		return nil, store.ErrNotFound
	}
	return decode(b)
}

// GameMoves implements store.Durable.
func (d *Durable) GameMoves(_ context.Context, id string) ([]game.MoveRecord, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	row, ok := d.games[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return append([]game.MoveRecord(nil), row.moves...), nil
}

// PlayerGames implements store.Durable.
func (d *Durable) PlayerGames(_ context.Context, playerID string, before time.Time, limit int) ([]store.GameSummary, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []store.GameSummary
	for i := len(d.order) - 1; i >= 0 && len(out) < limit; i-- {
		st, err := decode(d.games[d.order[i]].state)
		if err != nil {
			return nil, err
		}
		if _, ok := st.ColorOf(playerID); !ok {
			continue
		}
		if !before.IsZero() && !time.UnixMilli(st.CreatedAt).Before(before) {
			continue
		}
		out = append(out, store.Summarize(st))
	}
	return out, nil
}

// ActiveGames implements store.Durable.
func (d *Durable) ActiveGames(_ context.Context) ([]store.GameVersion, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []store.GameVersion
	for _, id := range d.order {
		st, err := decode(d.games[id].state)
		if err != nil {
			return nil, err
		}
		if !st.Ended() {
			out = append(out, store.GameVersion{ID: id, V: d.games[id].v})
		}
	}
	return out, nil
}

// Ping implements store.Durable.
func (d *Durable) Ping(context.Context) error { return nil }

func decode(b []byte) (*game.State, error) {
	var st game.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decoding stored game: %w", err)
	}
	return &st, nil
}

// LatestGames implements store.Durable: running games, newest first.
func (d *Durable) LatestGames(_ context.Context, limit int) ([]store.GameSummary, error) {
	if limit < 0 {
		return nil, fmt.Errorf("latest games: negative limit %d", limit)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []store.GameSummary{}
	for i := len(d.order) - 1; i >= 0 && len(out) < limit; i-- {
		st, err := decode(d.games[d.order[i]].state)
		if err != nil {
			return nil, err
		}
		if !st.Ended() {
			out = append(out, store.Summarize(st))
		}
	}
	return out, nil
}
