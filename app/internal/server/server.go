// Package server is the chess service behind every transport: it authenticates nothing itself
// (transports hand it verified claims), decodes client messages, applies them to games through
// the stores, and fans events out to the sessions of this instance.
//
// Every game change follows one path (apply): read the live state, run the pure state machine,
// commit durably with a version check, then cache and publish. Only then is the client acked.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// Config tunes a Server. Zero values take the defaults noted.
type Config struct {
	RateLimit     RateLimit     // per connection; DefaultRateLimit()
	TickInterval  time.Duration // flag-fall and matchmaking timer; 50 ms
	MatchInterval time.Duration // matchmaking pass; 250 ms
	DeadlineLease time.Duration // how long a claimed due game is left to one instance; 2 s
	SweepInterval time.Duration // unsubscribe idle topics; 5 s
	EpochInterval time.Duration // check whether Live lost its data (or its rankings) and rebuild it; 2 s
	// ReconcileInterval: how often running games are checked for a cache left behind by an
	// instance that died between its durable commit and its publish; 5 s.
	ReconcileInterval time.Duration
	// RetryInterval: how often events held while Live was down are offered to it again; 500 ms.
	RetryInterval time.Duration
	// ChallengeInterval: how often expired challenges are looked for (and their players told); 1 s.
	ChallengeInterval time.Duration
	// StateCache bounds the game states kept in memory (see memCache); 100,000.
	StateCache int
	// ConnLimits caps the open connections per player and per client address over every
	// instance; the zero value takes DefaultConnLimits().
	ConnLimits store.ConnLimits
	// AbandonTimeout: how long a player must have been gone before the opponent may claim the
	// game (claimAbandoned); DefaultAbandonTimeout.
	AbandonTimeout time.Duration
	// SpectatorInterval: the shortest time between `spectators` messages of a game from one
	// instance; DefaultSpectatorInterval.
	SpectatorInterval time.Duration
	Now               func() time.Time
}

// Server is the chess service of one instance. Safe for concurrent use.
type Server struct {
	durable store.Durable
	live    store.Live
	calc    rating.Calculator
	log     *slog.Logger
	cfg     Config
	hub     *hub
	mem     *memCache

	mu       sync.Mutex
	sessions map[*Session]struct{}

	// pending holds committed events that could not be cached and published (Live was down);
	// they are retried until Live takes them, so an acknowledged move always reaches watchers.
	pendMu  sync.Mutex
	pending map[string]*pendingPut
	// retryMu lets one retry of the pending events run at a time (the retry loop and a
	// fan-out reconnect both start one), so a held event is offered and logged once.
	retryMu sync.Mutex
	// resyncGen numbers the fan-out resyncs: a resync still retrying stops when a newer one
	// has started, since that one covers every watch.
	resyncGen atomic.Int64

	// behind: games whose published version was behind the durable store at the last
	// reconcile (only the reconcile loop touches it).
	behind map[string]int64
	// repairing: games with a repair check scheduled after a lost commit race.
	repairMu  sync.Mutex
	repairing map[string]bool
	// afterRepairCheck, when set (tests), is told the outcome of each check of repairSoon.
	afterRepairCheck func(gameID string, published int64, behind bool)

	// spec counts this instance's spectators (spectators.go).
	spec spectators

	// rankKick wakes the rankings loop at once when Live turns out to be empty.
	rankKick chan struct{}

	stop    context.CancelFunc
	stopped chan struct{}
}

// New creates a server and starts its background loops (fan-out, timers, matchmaking). Call
// Shutdown to stop them.
func New(ctx context.Context, durable store.Durable, live store.Live, log *slog.Logger, cfg Config) (*Server, error) {
	if cfg.RateLimit == (RateLimit{}) {
		cfg.RateLimit = DefaultRateLimit()
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = 50 * time.Millisecond
	}
	if cfg.MatchInterval <= 0 {
		cfg.MatchInterval = 250 * time.Millisecond
	}
	if cfg.ChallengeInterval <= 0 {
		cfg.ChallengeInterval = time.Second
	}
	if cfg.DeadlineLease <= 0 {
		cfg.DeadlineLease = 2 * time.Second
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 5 * time.Second
	}
	if cfg.EpochInterval <= 0 {
		cfg.EpochInterval = 2 * time.Second
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = 5 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 500 * time.Millisecond
	}
	if cfg.StateCache <= 0 {
		cfg.StateCache = 100_000
	}
	if cfg.ConnLimits == (store.ConnLimits{}) {
		cfg.ConnLimits = DefaultConnLimits()
	}
	if cfg.AbandonTimeout <= 0 {
		cfg.AbandonTimeout = DefaultAbandonTimeout
	}
	if cfg.SpectatorInterval <= 0 {
		cfg.SpectatorInterval = DefaultSpectatorInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sub, err := live.Subscribe(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscribing to live events: %w", err)
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{
		durable: durable, live: live, calc: rating.Lichess(), log: log, cfg: cfg,
		mem:      newMemCache(cfg.StateCache),
		sessions: map[*Session]struct{}{}, pending: map[string]*pendingPut{}, repairing: map[string]bool{},
		rankKick: make(chan struct{}, 1), stop: stop, stopped: make(chan struct{}),
	}
	// Once the fan-out is back, events held while Live was down go out before the watchers are
	// resynced, so the resync finds them in the history instead of sending full states.
	s.hub = newHub(sub, log, func() { s.retryPending(bg); s.resyncAll(bg) }, s.mem.observe)
	s.checkEpoch(ctx)
	var wg sync.WaitGroup
	wg.Add(9)
	go func() { defer wg.Done(); s.hub.run() }()
	go func() { defer wg.Done(); s.every(bg, cfg.TickInterval, s.checkDeadlines) }()
	go func() { defer wg.Done(); s.every(bg, cfg.MatchInterval, s.matchmake) }()
	go func() { defer wg.Done(); s.every(bg, cfg.ChallengeInterval, s.expireChallenges) }()
	go func() {
		defer wg.Done()
		s.every(bg, cfg.SweepInterval, func(ctx context.Context) {
			s.hub.sweep(ctx)
			s.mem.sweep(s.cfg.Now(), 10*time.Minute)
		})
	}()
	go func() { defer wg.Done(); s.every(bg, cfg.EpochInterval, s.checkEpoch) }()
	go func() { defer wg.Done(); s.rankingsLoop(bg) }()
	go func() { defer wg.Done(); s.every(bg, cfg.RetryInterval, s.retryPending) }()
	go func() { defer wg.Done(); s.every(bg, cfg.ReconcileInterval, s.reconcile) }()
	go func() {
		<-bg.Done()
		_ = sub.Close()
		wg.Wait()
		close(s.stopped)
	}()
	return s, nil
}

func (s *Server) every(ctx context.Context, d time.Duration, f func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

func (s *Server) nowMs() int64 { return s.cfg.Now().UnixMilli() }

// Durable and Live expose the stores to the HTTP API of the same process.
func (s *Server) Durable() store.Durable { return s.durable }
func (s *Server) Live() store.Live       { return s.live }

// Open registers an authenticated connection: it is counted under the connection caps (a
// *CapError when one refuses), subscribed to the player's events, and closed when its token
// expires. Transports call it before the client sees the connection open, and hold frames
// sent to conn until then, so no event published after Open returns is lost.
func (s *Server) Open(ctx context.Context, claims authn.Claims, conn Conn, client Client) (*Session, error) {
	sess := newSession(claims, conn, s.cfg.RateLimit, s.cfg.Now())
	if err := s.admit(ctx, sess, client); err != nil {
		return nil, err
	}
	if err := s.hub.join(ctx, store.PlayerTopic(claims.PlayerID), sess); err != nil {
		s.release(context.WithoutCancel(ctx), sess)
		return nil, fmt.Errorf("following player topic: %w", err)
	}
	s.mu.Lock()
	s.sessions[sess] = struct{}{}
	s.mu.Unlock()
	cameOnline, err := s.live.Connected(ctx, claims.PlayerID)
	if err != nil {
		s.log.WarnContext(ctx, "recording presence", "player", claims.PlayerID, "err", err)
	} else if cameOnline {
		s.notifyOpponents(ctx, claims.PlayerID, protocol.TOpponentBack)
	}
	s.armExpiry(sess)
	return sess, nil
}

// Close unregisters a connection; it is safe to call more than once.
func (s *Server) Close(ctx context.Context, sess *Session) {
	if !sess.markClosed() {
		return
	}
	sess.mu.Lock()
	if sess.expiry != nil {
		sess.expiry.Stop()
	}
	sess.mu.Unlock()
	s.release(ctx, sess)
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
	s.hub.leave(store.PlayerTopic(sess.Player.PlayerID), sess)
	games, _ := sess.watchedGames()
	for _, g := range games {
		s.hub.leave(store.GameTopic(g), sess)
	}
	s.spectatorClosed(ctx, sess)
	wentOffline, err := s.live.Disconnected(ctx, sess.Player.PlayerID)
	if err != nil {
		s.log.WarnContext(ctx, "recording presence", "player", sess.Player.PlayerID, "err", err)
	} else if wentOffline {
		s.playerGone(ctx, sess.Player.PlayerID)
	}
}

// notifyOpponents tells the other side of each running game of the player that the player
// went away or came back.
func (s *Server) notifyOpponents(ctx context.Context, playerID, t string) {
	games, err := s.live.ActiveGamesOf(ctx, playerID)
	if err != nil {
		s.log.WarnContext(ctx, "listing active games", "player", playerID, "err", err)
		return
	}
	for _, g := range games {
		if err := s.live.Publish(ctx, store.GameTopic(g), protocol.MustEncode(t, 0, protocol.GameRef{Game: g})); err != nil {
			s.log.WarnContext(ctx, "publishing presence", "game", g, "err", err)
		}
	}
}

// Shutdown stops the background loops and closes every session with reason, waiting at most
// until ctx ends for the loops to finish.
func (s *Server) Shutdown(ctx context.Context, reason string) error {
	s.mu.Lock()
	sessions := make([]*Session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		sess.conn.Close(reason)
		s.Close(ctx, sess)
	}
	s.stop()
	select {
	case <-s.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server shutdown: %w", ctx.Err())
	}
}

// Sessions counts the open sessions of this instance.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Handle processes one client frame of a session. It never blocks on other clients.
func (s *Server) Handle(ctx context.Context, sess *Session, frame []byte) {
	sess.mu.Lock()
	allowed, disconnect := sess.limiter.allow(s.cfg.Now())
	sess.mu.Unlock()
	if !allowed {
		sess.send(protocol.ErrorFrame(protocol.Errorf(protocol.CodeRateLimited, "too many messages; slow down"), 0))
		if disconnect {
			sess.conn.Close("rate limit exceeded")
		}
		return
	}
	if protocol.IsPing(frame) {
		// Pings are most of an idle connection's traffic; answering them needs no decode.
		sess.send(protocol.PongFrame())
		return
	}
	msg, perr := protocol.Decode(frame)
	if perr != nil {
		sess.send(protocol.ErrorFrame(perr, msg.Ack))
		return
	}
	err := s.dispatch(ctx, sess, msg)
	switch {
	case err == nil || errors.Is(err, errDuplicate):
		if msg.Ack > 0 {
			sess.send(protocol.AckFrame(msg.Ack))
		}
	default:
		perr := toProtocolError(err)
		if perr.Code == protocol.CodeUnavailable {
			s.log.WarnContext(ctx, "dependency failure", "type", msg.Type, "player", sess.Player.PlayerID, "err", err)
		}
		sess.send(protocol.ErrorFrame(perr, msg.Ack))
	}
}

func (s *Server) dispatch(ctx context.Context, sess *Session, m protocol.ClientMessage) error {
	p := sess.Player
	switch m.Type {
	case protocol.TPing:
		sess.send(protocol.PongFrame())
		return nil
	case protocol.TSeek:
		return s.seek(ctx, sess, m)
	case protocol.TCancelSeek:
		_, err := s.live.RemoveSeek(ctx, p.PlayerID)
		return unavailable(err)
	case protocol.TChallenge:
		return s.challenge(ctx, sess, m)
	case protocol.TAcceptChallenge:
		return s.acceptChallenge(ctx, sess, m.ChallengeID)
	case protocol.TDeclineChallenge:
		return s.declineChallenge(ctx, sess, m.ChallengeID)
	case protocol.TCancelChallenge:
		return s.cancelChallenge(ctx, sess, m.ChallengeID)
	case protocol.TRematch:
		return s.rematch(ctx, sess, m.Game)
	case protocol.TWatch:
		if err := s.watch(ctx, sess, m.Game, m.V, false); err != nil {
			return err
		}
		s.watched(ctx, sess, m.Game)
		return nil
	case protocol.TUnwatch:
		if sess.unwatch(m.Game) {
			s.hub.leave(store.GameTopic(m.Game), sess)
			s.watchesChanged(sess)
			s.unwatched(ctx, sess, m.Game)
		}
		return nil
	case protocol.TClaimAbandoned:
		return s.claimAbandoned(ctx, sess, m)
	default:
		return s.gameAction(ctx, p.PlayerID, m)
	}
}

// watchesChanged tells a conn that observes the session's watched games (WatchObserver) the
// current set. The set is read under observeMu, so concurrent changes (a client's watch and a
// resync) reach the observer in the order they were read and the last call is never stale. A
// closed session is not reported: its transport has dropped what it recorded.
func (s *Server) watchesChanged(sess *Session) {
	o, ok := sess.conn.(WatchObserver)
	if !ok {
		return
	}
	sess.observeMu.Lock()
	defer sess.observeMu.Unlock()
	games, open := sess.watchedGames()
	if open {
		o.WatchesChanged(games)
	}
}
