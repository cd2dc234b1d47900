package server

import (
	"context"
	"errors"
	"time"

	"chessplatform/app/internal/game"
	"chessplatform/app/internal/rating"
	"chessplatform/app/internal/store"
)

// The rankings (leaderboards and ranks per speed) live in Live, kept in step with Durable by the
// commit of every rated game's end (PutResult, atomically with the end's publication). When
// Live has lost them (first start, Redis restarted without its data, a failover to an empty
// replica) one instance rebuilds them from Durable in the background, page by page, while play
// goes on; until it has finished, Live answers store.ErrRankingsNotBuilt and readers fall back
// to Durable (Leaderboard, Ranks below).

// rankPage is how many ranked players the rebuild reads from Durable at a time.
const rankPage = 2000

// rankLease is how long a rebuild is left to the instance that claimed it (renewed with every
// page); one that dies mid-way leaves the job to another after this.
const rankLease = time.Minute

// rankEntries are the ranking entries of a commit's rating writes.
func rankEntries(st *game.State, writes []store.RatingWrite) []store.RankEntry {
	if len(writes) == 0 {
		return nil
	}
	out := make([]store.RankEntry, 0, len(writes))
	for _, w := range writes {
		ref := st.White
		if w.PlayerID == st.Black.ID {
			ref = st.Black
		}
		out = append(out, store.RankEntry{PlayerID: w.PlayerID, Name: ref.Name, Guest: ref.Guest, Speed: w.Speed,
			Rating: w.New, Version: w.PrevVersion + 1})
	}
	return out
}

// durableRanks are the players' current ranking entries of a rated game that has ended, for a
// repair that publishes the end in place of an instance that died before it could: that
// instance's PutResult never ran. Live keeps whichever version is newest, so reading the
// current rows (perhaps already newer than this game's) is safe. Errors only leave the entries
// out (the rebuild after the next loss of Live restores them).
func (s *Server) durableRanks(ctx context.Context, st *game.State) []store.RankEntry {
	if !st.Ended() || !st.Rated || st.Ratings == nil {
		return nil
	}
	var out []store.RankEntry
	for _, ref := range []game.PlayerRef{st.White, st.Black} {
		rs, err := s.durable.Ratings(ctx, ref.ID)
		if err != nil {
			s.log.WarnContext(ctx, "reading ratings to repair the rankings", "player", ref.ID, "err", err)
			continue
		}
		if r, ok := rs[st.Speed]; ok {
			out = append(out, store.RankEntry{PlayerID: ref.ID, Name: ref.Name, Guest: ref.Guest, Speed: st.Speed,
				Rating: r.Rating, Version: r.Version})
		}
	}
	return out
}

// rankingsLoop checks the rankings at start, every EpochInterval, and at once when checkEpoch
// finds Live empty.
func (s *Server) rankingsLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.EpochInterval)
	defer t.Stop()
	for {
		s.checkRankings(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.rankKick:
		}
	}
}

// kickRankings wakes rankingsLoop without waiting for it.
func (s *Server) kickRankings() {
	select {
	case s.rankKick <- struct{}{}:
	default:
	}
}

// checkRankings rebuilds the rankings in Live from Durable when they are missing and no other
// instance is rebuilding them. It runs in its own loop, so a long rebuild delays nothing else.
func (s *Server) checkRankings(ctx context.Context) {
	token, claimed, err := s.live.ClaimRankRebuild(ctx, rankLease.Milliseconds())
	if err != nil {
		s.log.WarnContext(ctx, "checking the rankings", "err", err)
		return
	}
	if !claimed {
		return
	}
	start := time.Now()
	n, err := s.rebuildRankings(ctx)
	if err == nil {
		err = s.live.FinishRankRebuild(ctx, token)
	}
	if err != nil {
		// The lease runs out and the next check (here or elsewhere) starts again.
		s.log.WarnContext(ctx, "rebuilding the rankings", "err", err, "players", n)
		return
	}
	s.log.InfoContext(ctx, "rankings rebuilt from durable store", "entries", n, "ms", time.Since(start).Milliseconds())
}

// rebuildRankings copies every ranked rating of Durable into Live.
func (s *Server) rebuildRankings(ctx context.Context) (int, error) {
	n := 0
	for _, speed := range store.RankSpeeds {
		after := ""
		for {
			page, err := s.durable.RankedPage(ctx, speed, after, rankPage)
			if err != nil {
				return n, err
			}
			if len(page) == 0 {
				break
			}
			// Keep the lease while the copy runs (a large one may outlast it): another
			// instance's claim would start over from empty sets under this one.
			held, err := s.live.RenewRankRebuild(ctx, rankLease.Milliseconds())
			if err != nil {
				return n, err
			}
			if !held {
				return n, errors.New("the rebuild lease was lost")
			}
			if err := s.live.LoadRanks(ctx, page); err != nil {
				return n, err
			}
			n += len(page)
			after = page[len(page)-1].PlayerID
		}
	}
	return n, nil
}

// Leaderboard lists the first limit ranked players of a speed from Live, or from Durable while
// Live cannot answer (rankings being rebuilt, Redis down): both rank the same way.
func (s *Server) Leaderboard(ctx context.Context, speed rating.Speed, limit int) ([]store.LeaderboardEntry, error) {
	lb, err := s.live.Leaderboard(ctx, speed, limit)
	if err == nil {
		return lb, nil
	}
	s.logFallback(ctx, "leaderboard", err)
	return s.durable.Leaderboard(ctx, speed, limit)
}

// Ranks returns a player's rank per speed (exact name) from Live, or from Durable while Live
// cannot answer.
func (s *Server) Ranks(ctx context.Context, name string) (map[rating.Speed]int, error) {
	r, err := s.live.Ranks(ctx, name)
	if err == nil {
		return r, nil
	}
	s.logFallback(ctx, "ranks", err)
	return s.durable.Ranks(ctx, name)
}

func (s *Server) logFallback(ctx context.Context, what string, err error) {
	if errors.Is(err, store.ErrRankingsNotBuilt) {
		s.log.DebugContext(ctx, "rankings not built yet; answering from the durable store", "read", what)
		return
	}
	s.log.WarnContext(ctx, "reading rankings from live storage; answering from the durable store", "read", what, "err", err)
}
