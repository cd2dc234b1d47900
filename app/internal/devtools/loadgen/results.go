package loadgen

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"chessplatform/app/internal/devtools/loadgen/hist"
)

// Result is the outcome of one run (JSON).
type Result struct {
	Mode           string `json:"mode"`
	Games          int    `json:"games"`
	Spectators     int    `json:"spectators"`
	Connections    int    `json:"connections"`
	Backends       int    `json:"backends"`
	TC             string `json:"tc"`
	MaxPlies       int    `json:"maxPlies"`
	PingIntervalMs int64  `json:"pingIntervalMs"`
	Setup          struct {
		LibrarySeconds  float64 `json:"librarySeconds"`
		SessionsCreated int     `json:"sessionsCreated"`
		SignInSeconds   float64 `json:"signInSeconds"`
		ConnectSeconds  float64 `json:"connectSeconds"`
		// FirstGames: challenge → all watches acked of each pair's first game, set up before
		// the warmup starts (at most 2×setup-concurrency at once).
		FirstGamesSeconds float64      `json:"firstGamesSeconds"`
		FirstGames        hist.Summary `json:"firstGames"`
	} `json:"setup"`
	Steps        []StepResult `json:"steps"`
	Integrity    Integrity    `json:"integrity"`
	DecodeErrors uint64       `json:"decodeErrors"`
	// UnmeasuredErrors happened during the first setups, the warmup or the drain.
	UnmeasuredErrors map[string]uint64 `json:"unmeasuredErrors"`
}

// StepResult is one measured step: every move scheduled within it.
type StepResult struct {
	Index              int     `json:"index"`
	DurationSec        float64 `json:"durationSec"`
	OfferedMovesPerSec float64 `json:"offeredMovesPerSec"` // 0 in closed mode
	// AchievedMovesPerSec counts the moves scheduled in the step that were acknowledged (by the
	// end of the drain); AcksPerSec counts move acks arriving during the step, whenever their
	// moves were scheduled: the server's throughput when an overload has built a backlog.
	AchievedMovesPerSec float64 `json:"achievedMovesPerSec"`
	AcksPerSec          float64 `json:"acksPerSec"`
	MovesSent           uint64  `json:"movesSent"`
	MovesAcked          uint64  `json:"movesAcked"`
	Pushes              uint64  `json:"pushes"`
	// Ack: scheduled send → the mover's ack; Push: → the opponent's move event; Spectator: →
	// a spectator's move event; Ping: ping → pong; GameSetup: challenge → every watch acked.
	Ack          hist.Summary `json:"ack"`
	Push         hist.Summary `json:"push"`
	Spectator    hist.Summary `json:"spectator"`
	Ping         hist.Summary `json:"ping"`
	GameSetup    hist.Summary `json:"gameSetup"`
	GamesStarted uint64       `json:"gamesStarted"`
	// GamesActive are the games in play (set up, not ended) at the step's start and end.
	GamesActiveStart int64             `json:"gamesActiveStart"`
	GamesActiveEnd   int64             `json:"gamesActiveEnd"`
	Endings          map[string]uint64 `json:"endings"`
	Errors           map[string]uint64 `json:"errors"`
	ConnectionsHeld  int               `json:"connectionsHeld"`
	Server           ProcUse           `json:"server"`
	Postgres         ProcUse           `json:"postgres"`
	Redis            ProcUse           `json:"redis"`
	Loadgen          ProcUse           `json:"loadgen"`
	LoadAvgStart     [3]float64        `json:"loadAvgStart"`
	LoadAvgEnd       [3]float64        `json:"loadAvgEnd"`
	SampleErrors     []string          `json:"sampleErrors,omitempty"`
}

// ProcUse is a process's resource use over a step.
type ProcUse struct {
	CPUCores         float64 `json:"cpuCores"`         // (utime+stime) / wall time
	CPUMicrosPerMove float64 `json:"cpuMicrosPerMove"` // CPU per acknowledged move
	RSSBytes         int64   `json:"rssBytes"`         // at the end of the step
	RSSBytesPerConn  int64   `json:"rssBytesPerConn,omitempty"`
}

// Integrity compares the moves the server acknowledged with those PostgreSQL holds.
type Integrity struct {
	Games       int   `json:"games"`
	MovesSent   int64 `json:"movesSent"`
	MovesAcked  int64 `json:"movesAcked"`
	MovesFailed int64 `json:"movesFailed"` // answered with an error
	Unanswered  int64 `json:"unanswered"`  // neither acked nor rejected by the end of the drain
	Checked     bool  `json:"checked"`
	MovesInDB   int64 `json:"movesInDB"`
	// Lost counts acknowledged moves missing from PostgreSQL (must be 0); Unacked counts moves
	// in PostgreSQL whose ack did not arrive (at most Unanswered).
	Lost      int64    `json:"lost"`
	Unacked   int64    `json:"unacked"`
	LostGames []string `json:"lostGames,omitempty"`
	Equal     bool     `json:"equal"`
	Error     string   `json:"error,omitempty"`
}

// CountMoves returns the number of rows in the moves table per game id.
func CountMoves(ctx context.Context, dsn string, ids []string) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL to count moves: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT game_id, count(*) FROM moves WHERE game_id = ANY($1) GROUP BY game_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("counting moves: %w", err)
	}
	out := make(map[string]int64, len(ids))
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("counting moves: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting moves: %w", err)
	}
	return out, nil
}

// WriteTable prints the short per-step table.
func (r *Result) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "mode=%s games=%d connections=%d spectators=%d tc=%s backends=%d\n",
		r.Mode, r.Games, r.Connections, r.Spectators, r.TC, r.Backends)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\toffered/s\tacked/s\tacks in step/s\tpush p50\tp90\tp99\tp99.9\tmax ms\tack p99\tsrv cores\tsrv µs/move\tsrv RSS MiB\tconns\terrors\tload1\t")
	for _, s := range r.Steps {
		offered := "closed"
		if s.OfferedMovesPerSec > 0 {
			offered = fmt.Sprintf("%.0f", s.OfferedMovesPerSec)
		}
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%.2f\t%.0f\t%.0f\t%d\t%d\t%.2f\t\n",
			s.Index, offered, s.AchievedMovesPerSec, s.AcksPerSec, s.Push.P50Ms, s.Push.P90Ms, s.Push.P99Ms, s.Push.P999Ms, s.Push.MaxMs,
			s.Ack.P99Ms, s.Server.CPUCores, s.Server.CPUMicrosPerMove, float64(s.Server.RSSBytes)/(1<<20),
			s.ConnectionsHeld, sum(s.Errors), s.LoadAvgEnd[0])
	}
	tw.Flush()
	for _, s := range r.Steps {
		if len(s.Errors) > 0 {
			fmt.Fprintf(w, "step %d errors: %s\n", s.Index, formatCounts(s.Errors))
		}
	}
	if len(r.UnmeasuredErrors) > 0 {
		fmt.Fprintf(w, "errors outside the steps: %s\n", formatCounts(r.UnmeasuredErrors))
	}
	in := r.Integrity
	if in.Checked {
		fmt.Fprintf(w, "integrity: %d games, %d moves acked, %d in PostgreSQL, %d lost, %d unanswered, equal=%v\n",
			in.Games, in.MovesAcked, in.MovesInDB, in.Lost, in.Unanswered, in.Equal)
	} else {
		fmt.Fprintf(w, "integrity: %d moves acked, %s\n", in.MovesAcked, in.Error)
	}
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

func formatCounts(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
