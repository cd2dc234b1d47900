// Package httpapi serves the HTTP API (docs/protocol.md, docs/design/backend.md): accounts,
// sessions, players, games, PGN, the leaderboard and the health endpoints. Errors are JSON
// {"error":{"code","message"}}.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/rules"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
)

// speeds are the rating categories, fastest first.
var speeds = []rating.Speed{rating.Bullet, rating.Blitz, rating.Rapid, rating.Classical}

// maxBody bounds request bodies (the largest legitimate one is a login).
const maxBody = 8 << 10

// Options tune the API.
type Options struct {
	TokenTTL time.Duration // session lifetime; 24 h
	// AuthRate limits account creation and logins per client IP (token bucket per minute).
	AuthPerMinute int // 30
	// DurableName and LiveName label the two dependencies in /readyz ("postgres", "redis").
	DurableName, LiveName string
	// ForwardedForHops is the number of trusted proxies in front of the backend that append to
	// X-Forwarded-For (CloudFront and the ALB: 2); the per-IP limits then use the address the
	// outermost one saw. 0 uses the peer address, so a client cannot pick its own bucket.
	ForwardedForHops int
}

// API is the HTTP API handler set.
type API struct {
	srv     *server.Server
	durable store.Durable
	live    store.Live
	signer  *authn.Signer
	log     *slog.Logger
	opts    Options
	now     func() time.Time
	limits  *ipLimiter
	// minGames is the fewest rated games before a player is ranked (the server rates with
	// rating.Lichess()); the leaderboard answer carries it.
	minGames int
}

// New returns the API.
func New(srv *server.Server, signer *authn.Signer, log *slog.Logger, opts Options) *API {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.AuthPerMinute <= 0 {
		opts.AuthPerMinute = 30
	}
	if opts.DurableName == "" {
		opts.DurableName = "postgres"
	}
	if opts.LiveName == "" {
		opts.LiveName = "redis"
	}
	return &API{
		srv: srv, durable: srv.Durable(), live: srv.Live(), signer: signer, log: log, opts: opts,
		now: time.Now, limits: newIPLimiter(opts.AuthPerMinute),
		minGames: rating.MinGamesToEstablish(rating.Lichess()),
	}
}

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/accounts", a.createAccount)
	mux.HandleFunc("POST /api/sessions", a.createSession)
	mux.HandleFunc("GET /api/session", a.currentSession)
	mux.HandleFunc("POST /api/session/renew", a.renewSession)
	mux.HandleFunc("GET /api/players/{name}", a.player)
	mux.HandleFunc("GET /api/players/{name}/games", a.playerGames)
	mux.HandleFunc("GET /api/players/{name}/ratings", a.ratingHistory)
	mux.HandleFunc("GET /api/games/live", a.liveGames)
	mux.HandleFunc("GET /api/games/{id}", a.gameState)
	mux.HandleFunc("GET /api/games/{id}/pgn", a.gamePGN)
	mux.HandleFunc("GET /api/leaderboard", a.leaderboard)
	mux.HandleFunc("GET /api/challenges/{id}", a.challenge)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
}

type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, store.ErrNotFound):
		ae = errorf(http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, store.ErrInvalid):
		// A backstop: input is validated before it reaches a store.
		a.log.WarnContext(r.Context(), "store refused a value", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errorf(http.StatusBadRequest, "bad_request", "a value in the request cannot be stored")
	default:
		a.log.WarnContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errorf(http.StatusServiceUnavailable, "unavailable", "the service is temporarily unavailable; retry")
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]string{"code": ae.code, "message": ae.msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeBody reads a JSON object strictly: size-limited, unknown fields rejected.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errorf(http.StatusUnsupportedMediaType, "bad_request", "Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "bad_request", "request body over %d bytes", maxBody)
		}
		return errorf(http.StatusBadRequest, "bad_request", "invalid JSON body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "bad_request", "trailing data after the JSON body")
	}
	return nil
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Guest    bool   `json:"guest"`
}

const (
	minPassword = 10
	maxPassword = 200
)

func (a *API) createAccount(w http.ResponseWriter, r *http.Request) {
	if !a.limits.allow(a.clientIP(r), a.now()) {
		a.fail(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a minute"))
		return
	}
	var c credentials
	if err := decodeBody(w, r, &c); err != nil {
		a.fail(w, r, err)
		return
	}
	switch {
	case !protocol.ValidUsername(c.Username):
		a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "username must be 3-20 characters of A-Z, a-z, 0-9, _ and -"))
		return
	case strings.HasPrefix(strings.ToLower(c.Username), "guest"):
		a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "usernames starting with \"guest\" are reserved"))
		return
	case !validPassword(c.Password):
		a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "password must be %d-%d characters, none of them control characters", minPassword, maxPassword))
		return
	case c.Guest:
		a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "\"guest\" is not an account field"))
		return
	}
	hash, err := authn.HashPassword(c.Password)
	if err != nil {
		a.fail(w, r, fmt.Errorf("hashing password: %w", err))
		return
	}
	p := store.Player{ID: server.NewPlayerID(), Name: c.Username, PasswordHash: hash, CreatedAt: a.now().UTC()}
	if err := a.durable.CreatePlayer(r.Context(), p); err != nil {
		if errors.Is(err, store.ErrNameTaken) {
			a.fail(w, r, errorf(http.StatusConflict, "name_taken", "username %q is taken", c.Username))
			return
		}
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"player": playerJSON(p)})
}

func (a *API) createSession(w http.ResponseWriter, r *http.Request) {
	if !a.limits.allow(a.clientIP(r), a.now()) {
		a.fail(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a minute"))
		return
	}
	var c credentials
	if err := decodeBody(w, r, &c); err != nil {
		a.fail(w, r, err)
		return
	}
	var p store.Player
	switch {
	case c.Guest && (c.Username != "" || c.Password != ""):
		a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "send either {\"guest\":true} or a username and password"))
		return
	case c.Guest:
		p = store.Player{ID: server.NewPlayerID(), Guest: true, CreatedAt: a.now().UTC()}
		p.Name = "guest-" + strings.ToLower(p.ID[len(p.ID)-8:])
		if err := a.durable.CreatePlayer(r.Context(), p); err != nil {
			a.fail(w, r, err)
			return
		}
	case !protocol.ValidUsername(c.Username):
		// No account can have this name; the store never sees it.
		a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "username must be 3-20 characters of A-Z, a-z, 0-9, _ and -"))
		return
	default:
		found, err := a.durable.PlayerByName(r.Context(), c.Username)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.fail(w, r, err)
			return
		}
		ok := false
		if err == nil && !found.Guest && len(c.Password) <= maxPassword {
			ok, err = authn.CheckPassword(found.PasswordHash, c.Password)
			if err != nil {
				a.fail(w, r, fmt.Errorf("checking password of %s: %w", found.ID, err))
				return
			}
		}
		if !ok {
			a.fail(w, r, errorf(http.StatusUnauthorized, "unauthorized", "wrong username or password"))
			return
		}
		p = found
	}
	expires := a.now().Add(a.opts.TokenTTL).UTC().Truncate(time.Second)
	token, err := a.signer.Sign(authn.Claims{PlayerID: p.ID, Name: p.Name, Guest: p.Guest, ExpiresAt: expires})
	if err != nil {
		a.fail(w, r, fmt.Errorf("signing session: %w", err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token, "player": playerJSON(p), "expiresAt": expires.Format(time.RFC3339)})
}

// currentSession answers whether a bearer token is still valid (clients check it when their
// WebSocket keeps failing: a browser cannot see the 401 of a refused upgrade).
func (a *API) currentSession(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		a.fail(w, r, errorf(http.StatusUnauthorized, "unauthorized", "send the session token as Authorization: Bearer <token>"))
		return
	}
	claims, err := a.signer.Verify(strings.TrimSpace(token), a.now())
	if err != nil {
		a.fail(w, r, errorf(http.StatusUnauthorized, "unauthorized", "missing, invalid or expired session token"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"player":    map[string]any{"id": claims.PlayerID, "name": claims.Name, "guest": claims.Guest},
		"expiresAt": claims.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

func playerJSON(p store.Player) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "guest": p.Guest}
}

type ratingJSON struct {
	Rating      int     `json:"rating"`
	RD          float64 `json:"rd"`
	Provisional bool    `json:"provisional"`
	Games       int     `json:"games"`
	Rank        *int    `json:"rank"` // null while provisional (and for guests)
}

func (a *API) player(w http.ResponseWriter, r *http.Request) {
	name, ok := a.playerName(w, r)
	if !ok {
		return
	}
	p, err := a.durable.PlayerByName(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rs, err := a.durable.Ratings(r.Context(), p.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rec, err := a.durable.Record(r.Context(), p.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ranks, err := a.srv.Ranks(r.Context(), p.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ratings := map[rating.Speed]ratingJSON{}
	for _, speed := range speeds {
		cur := rating.New()
		if pr, ok := rs[speed]; ok {
			cur = pr.Rating
		}
		rj := ratingJSON{Rating: cur.Int(), RD: round1(cur.RD), Provisional: cur.Provisional(), Games: cur.Games}
		if rank, ok := ranks[speed]; ok && !cur.Provisional() {
			rj.Rank = &rank
		}
		ratings[speed] = rj
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": p.Name, "guest": p.Guest, "createdAt": p.CreatedAt.UTC().Format(time.RFC3339),
		"ratings": ratings, "games": rec.Games, "wins": rec.Wins, "draws": rec.Draws, "losses": rec.Losses,
	})
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

type summaryJSON struct {
	ID        string               `json:"id"`
	White     protocol.PlayerInfo  `json:"white"`
	Black     protocol.PlayerInfo  `json:"black"`
	TC        string               `json:"tc"`
	Rated     bool                 `json:"rated"`
	Speed     rating.Speed         `json:"speed"`
	Status    string               `json:"status"`
	Result    *string              `json:"result"`
	Reason    *string              `json:"reason"`
	Plies     int                  `json:"plies"`
	CreatedAt string               `json:"createdAt"`
	EndedAt   *string              `json:"endedAt"`
	Ratings   *protocol.EndRatings `json:"ratings,omitempty"`
}

func (a *API) playerGames(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("status") {
	case "":
	case "started":
		a.runningGames(w, r)
		return
	default:
		a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "status must be started (or absent for the history)"))
		return
	}
	limit, err := queryLimit(q, 20, 100)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var before time.Time
	if s := q.Get("before"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			a.fail(w, r, errorf(http.StatusBadRequest, "bad_request", "before must be an RFC 3339 time (the createdAt of the last game of the previous page)"))
			return
		}
		before = t
	}
	name, ok := a.playerName(w, r)
	if !ok {
		return
	}
	p, err := a.durable.PlayerByName(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	games, err := a.durable.PlayerGames(r.Context(), p.ID, before, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]summaryJSON, 0, len(games))
	for _, g := range games {
		sj := summaryJSON{
			ID: g.ID, TC: g.TC, Rated: g.Rated, Speed: g.Speed, Status: g.Status, Plies: g.Plies,
			White:     protocol.PlayerInfo{Name: g.White.Name, Rating: g.White.Rating, Provisional: g.White.Provisional, Guest: g.White.Guest},
			Black:     protocol.PlayerInfo{Name: g.Black.Name, Rating: g.Black.Rating, Provisional: g.Black.Provisional, Guest: g.Black.Guest},
			CreatedAt: g.CreatedAt.UTC().Format(time.RFC3339Nano), Ratings: g.Ratings,
		}
		if g.Status == "ended" {
			res, why, ended := g.Result, g.Reason, g.EndedAt.UTC().Format(time.RFC3339Nano)
			sj.Result, sj.Reason, sj.EndedAt = &res, &why, &ended
		}
		out = append(out, sj)
	}
	resp := map[string]any{"games": out, "next": nil}
	if len(games) == limit {
		resp["next"] = out[len(out)-1].CreatedAt
	}
	writeJSON(w, http.StatusOK, resp)
}

func (a *API) gameState(w http.ResponseWriter, r *http.Request) {
	id, ok := a.gameID(w, r)
	if !ok {
		return
	}
	st, err := a.srv.GameState(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *API) gamePGN(w http.ResponseWriter, r *http.Request) {
	id, ok := a.gameID(w, r)
	if !ok {
		return
	}
	st, err := a.durable.LoadGame(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	result := "*"
	if st.Ended() {
		result = st.Result
	}
	created := time.UnixMilli(st.CreatedAt).UTC()
	tags := []rules.Tag{
		{Key: "Event", Value: pgnEvent(st.Rated, string(st.Speed))},
		{Key: "Site", Value: "chess-platform"},
		{Key: "Date", Value: created.Format("2006.01.02")},
		{Key: "Round", Value: "-"},
		{Key: "White", Value: st.White.Name},
		{Key: "Black", Value: st.Black.Name},
		{Key: "Result", Value: result},
		{Key: "GameId", Value: st.ID},
		{Key: "UTCDate", Value: created.Format("2006.01.02")},
		{Key: "UTCTime", Value: created.Format("15:04:05")},
		{Key: "WhiteElo", Value: strconv.Itoa(st.White.Rating)},
		{Key: "BlackElo", Value: strconv.Itoa(st.Black.Rating)},
		{Key: "TimeControl", Value: pgnTimeControl(st.TC)},
	}
	if st.Ended() {
		tags = append(tags, rules.Tag{Key: "Termination", Value: st.Reason})
	}
	pgn, err := rules.PGN(tags, st.Moves)
	if err != nil {
		a.fail(w, r, fmt.Errorf("building PGN of %s: %w", id, err))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id+".pgn"))
	_, _ = w.Write([]byte(pgn))
}

func pgnEvent(rated bool, speed string) string {
	kind := "Casual"
	if rated {
		kind = "Rated"
	}
	return kind + " " + speed + " game"
}

// pgnTimeControl converts "5+3" to the PGN form "300+3".
func pgnTimeControl(tc string) string {
	parsed, err := protocol.ParseTimeControl(tc)
	if err != nil {
		return "-"
	}
	return strconv.Itoa(parsed.Minutes*60) + "+" + strconv.Itoa(parsed.Increment)
}

func (a *API) leaderboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	speed, err := querySpeed(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	limit, err := queryLimit(q, 50, 200)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	entries, err := a.srv.Leaderboard(r.Context(), speed, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	players := make([]map[string]any, 0, len(entries))
	for i, e := range entries {
		players = append(players, map[string]any{"rank": i + 1, "name": e.Name, "rating": e.Rating.Int(), "rd": round1(e.Rating.RD), "games": e.Rating.Games})
	}
	// minGames: provisional players are left out; the page tells a new player how long that lasts.
	writeJSON(w, http.StatusOK, map[string]any{"speed": speed, "players": players, "minGames": a.minGames})
}

func (a *API) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, ping := range map[string]func(context.Context) error{a.opts.DurableName: a.durable.Ping, a.opts.LiveName: a.live.Ping} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := ping(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				checks[name] = "failed: " + err.Error()
				status = http.StatusServiceUnavailable
				return
			}
			checks[name] = "ok"
		}()
	}
	wg.Wait()
	writeJSON(w, status, map[string]any{"status": map[bool]string{true: "ready", false: "not ready"}[status == http.StatusOK], "checks": checks})
}

// ratingHistory serves a player's rating after each rated game of one speed, newest first
// (an addition to the protocol's HTTP API, for the profile's rating chart).
func (a *API) ratingHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	speed, err := querySpeed(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	limit, err := queryLimit(q, 100, 500)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	name, ok := a.playerName(w, r)
	if !ok {
		return
	}
	p, err := a.durable.PlayerByName(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	points, err := a.durable.RatingHistory(r.Context(), p.ID, speed, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	type pointJSON struct {
		Game        string  `json:"game"`
		Rating      int     `json:"rating"`
		RD          float64 `json:"rd"`
		Provisional bool    `json:"provisional"`
		Games       int     `json:"games"`
		At          string  `json:"at"`
	}
	out := make([]pointJSON, 0, len(points))
	for _, pt := range points {
		out = append(out, pointJSON{Game: pt.GameID, Rating: pt.Rating.Int(), RD: round1(pt.Rating.RD),
			Provisional: pt.Rating.Provisional(), Games: pt.Rating.Games, At: pt.Rating.LastRated.UTC().Format(time.RFC3339Nano)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": p.Name, "speed": speed, "points": out})
}
