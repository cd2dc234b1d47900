package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/game"
	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/pgstore"
	"chessplatform/app/internal/store/redisstore"
)

// realStores is a server's durable and live store on a PostgreSQL and a redis-server of the
// test's own.
type realStores struct {
	pg      *testenv.Postgres
	redis   *testenv.Redis
	durable *pgstore.Store
	live    *redisstore.Store
}

func quietLog() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func startRealStores(t testing.TB) *realStores {
	t.Helper()
	rs := &realStores{pg: testenv.PostgresT(t), redis: testenv.RedisT(t)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := pgstore.Open(ctx, pgstore.Config{URL: rs.pg.DSN, Logger: quietLog()})
	require.NoError(t, err)
	t.Cleanup(d.Close)
	l, err := redisstore.Open(ctx, redisstore.Config{Addr: rs.redis.Addr, Logger: quietLog()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	rs.durable, rs.live = d, l
	return rs
}

// testClock is a server clock the test moves (days between games, so ratings age).
type testClock struct{ ms atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *testClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func startServer(t testing.TB, d store.Durable, l store.Live, cfg Config) *Server {
	t.Helper()
	s, err := New(context.Background(), d, l, quietLog(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx, "test over")
	})
	return s
}

// rankDiff compares Live's rankings with Durable's: every speed's whole leaderboard (names,
// R, RD and games; limit covers everyone) and the ranks of names. It returns "" when they are
// equal.
func rankDiff(ctx context.Context, d store.Durable, l store.Live, names []string, limit int) string {
	for _, sp := range store.RankSpeeds {
		want, err := d.Leaderboard(ctx, sp, limit)
		if err != nil {
			return "durable leaderboard: " + err.Error()
		}
		got, err := l.Leaderboard(ctx, sp, limit)
		if err != nil {
			return "live leaderboard: " + err.Error()
		}
		if len(got) != len(want) {
			return fmt.Sprintf("%s: live ranks %d players, durable %d", sp, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Name != w.Name || g.Rating.R != w.Rating.R || g.Rating.RD != w.Rating.RD || g.Rating.Games != w.Rating.Games {
				return fmt.Sprintf("%s #%d: live %s %v/%v/%d, durable %s %v/%v/%d", sp, i+1,
					g.Name, g.Rating.R, g.Rating.RD, g.Rating.Games, w.Name, w.Rating.R, w.Rating.RD, w.Rating.Games)
			}
		}
	}
	for _, n := range names {
		want, err := d.Ranks(ctx, n)
		if err != nil {
			return "durable ranks: " + err.Error()
		}
		got, err := l.Ranks(ctx, n)
		if err != nil {
			return "live ranks: " + err.Error()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("ranks of %s: live %v, durable %v", n, got, want)
		}
	}
	return ""
}

// seedRating gives a player a rating in Durable directly (a rated game's commit, as the server
// makes it), before any server runs.
func seedRating(t testing.TB, d store.Durable, p, host store.Player, speed rating.Speed, r rating.Rating, now int64) {
	t.Helper()
	ctx := context.Background()
	st := game.New(newGameID(), game.PlayerRef{ID: p.ID, Name: p.Name}, game.PlayerRef{ID: host.ID, Name: host.Name},
		protocol.TimeControl{Minutes: 3}, true, now)
	st.Speed = speed
	require.NoError(t, d.CreateGame(ctx, st))
	out, err := st.Abort(0, 0, now)
	require.NoError(t, err)
	st.Seal(&out)
	rs, err := d.Ratings(ctx, p.ID)
	require.NoError(t, err)
	require.NoError(t, d.CommitGame(ctx, store.Commit{PrevV: 0, State: st, Ratings: []store.RatingWrite{
		{PlayerID: p.ID, Speed: speed, PrevVersion: rs[speed].Version, New: r},
	}}))
}

// playRated plays a rated game through the server's game path: two moves, then White
// resigns (result 0), Black resigns (1) or they agree a draw (2).
func playRated(t testing.TB, s *Server, d store.Durable, white, black store.Player, tc string, result int, now int64) {
	t.Helper()
	ctx := context.Background()
	parsed, err := protocol.ParseTimeControl(tc)
	require.NoError(t, err)
	st := game.New(newGameID(), game.PlayerRef{ID: white.ID, Name: white.Name, Rating: 1500},
		game.PlayerRef{ID: black.ID, Name: black.Name, Rating: 1500}, parsed, true, now)
	require.NoError(t, d.CreateGame(ctx, st))
	act := func(player string, m protocol.ClientMessage) {
		t.Helper()
		m.Game = st.ID
		require.NoError(t, s.gameAction(ctx, player, m), "%s in %s", m.Type, st.ID)
	}
	act(white.ID, protocol.ClientMessage{Type: protocol.TMove, UCI: "e2e4", Ply: 1})
	act(black.ID, protocol.ClientMessage{Type: protocol.TMove, UCI: "e7e5", Ply: 2})
	switch result {
	case 0:
		act(white.ID, protocol.ClientMessage{Type: protocol.TResign})
	case 1:
		act(black.ID, protocol.ClientMessage{Type: protocol.TResign})
	default:
		act(white.ID, protocol.ClientMessage{Type: protocol.TDrawOffer})
		act(black.ID, protocol.ClientMessage{Type: protocol.TDrawAccept})
	}
}

func newStorePlayer(t testing.TB, d store.Durable, name string, guest bool) store.Player {
	t.Helper()
	p := store.Player{ID: NewPlayerID(), Name: name, Guest: guest, CreatedAt: time.Now().UTC()}
	require.NoError(t, d.CreatePlayer(context.Background(), p))
	return p
}

var tcOfSpeed = map[rating.Speed]string{rating.Bullet: "1+0", rating.Blitz: "3+0", rating.Rapid: "10+0", rating.Classical: "30+0"}

// TestRankingsEqualPostgres plays a few hundred rated games between a few hundred players
// through the server's commit path on PostgreSQL and Redis, and requires Redis's leaderboards
// and ranks to equal what PostgreSQL computes, game after game: with exact ties (twins with
// the same history), guests, and players crossing the provisional threshold both ways (seeded
// near it, then aged by days between games).
func TestRankingsEqualPostgres(t *testing.T) {
	rs := startRealStores(t)
	d, l := rs.durable, rs.live
	rng := rand.New(rand.NewPCG(17, 42))
	clock := &testClock{}
	clock.ms.Store(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).UnixMilli())

	host := newStorePlayer(t, d, "host_player", false)
	const nPlayers = 300
	players := make([]store.Player, nPlayers)
	for i := range players {
		players[i] = newStorePlayer(t, d, fmt.Sprintf("p%03d_%c", i, "aB_-0"[i%5]), false)
	}
	// Seeds: half the players start established or close to the threshold in two speeds.
	for i, p := range players[:nPlayers/2] {
		for j, sp := range []rating.Speed{store.RankSpeeds[i%4], store.RankSpeeds[(i+1)%4]} {
			r := rating.Rating{R: 1300 + float64(rng.IntN(900)), RD: 95 + float64(rng.IntN(25)), Vol: 0.06, Games: 20 + j,
				LastRated: clock.Now().UTC()}
			seedRating(t, d, p, host, sp, r, clock.ms.Load())
		}
	}
	// Twins: two identical histories each, so their ratings stay exactly equal.
	twins := players[nPlayers-8:]
	for _, p := range twins {
		seedRating(t, d, p, host, rating.Blitz, rating.Rating{R: 1777, RD: 100, Vol: 0.06, Games: 30, LastRated: clock.Now().UTC()}, clock.ms.Load())
	}
	guests := []store.Player{newStorePlayer(t, d, "guest-aaaa", true), newStorePlayer(t, d, "guest-bbbb", true)}
	for _, g := range guests {
		seedRating(t, d, g, host, rating.Blitz, rating.Rating{R: 2900, RD: 50, Vol: 0.06, Games: 99}, clock.ms.Load())
	}
	names := []string{host.Name, guests[0].Name, guests[1].Name}
	for _, p := range players {
		names = append(names, p.Name)
	}

	s := startServer(t, d, l, Config{Now: clock.Now, TickInterval: time.Hour, MatchInterval: time.Hour,
		ReconcileInterval: time.Hour, EpochInterval: 100 * time.Millisecond})
	ctx := context.Background()
	require.Eventually(t, func() bool { return rankDiff(ctx, d, l, nil, 1000) == "" }, 20*time.Second, 50*time.Millisecond,
		"the rankings were not rebuilt at start")
	require.Empty(t, rankDiff(ctx, d, l, names, 1000))

	// provisional reports a player's provisional state in a speed (true without a rating).
	provisional := func(p store.Player, sp rating.Speed) bool {
		r, err := d.Ratings(ctx, p.ID)
		require.NoError(t, err)
		pr, ok := r[sp]
		return !ok || pr.Rating.Provisional()
	}
	became, left := 0, 0 // crossings of the threshold, counted game by game

	// The twins' games mirror each other: same opponents' twin, same result, same time.
	playRated(t, s, d, twins[0], twins[2], "3+0", 1, clock.ms.Load())
	playRated(t, s, d, twins[1], twins[3], "3+0", 1, clock.ms.Load())
	playRated(t, s, d, twins[4], twins[6], "3+0", 2, clock.ms.Load())
	playRated(t, s, d, twins[5], twins[7], "3+0", 2, clock.ms.Load())

	const nGames = 300
	pool := players[:nPlayers-8]
	for g := 0; g < nGames; g++ {
		if rng.IntN(4) == 0 {
			clock.Advance(time.Duration(rng.IntN(4*24)) * time.Hour) // up to 4 days: RDs grow
		}
		// Mostly seeded players in a speed White was seeded in (so ratings near the threshold
		// get games), sometimes anyone in any speed (new ratings start at RD 500).
		n, sp := nPlayers/2, store.RankSpeeds[rng.IntN(4)]
		w := rng.IntN(n)
		if rng.IntN(5) == 0 {
			n = len(pool)
			w = rng.IntN(n)
		} else {
			sp = store.RankSpeeds[(w+rng.IntN(2))%4]
		}
		b := (w + 1 + rng.IntN(n-1)) % n
		was := [2]bool{provisional(pool[w], sp), provisional(pool[b], sp)}
		playRated(t, s, d, pool[w], pool[b], tcOfSpeed[sp], rng.IntN(3), clock.ms.Load())
		for i, p := range []store.Player{pool[w], pool[b]} {
			switch now := provisional(p, sp); {
			case was[i] && !now:
				became++
			case !was[i] && now:
				left++
			}
		}
		if g%50 == 49 {
			require.Empty(t, rankDiff(ctx, d, l, names, 1000), "after %d games", g+1)
		}
	}
	require.Empty(t, rankDiff(ctx, d, l, names, 1000))

	// The run covered what it claims: both crossings of the threshold, and ties.
	t.Logf("threshold crossings: %d to established, %d back to provisional", became, left)
	assert.GreaterOrEqual(t, became, 3, "too few players became established")
	assert.GreaterOrEqual(t, left, 3, "too few players went back to provisional")
	lb, err := l.Leaderboard(ctx, rating.Blitz, 1000)
	require.NoError(t, err)
	ties := 0
	for i := 1; i < len(lb); i++ {
		if lb[i].Rating.R == lb[i-1].Rating.R {
			ties++
		}
	}
	assert.GreaterOrEqual(t, ties, 2, "the blitz leaderboard has no exact ties")
}

// seedRankedSQL writes n players with ratings in every speed straight into PostgreSQL, with
// many exact ties (R takes 1,500 values); unless allRanked, one in 50 is a guest and about a
// quarter of the ratings are provisional.
func seedRankedSQL(t testing.TB, dsn string, n int, allRanked bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `
		INSERT INTO players (id, name, guest, password_hash, created_at)
		SELECT 'p_seed' || i, 'seed' || i, NOT $2 AND i % 50 = 0, '', now() FROM generate_series(1, $1::integer) AS i`, n, allRanked)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `
		INSERT INTO ratings (player_id, speed, r, rd, vol, games, last_rated, version)
		SELECT 'p_seed' || i, s, 1000 + ((i * 7919 + length(s)) % 1500),
		       50 + ((i * 13 + length(s)) % CASE WHEN $2 THEN 59 ELSE 80 END), 0.06, 30, now(), 1
		FROM generate_series(1, $1::integer) AS i, unnest(ARRAY['bullet', 'blitz', 'rapid', 'classical']) AS s`, n, allRanked)
	require.NoError(t, err)
}
