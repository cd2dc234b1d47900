package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// CreatePlayer implements store.Durable.
func (s *Store) CreatePlayer(ctx context.Context, p store.Player) error {
	if p.ID == "" || p.Name == "" {
		return errors.New("creating player: id and name are required")
	}
	return s.do(ctx, "creating player "+p.ID, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx,
			`INSERT INTO players (id, name, guest, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, p.Name, p.Guest, p.PasswordHash, p.CreatedAt)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation {
			if pgErr.ConstraintName == "players_name_lower_key" {
				return store.ErrNameTaken
			}
			return fmt.Errorf("player id %s exists: %w", p.ID, err)
		}
		return err
	})
}

const playerColumns = `id, name, guest, password_hash, created_at`

func scanPlayer(row pgx.Row) (store.Player, error) {
	var p store.Player
	err := row.Scan(&p.ID, &p.Name, &p.Guest, &p.PasswordHash, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, store.ErrNotFound
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// PlayerByName implements store.Durable (names are case-insensitive).
func (s *Store) PlayerByName(ctx context.Context, name string) (store.Player, error) {
	var p store.Player
	err := s.do(ctx, "reading player "+name, func(ctx context.Context) error {
		var err error
		p, err = scanPlayer(s.pool.QueryRow(ctx, `SELECT `+playerColumns+` FROM players WHERE lower(name) = lower($1)`, name))
		return err
	})
	return p, err
}

// PlayerByID implements store.Durable.
func (s *Store) PlayerByID(ctx context.Context, id string) (store.Player, error) {
	var p store.Player
	err := s.do(ctx, "reading player "+id, func(ctx context.Context) error {
		var err error
		p, err = scanPlayer(s.pool.QueryRow(ctx, `SELECT `+playerColumns+` FROM players WHERE id = $1`, id))
		return err
	})
	return p, err
}

// Ratings implements store.Durable.
func (s *Store) Ratings(ctx context.Context, playerID string) (map[rating.Speed]store.PlayerRating, error) {
	out := map[rating.Speed]store.PlayerRating{}
	err := s.do(ctx, "reading ratings of "+playerID, func(ctx context.Context) error {
		clear(out)
		rows, err := s.pool.Query(ctx,
			`SELECT speed, r, rd, vol, games, last_rated, version FROM ratings WHERE player_id = $1`, playerID)
		if err != nil {
			return err
		}
		var (
			pr   store.PlayerRating
			last pgtype.Timestamptz
		)
		_, err = pgx.ForEachRow(rows, []any{&pr.Speed, &pr.Rating.R, &pr.Rating.RD, &pr.Rating.Vol, &pr.Rating.Games, &last, &pr.Version}, func() error {
			pr.Rating.LastRated = fromTimestamptz(last)
			out[pr.Speed] = pr
			return nil
		})
		return err
	})
	return out, err
}

// Record implements store.Durable: the player's ended games with a result (aborted games have
// none), through the two history indexes.
func (s *Store) Record(ctx context.Context, playerID string) (store.Record, error) {
	var rec store.Record
	err := s.do(ctx, "counting games of "+playerID, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE (white_id = $1 AND result = '1-0') OR (black_id = $1 AND result = '0-1')),
			       count(*) FILTER (WHERE result = '1/2-1/2'),
			       count(*) FILTER (WHERE (white_id = $1 AND result = '0-1') OR (black_id = $1 AND result = '1-0'))
			FROM games
			WHERE (white_id = $1 OR black_id = $1) AND status = 'ended' AND result IN ('1-0', '0-1', '1/2-1/2')`,
			playerID).Scan(&rec.Wins, &rec.Draws, &rec.Losses)
	})
	rec.Games = rec.Wins + rec.Draws + rec.Losses
	return rec, err
}

// RatingHistory implements store.Durable (rating_history_order_idx serves it).
func (s *Store) RatingHistory(ctx context.Context, playerID string, speed rating.Speed, limit int) ([]store.RatingPoint, error) {
	if limit < 0 {
		return nil, fmt.Errorf("rating history: negative limit %d", limit)
	}
	var out []store.RatingPoint
	err := s.do(ctx, "reading rating history of "+playerID, func(ctx context.Context) error {
		out = make([]store.RatingPoint, 0, min(limit, 64))
		rows, err := s.pool.Query(ctx, `
			SELECT game_id, r, rd, vol, games, rated_at FROM rating_history
			WHERE player_id = $1 AND speed = $2
			ORDER BY games DESC, rated_at DESC
			LIMIT $3`, playerID, string(speed), limit)
		if err != nil {
			return err
		}
		var (
			p  store.RatingPoint
			at time.Time
		)
		_, err = pgx.ForEachRow(rows, []any{&p.GameID, &p.Rating.R, &p.Rating.RD, &p.Rating.Vol, &p.Rating.Games, &at}, func() error {
			p.Rating.LastRated = at.UTC()
			out = append(out, p)
			return nil
		})
		return err
	})
	return out, err
}

// CreateGame implements store.Durable.
func (s *Store) CreateGame(ctx context.Context, st *game.State) error {
	if st == nil || st.ID == "" {
		return errors.New("creating game: a state with an id is required")
	}
	b, err := st.EncodeJSON()
	if err != nil {
		return fmt.Errorf("encoding game %s: %w", st.ID, err)
	}
	return s.do(ctx, "creating game "+st.ID, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `
			INSERT INTO games (id, white_id, black_id, tc, rated, speed, status, result, reason, v, plies, state, created_at, ended_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			st.ID, st.White.ID, st.Black.ID, st.TC, st.Rated, string(st.Speed), st.Status, st.Result, st.Reason,
			st.V, len(st.Moves), b, time.UnixMilli(st.CreatedAt).UTC(), endedAt(st))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			switch pgErr.Code {
			case codeUniqueViolation:
				return fmt.Errorf("game %s exists: %w", st.ID, err)
			case codeFKViolation:
				return fmt.Errorf("a player of game %s does not exist: %w: %w", st.ID, store.ErrNotFound, err)
			}
		}
		return err
	})
}

// commitSQL is CommitGame in one statement, so one round trip. The game row is
// compare-and-set on v (and, with a move, on plies, so the moves table never gets a gap or a
// second row for a ply); the move, the rating writes and their rating_history points hang off
// the game update's RETURNING,
// so when v does not match nothing at all is written. A rating write is an update that also
// compares the row's version, or for version 0 an insert that must not find a row. When the
// game matched but a rating did not, the final SELECT calls chess_commit_conflict(), which
// raises: the statement, and with it everything it wrote, is rolled back. In READ COMMITTED a
// concurrent writer of the same row makes us wait and then re-check the WHERE clause against
// the committed row, so exactly one of two commits with the same PrevV can win.
const commitSQL = `
WITH g AS (
	UPDATE games
	SET v = $3, state = $4, status = $5, result = $6, reason = $7, ended_at = $8, plies = $9
	WHERE id = $1 AND v = $2 AND (NOT $10::boolean OR plies = $11::integer - 1)
	RETURNING id
), m AS (
	INSERT INTO moves (game_id, ply, uci, san, fen, clock_w, clock_b, played_at)
	SELECT g.id, $11, $12, $13, $14, $15, $16, $17 FROM g WHERE $10::boolean
	RETURNING 1
), w AS (
	SELECT * FROM unnest($18::text[], $19::text[], $20::bigint[], $21::float8[], $22::float8[],
	                     $23::float8[], $24::integer[], $25::timestamptz[])
	    AS w (player_id, speed, prev, r, rd, vol, games, last_rated)
), ru AS (
	UPDATE ratings t
	SET r = w.r, rd = w.rd, vol = w.vol, games = w.games, last_rated = w.last_rated, version = t.version + 1
	FROM w CROSS JOIN g
	WHERE w.prev > 0 AND t.player_id = w.player_id AND t.speed = w.speed AND t.version = w.prev
	RETURNING 1
), ri AS (
	INSERT INTO ratings (player_id, speed, r, rd, vol, games, last_rated, version)
	SELECT w.player_id, w.speed, w.r, w.rd, w.vol, w.games, w.last_rated, 1 FROM w CROSS JOIN g WHERE w.prev = 0
	ON CONFLICT (player_id, speed) DO NOTHING
	RETURNING 1
), rh AS (
	INSERT INTO rating_history (player_id, speed, game_id, r, rd, vol, games, rated_at)
	SELECT w.player_id, w.speed, g.id, w.r, w.rd, w.vol, w.games, COALESCE(w.last_rated, now()) FROM w CROSS JOIN g
	RETURNING 1
)
SELECT CASE
	WHEN NOT EXISTS (SELECT 1 FROM g) THEN
		CASE WHEN EXISTS (SELECT 1 FROM games WHERE id = $1) THEN 'conflict' ELSE 'missing' END
	WHEN (SELECT count(*) FROM ru) + (SELECT count(*) FROM ri) <> cardinality($18::text[]) THEN chess_commit_conflict($1)
	ELSE 'ok'
END`

// CommitGame implements store.Durable (see commitSQL). It returns only once the commit is
// durable. With group commit on, move commits without rating writes share statements.
func (s *Store) CommitGame(ctx context.Context, c store.Commit) error {
	if err := checkCommit(c); err != nil {
		return err
	}
	b, err := c.State.EncodeJSON()
	if err != nil {
		return fmt.Errorf("encoding game %s: %w", c.State.ID, err)
	}
	if s.group != nil && len(c.Ratings) == 0 {
		return s.group.submit(&pendingCommit{ctx: ctx, c: c, state: b, done: make(chan error, 1)})
	}
	return s.commitOne(ctx, c, b)
}

// commitOne runs commitSQL for one commit whose state is encoded as b.
func (s *Store) commitOne(ctx context.Context, c store.Commit, b []byte) error {
	st := c.State
	args := []any{st.ID, c.PrevV, st.V, b, st.Status, st.Result, st.Reason, endedAt(st), len(st.Moves), c.Move != nil}
	if m := c.Move; m != nil {
		args = append(args, m.Ply, m.UCI, m.SAN, m.FEN, m.ClockW, m.ClockB, time.UnixMilli(m.At).UTC())
	} else {
		args = append(args, 0, "", "", "", 0, 0, nil)
	}
	n := len(c.Ratings)
	ids, speeds, prevs := make([]string, n), make([]string, n), make([]int64, n)
	rs, rds, vols, games := make([]float64, n), make([]float64, n), make([]float64, n), make([]int32, n)
	lasts := make([]pgtype.Timestamptz, n)
	for i, w := range c.Ratings {
		ids[i], speeds[i], prevs[i] = w.PlayerID, string(w.Speed), w.PrevVersion
		rs[i], rds[i], vols[i], games[i] = w.New.R, w.New.RD, w.New.Vol, int32(w.New.Games)
		lasts[i] = toTimestamptz(w.New.LastRated)
	}
	args = append(args, ids, speeds, prevs, rs, rds, vols, games, lasts)

	return s.do(ctx, fmt.Sprintf("committing game %s v%d", st.ID, st.V), func(ctx context.Context) error {
		var outcome string
		err := s.pool.QueryRow(ctx, commitSQL, args...).Scan(&outcome)
		if isMoveDuplicate(err) {
			// The ply is already stored although plies said otherwise: treat it as a lost race.
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
		if err != nil {
			return err
		}
		return outcomeErr(outcome)
	})
}

func isMoveDuplicate(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation && pgErr.TableName == "moves"
}

// outcomeErr maps the outcome column of commitSQL and batchSQL.
func outcomeErr(outcome string) error {
	switch outcome {
	case "ok":
		return nil
	case "conflict":
		return store.ErrConflict
	case "missing":
		return store.ErrNotFound
	}
	return fmt.Errorf("unexpected commit outcome %q", outcome)
}

// checkCommit rejects a commit that cannot be right, before it reaches the database.
func checkCommit(c store.Commit) error {
	if c.State == nil || c.State.ID == "" {
		return errors.New("commit: a state with an id is required")
	}
	if c.State.V <= c.PrevV {
		return fmt.Errorf("commit of game %s: new version %d is not after %d", c.State.ID, c.State.V, c.PrevV)
	}
	if m := c.Move; m != nil && m.Ply != len(c.State.Moves) {
		return fmt.Errorf("commit of game %s: move ply %d but the state has %d moves", c.State.ID, m.Ply, len(c.State.Moves))
	}
	seen := map[[2]string]bool{}
	for _, w := range c.Ratings {
		k := [2]string{w.PlayerID, string(w.Speed)}
		if w.PrevVersion < 0 || seen[k] {
			return fmt.Errorf("commit of game %s: bad rating write %+v", c.State.ID, w)
		}
		seen[k] = true
	}
	return nil
}

// LoadGame implements store.Durable.
func (s *Store) LoadGame(ctx context.Context, id string) (*game.State, error) {
	var b []byte
	err := s.do(ctx, "loading game "+id, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, `SELECT state FROM games WHERE id = $1`, id).Scan(&b)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var st game.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decoding stored game %s: %w", id, err)
	}
	return &st, nil
}

// GameMoves implements store.Durable. The left join tells "no moves yet" (one row of NULLs)
// from "no such game" (no row) in the same round trip.
func (s *Store) GameMoves(ctx context.Context, id string) ([]game.MoveRecord, error) {
	var out []game.MoveRecord
	err := s.do(ctx, "reading moves of "+id, func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, `
			SELECT m.ply, m.uci, m.san, m.fen, m.clock_w, m.clock_b, m.played_at
			FROM games g LEFT JOIN moves m ON m.game_id = g.id
			WHERE g.id = $1
			ORDER BY m.ply`, id)
		if err != nil {
			return err
		}
		var (
			ply            pgtype.Int4
			uci, san, fen  pgtype.Text
			clockW, clockB pgtype.Int8
			at             pgtype.Timestamptz
			found          bool
		)
		_, err = pgx.ForEachRow(rows, []any{&ply, &uci, &san, &fen, &clockW, &clockB, &at}, func() error {
			found = true
			if ply.Valid {
				out = append(out, game.MoveRecord{Ply: int(ply.Int32), UCI: uci.String, SAN: san.String, FEN: fen.String,
					ClockW: clockW.Int64, ClockB: clockB.Int64, At: at.Time.UnixMilli()})
			}
			return nil
		})
		if err == nil && !found {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PlayerGames implements store.Durable: the newest games of each colour from its own index,
// merged. The state is read without its bulky parts (moves, position, clock, acks), which a
// history line does not show.
func (s *Store) PlayerGames(ctx context.Context, playerID string, before time.Time, limit int) ([]store.GameSummary, error) {
	if limit < 0 {
		return nil, fmt.Errorf("player games: negative limit %d", limit)
	}
	var out []store.GameSummary
	if limit == 0 {
		return out, nil
	}
	until := pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}
	if !before.IsZero() {
		until = pgtype.Timestamptz{Time: before, Valid: true}
	}
	err := s.do(ctx, "reading games of "+playerID, func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, `
			SELECT id, plies, state - '{moves,rules,clock,acks}'::text[]
			FROM (
				(SELECT id, plies, state, created_at FROM games
				 WHERE white_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3)
				UNION ALL
				(SELECT id, plies, state, created_at FROM games
				 WHERE black_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3)
			) AS mine
			ORDER BY created_at DESC, id DESC
			LIMIT $3`, playerID, until, limit)
		if err != nil {
			return err
		}
		out, err = appendSummaries(out, rows)
		return err
	})
	return out, err
}

// ActiveGames implements store.Durable, oldest first, from the partial index of running games.
func (s *Store) ActiveGames(ctx context.Context) ([]store.GameVersion, error) {
	var out []store.GameVersion
	err := s.do(ctx, "listing running games", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT id, v FROM games WHERE status <> 'ended' ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.GameVersion, error) {
			var g store.GameVersion
			err := r.Scan(&g.ID, &g.V)
			return g, err
		})
		return err
	})
	return out, err
}

func endedAt(st *game.State) *time.Time {
	if st.EndedAt == 0 {
		return nil
	}
	t := time.UnixMilli(st.EndedAt).UTC()
	return &t
}

func toTimestamptz(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

func fromTimestamptz(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func jsonState(st *game.State) ([]byte, error) { return st.EncodeJSON() }

// appendSummaries reads rows of (id, plies, state without its bulky parts) into game summaries.
func appendSummaries(out []store.GameSummary, rows pgx.Rows) ([]store.GameSummary, error) {
	var (
		id    string
		plies int
		b     []byte
	)
	_, err := pgx.ForEachRow(rows, []any{&id, &plies, &b}, func() error {
		var st game.State
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("decoding stored game %s: %w", id, err)
		}
		sum := store.Summarize(&st)
		sum.Plies = plies
		out = append(out, sum)
		return nil
	})
	return out, err
}
