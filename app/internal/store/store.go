// Package store defines the storage the chess server needs, split the way it runs in AWS:
//
//   - Durable (PostgreSQL; memstore in single-instance mode): players, ratings, games and their
//     moves. It is the source of truth: every game event is committed here, with a version check,
//     before it is acknowledged or published.
//   - Live (Redis; memstore in single-instance mode): the live state cache of running games with
//     their recent events, flag deadlines, the matchmaking pool, challenges, presence and the
//     pub/sub fan-out between server instances. Everything in Live can be rebuilt from Durable.
//
// Implementations must pass the contract tests in package storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
)

// Sentinel errors shared by every implementation.
var (
	ErrNotFound  = errors.New("not found")
	ErrNameTaken = errors.New("name already taken")
	// ErrConflict means a version check failed: someone else changed the record first.
	ErrConflict = errors.New("version conflict")
	// ErrUnavailable wraps failures of the backing service (network, server down).
	ErrUnavailable = errors.New("storage unavailable")
	// ErrInvalid means the store refused a value it cannot hold (a NUL byte or invalid UTF-8 in
	// a string, for PostgreSQL): the request is wrong, retrying it cannot help. Callers
	// validate their input first; this is the backstop.
	ErrInvalid = errors.New("invalid value")
	// ErrGap means Live.PutGame refused events that do not follow the game's last published
	// version: a change in between was committed but never published (its committer died or
	// still holds it), so watchers would see a hole. Nothing was changed; the caller publishes
	// a full state instead, which stands for every version.
	ErrGap = errors.New("events do not follow the published version")
)

// Player is a registered or guest player.
type Player struct {
	ID           string
	Name         string
	Guest        bool
	PasswordHash string // empty for guests
	CreatedAt    time.Time
}

// PlayerRating is a player's rating in one speed with its version for optimistic updates.
type PlayerRating struct {
	Speed   rating.Speed
	Rating  rating.Rating
	Version int64 // 0 when the player has no rating row yet (a new player)
}

// RatingWrite replaces one rating if its version is still PrevVersion.
type RatingWrite struct {
	PlayerID    string
	Speed       rating.Speed
	PrevVersion int64
	New         rating.Rating
}

// RatingPoint is a player's rating in one speed right after a rated game.
type RatingPoint struct {
	GameID string
	Rating rating.Rating // R, RD, Vol, Games (this game included) and LastRated (the game's end)
}

// Commit is one atomic durable change of a game: the new state, the move it adds (if any) and
// the rating updates of a rated game end. It applies only if the stored version is PrevV, and
// only if every rating still has its PrevVersion; otherwise nothing changes and ErrConflict is
// returned.
type Commit struct {
	PrevV   int64
	State   *game.State
	Move    *game.MoveRecord
	Ratings []RatingWrite
}

// GameSummary is one line of a player's game history.
type GameSummary struct {
	ID        string
	White     game.PlayerRef
	Black     game.PlayerRef
	TC        string
	Rated     bool
	Speed     rating.Speed
	Status    string
	Result    string
	Reason    string
	Plies     int
	CreatedAt time.Time
	EndedAt   time.Time // zero while running
	Ratings   *protocol.EndRatings
}

// GameVersion is a game id with its committed version.
type GameVersion struct {
	ID string
	V  int64
}

// Record counts a player's finished games.
type Record struct {
	Games, Wins, Draws, Losses int
}

// LeaderboardEntry is one ranked player.
type LeaderboardEntry struct {
	Name   string
	Rating rating.Rating
}

// Durable is the source of truth. Safe for concurrent use.
type Durable interface {
	CreatePlayer(ctx context.Context, p Player) error // ErrNameTaken
	PlayerByName(ctx context.Context, name string) (Player, error)
	PlayerByID(ctx context.Context, id string) (Player, error)
	// Ratings returns the player's rating rows (speeds without a row are absent).
	Ratings(ctx context.Context, playerID string) (map[rating.Speed]PlayerRating, error)
	// Record counts the player's ended, non-aborted games.
	Record(ctx context.Context, playerID string) (Record, error)
	// Leaderboard, Ranks and RankedPage: see RankingDurable.
	RankingDurable
	// RatingHistory lists the player's rating in one speed after each rated game, newest
	// first. CommitGame records a point for every RatingWrite it applies, atomically with it.
	RatingHistory(ctx context.Context, playerID string, speed rating.Speed, limit int) ([]RatingPoint, error)

	// CreateGame stores a new game (state at version 0).
	CreateGame(ctx context.Context, st *game.State) error
	// CommitGame applies a Commit atomically (see Commit). Commit.Move.Ply must equal
	// len(Commit.State.Moves). An error wrapping ErrUnavailable leaves the outcome unknown (the
	// connection may have broken after the commit): callers must not ack, and rely on the
	// client's resend being recognised as a duplicate if it did commit.
	CommitGame(ctx context.Context, c Commit) error
	// LoadGame returns the latest committed state.
	LoadGame(ctx context.Context, id string) (*game.State, error)
	// GameMoves returns the committed moves of a game in ply order.
	GameMoves(ctx context.Context, id string) ([]game.MoveRecord, error)
	// PlayerGames lists a player's games, newest first, created before `before` (zero: now).
	PlayerGames(ctx context.Context, playerID string, before time.Time, limit int) ([]GameSummary, error)
	// ActiveGames lists the games that have not ended with their committed versions, oldest
	// first (for rebuilding Live and for finding games whose cache fell behind).
	ActiveGames(ctx context.Context) ([]GameVersion, error)
	// LatestGames: see PresenceDurable.
	PresenceDurable

	Ping(ctx context.Context) error
}

// Seek is one player waiting in the matchmaking pool.
type Seek struct {
	PlayerID string
	Name     string
	Rating   int
	TC       string
	Rated    bool
	Since    int64 // Unix ms
}

// Challenge is a challenge waiting for its target: a named player, or, when ToID is empty, an
// open challenge (a link) that anyone but its creator may accept.
type Challenge struct {
	ID      string
	FromID  string
	From    string
	ToID    string // "" for an open challenge
	To      string
	TC      string
	Color   string
	Rated   bool
	Expires int64  // Unix ms
	Rematch string // the game this challenge offers a rematch of; "" for other challenges
}

// ChallengeAction is what a player takes a challenge out of the store for; it decides who may.
type ChallengeAction uint8

// Challenge actions.
const (
	// TakeAccept: the target; for an open challenge, anyone but its creator.
	TakeAccept ChallengeAction = iota + 1
	// TakeDecline: the target only.
	TakeDecline
	// TakeCancel: the creator only.
	TakeCancel
)

// ErrNotYours means a challenge exists but the player may not take it for that action; it is
// left as it was.
var ErrNotYours = errors.New("challenge belongs to someone else")

// Message is one message received from a Live topic.
type Message struct {
	Topic   string
	Payload []byte
}

// ResyncTopic is the topic of the marker a Subscription delivers after its connection to the
// broker was lost and re-established: messages published meanwhile may be lost (Redis pub/sub
// is at-most-once), so consumers must bring their clients up to date from stored state.
const ResyncTopic = ""

// Subscription receives messages of the topics it was told to follow. Add and Remove may be
// called from any goroutine; Messages is closed after Close. See ResyncTopic.
type Subscription interface {
	Add(ctx context.Context, topics ...string) error
	Remove(ctx context.Context, topics ...string) error
	Messages() <-chan Message
	Close() error
}

// Topics of the fan-out.
func GameTopic(gameID string) string     { return "g:" + gameID }
func PlayerTopic(playerID string) string { return "p:" + playerID }

// Live holds what is shared between server instances while games run. Safe for concurrent use.
type Live interface {
	// GetGame returns the cached state of a game; ErrNotFound when it is not cached.
	GetGame(ctx context.Context, id string) (*game.State, error)
	// PutGame caches st unless the cache already holds version st.V or newer, appends events
	// to the game's recent history, arms (or clears) its deadline from st.Deadline(), and
	// publishes each event's frame on GameTopic, all atomically and in order. Events at or
	// below the published version are skipped. When the first newer one is an ordinary event
	// (not a State) and does not follow the published version, it changes nothing and returns
	// ErrGap.
	PutGame(ctx context.Context, st *game.State, events []game.Event) error
	// DropGame forgets a cached game (its history too), e.g. after a version conflict.
	DropGame(ctx context.Context, id string) error
	// History returns the frames of events with version > afterV, oldest first; complete is
	// false when some of them are no longer kept (the caller then sends the full state).
	History(ctx context.Context, id string, afterV int64) (frames [][]byte, complete bool, err error)
	// DueGames returns up to limit games whose deadline is <= now, and postpones each of them by
	// leaseMs so that concurrent callers do not all handle the same game; a caller that dies
	// leaves the game to come due again after the lease.
	DueGames(ctx context.Context, now, leaseMs int64, limit int) ([]string, error)
	// PublishedVersions returns, for each of the given games that is cached, the highest version
	// whose event (or a full state standing for it) has been published (0 when none has);
	// games that are not cached are absent. A version below the durable one means watchers
	// missed a committed change.
	PublishedVersions(ctx context.Context, ids []string) (map[string]int64, error)
	// ArmDeadline sets a cached game's deadline (0 clears it) if the cached version is still v,
	// for a caller of DueGames that found nothing to do yet: a stale re-arm must not overwrite
	// the deadline a newer move set.
	ArmDeadline(ctx context.Context, id string, v, at int64) error

	// AddSeek puts a seek in its pool (replacing the player's previous seek in any pool).
	AddSeek(ctx context.Context, s Seek) error
	// RemoveSeek takes the player's seek out of every pool; false if there was none.
	RemoveSeek(ctx context.Context, playerID string) (bool, error)
	// MatchSeeks pairs waiting seeks of the same pool (tc + rated) whose rating gap is within
	// both players' windows at now (see MatchWindow), removes the paired seeks and returns the
	// pairs. Each seek is returned in at most one pair, by one caller.
	MatchSeeks(ctx context.Context, now int64) ([][2]Seek, error)

	// PutChallenge stores a challenge until it is taken or expires (replacing one of the same id).
	PutChallenge(ctx context.Context, c Challenge) error
	// GetChallenge returns a challenge without taking it; ErrNotFound if it is gone or expired.
	GetChallenge(ctx context.Context, id string) (Challenge, error)
	// TakeChallenge removes and returns a challenge if playerID may take it for action;
	// ErrNotFound if it is gone or expired, ErrNotYours (nothing changed) if it is someone
	// else's. An expired challenge stays for ExpireChallenges.
	TakeChallenge(ctx context.Context, id, playerID string, action ChallengeAction) (Challenge, error)
	// ExpireChallenges removes and returns challenges whose expiry is at or before now, each to
	// one caller over every instance, so exactly one instance tells their players.
	ExpireChallenges(ctx context.Context, now int64) ([]Challenge, error)

	// Connected and Disconnected count a player's open connections over every instance; they
	// report whether the player just came online or went offline.
	Connected(ctx context.Context, playerID string) (cameOnline bool, err error)
	Disconnected(ctx context.Context, playerID string) (wentOffline bool, err error)
	// AcquireConn counts one more open connection of a player and of a client address over
	// every live instance, unless that would exceed a cap of limits (0: no cap); it reports
	// which cap refused (CapNone: counted). addr "" is counted per player only. force counts
	// without checking (a connection that already exists moves to this instance). Counts of
	// instances that died are dropped. ReleaseConn undoes one counted AcquireConn.
	AcquireConn(ctx context.Context, playerID, addr string, limits ConnLimits, force bool) (ConnCap, error)
	ReleaseConn(ctx context.Context, playerID, addr string) error
	// ActiveGamesOf lists the running games a player plays; AddActive/RemoveActive maintain it.
	ActiveGamesOf(ctx context.Context, playerID string) ([]string, error)
	AddActive(ctx context.Context, gameID string, playerIDs ...string) error
	RemoveActive(ctx context.Context, gameID string, playerIDs ...string) error

	// Publish sends a payload to a topic's subscribers on every instance.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe opens a subscription (initially to no topic).
	Subscribe(ctx context.Context) (Subscription, error)

	// EnsureEpoch marks Live as initialised and reports whether this call did it: true means
	// Live was empty (first start, or Redis lost its data) and the caller must rebuild the
	// state of running games from Durable.
	EnsureEpoch(ctx context.Context) (fresh bool, err error)

	// The rankings (leaderboards and ranks); see RankingLive.
	RankingLive
	// Since when players are gone, and spectator counts; see PresenceLive.
	PresenceLive

	Ping(ctx context.Context) error
}

// CheckEvents reports whether events can go to Live.PutGame with st: each version positive,
// at most st.V, and consecutive, so that they can be published and replayed in order.
func CheckEvents(st *game.State, events []game.Event) error {
	for i, e := range events {
		if e.V <= 0 || e.V > st.V || (i > 0 && e.V != events[i-1].V+1) {
			return fmt.Errorf("put game %s: event versions must be consecutive and at most v%d", st.ID, st.V)
		}
	}
	return nil
}

// LeavesGap reports whether events would leave a hole after a game's published version
// (negative when nothing was published): the first event newer than it is an ordinary event
// (not a State) that does not follow it. Live.PutGame then refuses them with ErrGap.
func LeavesGap(published int64, events []game.Event) bool {
	if published < 0 || len(events) == 0 || events[0].State {
		return false
	}
	for _, e := range events {
		if e.V > published {
			return e.V != published+1
		}
	}
	return false
}

// MatchWindow is the rating gap a seek accepts after waiting waitedMs: 100 points at once,
// widening by 50 per second waited up to 800 (then any opponent of the pool after 30 s).
func MatchWindow(waitedMs int64) int {
	if waitedMs >= 30_000 {
		return 1 << 30
	}
	return min(100+int(waitedMs/1000)*50, 800)
}

// Summarize builds a history line from a game state.
func Summarize(st *game.State) GameSummary {
	s := GameSummary{
		ID: st.ID, White: st.White, Black: st.Black, TC: st.TC, Rated: st.Rated, Speed: st.Speed,
		Status: st.Status, Result: st.Result, Reason: st.Reason, Plies: len(st.Moves),
		CreatedAt: time.UnixMilli(st.CreatedAt).UTC(), Ratings: st.Ratings,
	}
	if st.EndedAt != 0 {
		s.EndedAt = time.UnixMilli(st.EndedAt).UTC()
	}
	return s
}

// HistorySize is how many recent events per game Live keeps for replay (as lila-ws keeps 20).
const HistorySize = 20

// ChallengeTTL is how long a challenge waits for its target.
const ChallengeTTL = 5 * time.Minute

// PairPool pairs the seeks of one pool: sorted by rating, each seek is paired with its next
// unpaired neighbour when their gap fits both players' MatchWindow at now. Implementations of
// Live.MatchSeeks share it so the pairing rule is the same everywhere.
func PairPool(pool []Seek, now int64) [][2]Seek {
	sort.Slice(pool, func(i, j int) bool {
		if pool[i].Rating != pool[j].Rating {
			return pool[i].Rating < pool[j].Rating
		}
		return pool[i].Since < pool[j].Since
	})
	var pairs [][2]Seek
	for i := 0; i+1 < len(pool); {
		a, b := pool[i], pool[i+1]
		gap := b.Rating - a.Rating
		if gap <= MatchWindow(now-a.Since) && gap <= MatchWindow(now-b.Since) {
			pairs = append(pairs, [2]Seek{a, b})
			i += 2
			continue
		}
		i++
	}
	return pairs
}

// ConnLimits caps the open connections of one player and of one client address over every
// instance; 0 means no cap.
type ConnLimits struct {
	PerPlayer int
	PerAddr   int
}

// ConnCap names the cap that refused a connection.
type ConnCap int

// The caps of ConnLimits.
const (
	CapNone   ConnCap = iota // the connection was counted
	CapPlayer                // the player has PerPlayer connections open
	CapAddr                  // the address has PerAddr connections open
)

// GatewayConn is an API Gateway WebSocket connection. Its owner is the server instance that
// processes its messages and delivers its events (through the @connections API); any other
// instance that receives a message for it forwards the message to the owner, or takes the
// connection over when the owner is dead.
type GatewayConn struct {
	ID        string // API Gateway connection id
	Owner     string // instance id
	PlayerID  string
	Name      string
	Guest     bool
	ExpiresAt int64  // Unix ms: the session token's expiry
	Addr      string // the client's address (API Gateway's identity.sourceIp); "" if unknown
}

// InstanceTopic is the topic on which an instance receives messages forwarded to it.
func InstanceTopic(instanceID string) string { return "i:" + instanceID }

// Gateway is the registry of API Gateway connections and live instances. Safe for concurrent use.
type Gateway interface {
	// PutConn registers (or replaces) a connection for ttl (API Gateway keeps one at most 2 h).
	PutConn(ctx context.Context, c GatewayConn, ttl time.Duration) error
	// GetConn returns a connection; ErrNotFound when unknown or expired.
	GetConn(ctx context.Context, id string) (GatewayConn, error)
	// ClaimConn makes newOwner the owner if the owner is still oldOwner; it reports success.
	ClaimConn(ctx context.Context, id, oldOwner, newOwner string) (bool, error)
	// DeleteConn forgets a connection (disconnect, or 410 Gone from @connections).
	DeleteConn(ctx context.Context, id string) error
	// Heartbeat marks an instance alive for ttl; InstanceAlive reports whether it still is.
	Heartbeat(ctx context.Context, instanceID string, ttl time.Duration) error
	InstanceAlive(ctx context.Context, instanceID string) (bool, error)
}

// MayTake reports whether playerID may take c for action (the rule of TakeChallenge; the Redis
// store applies the same rule in its script).
func MayTake(c Challenge, playerID string, action ChallengeAction) bool {
	switch action {
	case TakeAccept:
		return c.ToID == playerID || (c.ToID == "" && c.FromID != playerID)
	case TakeDecline:
		return c.ToID != "" && c.ToID == playerID
	case TakeCancel:
		return c.FromID == playerID
	}
	return false
}
