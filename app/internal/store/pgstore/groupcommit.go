package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"chessplatform/app/internal/store"
)

// Group commit: a few committer goroutines each take every move commit waiting at that moment
// (different games, no rating writes) and apply them in ONE statement, so one round trip, one
// transaction and one WAL flush serve many games. Nothing waits for a timer: an idle committer
// takes a lone commit at once, and batches form only while committers are busy. Each caller
// still returns only after the statement holding its commit has committed.
//
// Two batches holding commits of the same game (two instances racing for one ply) may lock
// their game rows in opposite orders; PostgreSQL then aborts one with a deadlock error, and
// its commits are retried one by one, which settles them as usual.

// batchSQL is commitSQL for many games at once (without rating writes). Each row of c is one
// commit; a game row is updated only if its own version (and ply count) matches, and a move is
// inserted only for a game updated here. No game appears twice in one batch.
const batchSQL = `
WITH c AS (
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
	                     $8::timestamptz[], $9::integer[], $10::boolean[], $11::integer[], $12::text[], $13::text[],
	                     $14::text[], $15::bigint[], $16::bigint[], $17::timestamptz[])
	    AS c (id, prev, v, state, status, result, reason, ended_at, plies, has_move, ply, uci, san, fen, clock_w, clock_b, played_at)
), g AS (
	UPDATE games
	SET v = c.v, state = c.state::jsonb, status = c.status, result = c.result, reason = c.reason,
	    ended_at = c.ended_at, plies = c.plies
	FROM c
	WHERE games.id = c.id AND games.v = c.prev AND (NOT c.has_move OR games.plies = c.ply - 1)
	RETURNING games.id
), m AS (
	INSERT INTO moves (game_id, ply, uci, san, fen, clock_w, clock_b, played_at)
	SELECT c.id, c.ply, c.uci, c.san, c.fen, c.clock_w, c.clock_b, c.played_at
	FROM c JOIN g ON g.id = c.id
	WHERE c.has_move
	RETURNING 1
)
SELECT c.id,
       CASE WHEN g.id IS NOT NULL THEN 'ok'
            WHEN EXISTS (SELECT 1 FROM games WHERE games.id = c.id) THEN 'conflict'
            ELSE 'missing' END
FROM c LEFT JOIN g ON g.id = c.id`

// maxBatch bounds one statement's commits.
const maxBatch = 64

type pendingCommit struct {
	ctx   context.Context
	c     store.Commit
	state []byte // c.State encoded
	done  chan error
}

func (p *pendingCommit) id() string { return p.c.State.ID }

type groupCommitter struct {
	s       *Store
	queue   chan *pendingCommit
	stop    chan struct{} // closed by close: committers finish their batch and exit
	drained chan struct{} // closed once the committers are gone and the queue answered
	wg      sync.WaitGroup
	batched atomic.Int64 // commits that shared a statement (tests, metrics)
}

func newGroupCommitter(s *Store, workers int) *groupCommitter {
	g := &groupCommitter{s: s, queue: make(chan *pendingCommit, 4*maxBatch),
		stop: make(chan struct{}), drained: make(chan struct{})}
	for i := 0; i < workers; i++ {
		g.wg.Add(1)
		go g.run()
	}
	return g
}

func errClosed() error { return fmt.Errorf("store closed: %w", store.ErrUnavailable) }

func (g *groupCommitter) close() {
	close(g.stop)
	g.wg.Wait()
	// Anyone still queued is told the store is closed (their commit was never sent).
	for {
		select {
		case p := <-g.queue:
			p.done <- errClosed()
		default:
			close(g.drained)
			return
		}
	}
}

// submit queues a commit and waits for its outcome.
func (g *groupCommitter) submit(p *pendingCommit) error {
	select {
	case <-g.stop:
		return errClosed()
	default:
	}
	select {
	case g.queue <- p:
	case <-p.ctx.Done():
		return fmt.Errorf("queueing commit of game %s: %w: %w", p.id(), store.ErrUnavailable, p.ctx.Err())
	case <-g.stop:
		return errClosed()
	}
	// Once queued, wait for the outcome even if ctx ends: the commit may be under way, and the
	// caller must not be told "failed" for something that then commits.
	select {
	case err := <-p.done:
		return err
	case <-g.drained:
		select {
		case err := <-p.done:
			return err
		default:
			return errClosed() // queued after the drain: never sent
		}
	}
}

func (g *groupCommitter) run() {
	defer g.wg.Done()
	var held []*pendingCommit // same game as one in the last batch: goes first next time
	for {
		var first *pendingCommit
		if len(held) > 0 {
			first, held = held[0], held[1:]
		} else {
			select {
			case first = <-g.queue:
			case <-g.stop:
				return
			}
		}
		batch := []*pendingCommit{first}
		games := map[string]bool{first.id(): true}
		for i := 0; i < len(held) && len(batch) < maxBatch; {
			if p := held[i]; !games[p.id()] {
				batch, games[p.id()] = append(batch, p), true
				held = append(held[:i], held[i+1:]...)
				continue
			}
			i++
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case p := <-g.queue:
				if games[p.id()] {
					held = append(held, p)
					continue
				}
				batch, games[p.id()] = append(batch, p), true
			default:
				break drain
			}
		}
		g.commit(batch)
	}
}

// commit runs one batch; a lone commit takes the single-commit statement.
func (g *groupCommitter) commit(batch []*pendingCommit) {
	live := batch[:0]
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			p.done <- fmt.Errorf("commit of game %s not sent: %w: %w", p.id(), store.ErrUnavailable, err)
			continue
		}
		live = append(live, p)
	}
	switch {
	case len(live) == 0:
		return
	case len(live) == 1:
		live[0].done <- g.s.commitOne(live[0].ctx, live[0].c, live[0].state)
		return
	}
	g.batched.Add(int64(len(live)))
	outcomes, err := g.s.commitBatch(live)
	if errors.Is(err, store.ErrUnavailable) {
		for _, p := range live {
			p.done <- err
		}
		return
	}
	if err != nil {
		// The statement failed as a whole (a duplicate move row, say): each commit gets its own
		// attempt, so that only the bad one fails.
		for _, p := range live {
			p.done <- g.s.commitOne(p.ctx, p.c, p.state)
		}
		return
	}
	for _, p := range live {
		if err := outcomeErr(outcomes[p.id()]); err != nil {
			p.done <- fmt.Errorf("committing game %s v%d: %w", p.id(), p.c.State.V, err)
			continue
		}
		p.done <- nil
	}
}

// commitBatch runs batchSQL over commits of distinct games and returns each game's outcome.
func (s *Store) commitBatch(batch []*pendingCommit) (map[string]string, error) {
	n := len(batch)
	var (
		ids, states, statuses, results, reasons = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		prevs, vs, clockW, clockB               = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		ended, played                           = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		plies, ply                              = make([]int32, n), make([]int32, n)
		hasMove                                 = make([]bool, n)
		ucis, sans, fens                        = make([]string, n), make([]string, n), make([]string, n)
	)
	// The statement may run as long as its most patient member waits, at most 30 s.
	var latest time.Time
	for i, p := range batch {
		st := p.c.State
		ids[i], prevs[i], vs[i], states[i] = st.ID, p.c.PrevV, st.V, string(p.state)
		statuses[i], results[i], reasons[i], plies[i] = st.Status, st.Result, st.Reason, int32(len(st.Moves))
		if t := endedAt(st); t != nil {
			ended[i] = pgtype.Timestamptz{Time: *t, Valid: true}
		}
		if m := p.c.Move; m != nil {
			hasMove[i], ply[i], ucis[i], sans[i], fens[i] = true, int32(m.Ply), m.UCI, m.SAN, m.FEN
			clockW[i], clockB[i] = m.ClockW, m.ClockB
			played[i] = pgtype.Timestamptz{Time: time.UnixMilli(m.At).UTC(), Valid: true}
		}
		if d, ok := p.ctx.Deadline(); ok && d.After(latest) {
			latest = d
		}
	}
	limit := time.Now().Add(30 * time.Second)
	if latest.IsZero() || latest.After(limit) {
		latest = limit
	}
	ctx, cancel := context.WithDeadline(context.Background(), latest)
	defer cancel()
	out := make(map[string]string, n)
	err := s.do(ctx, fmt.Sprintf("committing %d games", n), func(ctx context.Context) error {
		clear(out)
		rows, err := s.pool.Query(ctx, batchSQL, ids, prevs, vs, states, statuses, results, reasons, ended,
			plies, hasMove, ply, ucis, sans, fens, clockW, clockB, played)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, outcome string
			if err := rows.Scan(&id, &outcome); err != nil {
				return err
			}
			out[id] = outcome
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("batch commit returned %d outcomes for %d commits", len(out), n)
	}
	return out, nil
}
