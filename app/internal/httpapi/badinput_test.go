package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/httpapi"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/store/pgstore"
)

// pg is the PostgreSQL server of this test binary; each test gets its own database.
var pg *testenv.Postgres

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "httpapi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // the server may run as the postgres user
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	pg, err = testenv.StartPostgres(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting PostgreSQL:", err)
		return 1
	}
	defer pg.Stop()
	return m.Run()
}

var dbSeq atomic.Int64

// freshDB creates a database for one test and returns its DSN.
func freshDB(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("api%d_%d", os.Getpid(), dbSeq.Add(1))
	conn, err := pgx.Connect(ctx, pg.DSN)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE DATABASE `+name)
	require.NoError(t, err)
	u, err := url.Parse(pg.DSN)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// newAPI serves the HTTP API over durable (with an in-memory Live: only Durable differs
// between the modes the API sees).
func newAPI(t testing.TB, durable store.Durable) http.Handler {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv, err := server.New(context.Background(), durable, memstore.NewLive(func() int64 { return time.Now().UnixMilli() }), log, server.Config{})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx, "test over")
	})
	signer, err := authn.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	mux := http.NewServeMux()
	httpapi.New(srv, signer, log, httpapi.Options{AuthPerMinute: 1_000_000}).Register(mux)
	return mux
}

// modes returns the API over the memory store and over a fresh PostgreSQL database.
func modes(t testing.TB) map[string]http.Handler {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pgs, err := pgstore.Open(ctx, pgstore.Config{URL: freshDB(t), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(pgs.Close)
	return map[string]http.Handler{"memory": newAPI(t, memstore.NewDurable()), "postgres": newAPI(t, pgs)}
}

type answer struct {
	Status int
	Code   string
}

func call(h http.Handler, method, target string, body []byte) answer {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return answer{Status: rec.Code, Code: out.Error.Code}
}

func jsonBody(fields map[string]any) []byte {
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	return b
}

// TestBadStringInputsAnswerTheSameInBothStores: the inputs of issue 13 (a NUL byte, invalid
// UTF-8, over-long values in names and ids) get the same clean 4xx from the memory store and
// from PostgreSQL, which answered 503 (SQLSTATE 22021) before they were validated.
func TestBadStringInputsAnswerTheSameInBothStores(t *testing.T) {
	long := strings.Repeat("a", 300)
	type req struct {
		method, target string
		body           []byte
	}
	cases := []struct {
		name string
		req  req
		want answer
	}{
		{"a real player (control)", req{"GET", "/api/players/alice_1", nil}, answer{200, ""}},
		{"no such player (control)", req{"GET", "/api/players/nobody_1", nil}, answer{404, "not_found"}},
		{"player NUL", req{"GET", "/api/players/%00", nil}, answer{404, "not_found"}},
		{"player a NUL b", req{"GET", "/api/players/a%00b", nil}, answer{404, "not_found"}},
		{"player invalid UTF-8", req{"GET", "/api/players/%FF%FE", nil}, answer{404, "not_found"}},
		{"player over-long", req{"GET", "/api/players/" + long, nil}, answer{404, "not_found"}},
		{"player with a control character", req{"GET", "/api/players/ali%0Ace", nil}, answer{404, "not_found"}},
		{"games of NUL", req{"GET", "/api/players/%00/games", nil}, answer{404, "not_found"}},
		{"games of a NUL b", req{"GET", "/api/players/a%00b/games", nil}, answer{404, "not_found"}},
		{"games of invalid UTF-8", req{"GET", "/api/players/%FF%FE/games", nil}, answer{404, "not_found"}},
		{"games before NUL", req{"GET", "/api/players/alice_1/games?before=%00", nil}, answer{400, "bad_request"}},
		{"ratings of NUL", req{"GET", "/api/players/%00/ratings", nil}, answer{404, "not_found"}},
		{"ratings of a NUL b", req{"GET", "/api/players/a%00b/ratings", nil}, answer{404, "not_found"}},
		{"ratings of invalid UTF-8", req{"GET", "/api/players/%FF%FE/ratings", nil}, answer{404, "not_found"}},
		{"ratings speed NUL", req{"GET", "/api/players/alice_1/ratings?speed=%00", nil}, answer{400, "bad_request"}},
		{"game id NUL", req{"GET", "/api/games/g_ab%00cd", nil}, answer{404, "not_found"}},
		{"game id invalid UTF-8", req{"GET", "/api/games/%FF%FE/pgn", nil}, answer{404, "not_found"}},
		{"leaderboard speed invalid UTF-8", req{"GET", "/api/leaderboard?speed=%FF", nil}, answer{400, "bad_request"}},
		{"login NUL in the name", req{"POST", "/api/sessions", []byte(`{"username":"ab\u0000c","password":"whatever-password"}`)}, answer{400, "bad_request"}},
		{"login invalid UTF-8 in the name", req{"POST", "/api/sessions", []byte("{\"username\":\"ab\xff\xfec\",\"password\":\"whatever-password\"}")}, answer{400, "bad_request"}},
		{"login over-long name", req{"POST", "/api/sessions", jsonBody(map[string]any{"username": long, "password": "whatever-password"})}, answer{400, "bad_request"}},
		{"login NUL in the password", req{"POST", "/api/sessions", []byte(`{"username":"alice_1","password":"correct\u0000horse"}`)}, answer{401, "unauthorized"}},
		{"register NUL in the name", req{"POST", "/api/accounts", []byte(`{"username":"ab\u0000c","password":"whatever-password"}`)}, answer{400, "bad_request"}},
		{"register invalid UTF-8 in the name", req{"POST", "/api/accounts", []byte("{\"username\":\"ab\xffc\",\"password\":\"whatever-password\"}")}, answer{400, "bad_request"}},
		{"register over-long name", req{"POST", "/api/accounts", jsonBody(map[string]any{"username": long, "password": "whatever-password"})}, answer{400, "bad_request"}},
		{"register NUL in the password", req{"POST", "/api/accounts", []byte(`{"username":"bob_1","password":"correct\u0000horse"}`)}, answer{400, "bad_request"}},
		{"register over-long password", req{"POST", "/api/accounts", jsonBody(map[string]any{"username": "bob_1", "password": long})}, answer{400, "bad_request"}},
	}
	for mode, h := range modes(t) {
		t.Run(mode, func(t *testing.T) {
			require.Equal(t, answer{201, ""}, call(h, "POST", "/api/accounts", jsonBody(map[string]any{"username": "alice_1", "password": "correct horse battery"})))
			for _, c := range cases {
				assert.Equal(t, c.want, call(h, c.req.method, c.req.target, c.req.body), c.name)
			}
			// Nothing was created by the refused registrations.
			assert.Equal(t, answer{404, "not_found"}, call(h, "GET", "/api/players/bob_1", nil))
		})
	}
}

// FuzzAPIStringParameters sends each input as every path and body string parameter of the
// HTTP API to the API over PostgreSQL and over the memory store: PostgreSQL must never answer
// 5xx, and both must answer the same status and error code. The seed corpus (the cases of
// issue 13) runs as a plain test.
func FuzzAPIStringParameters(f *testing.F) {
	for _, s := range []string{"\x00", "a\x00b", "\xff\xfe", "ab\x00c", "alice_1", "guest-0123abcd", "g_abcd1234",
		"../etc", "%00", strings.Repeat("x", 300), "ab", "Alice_1", "\u00e9l\u00e8ve", "a b", "\t", ""} {
		f.Add(s)
	}
	hs := modes(f)
	for _, h := range hs {
		if got := call(h, "POST", "/api/accounts", jsonBody(map[string]any{"username": "alice_1", "password": "correct horse battery"})); got.Status != 201 {
			f.Fatalf("creating alice_1: %+v", got)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := url.PathEscape(s)
		q := url.QueryEscape(s)
		reqs := []struct {
			method, target string
			body           []byte
		}{
			{"GET", "/api/players/" + p, nil},
			{"GET", "/api/players/" + p + "/games?limit=5&before=" + q, nil},
			{"GET", "/api/players/alice_1/games?before=" + q, nil},
			{"GET", "/api/players/" + p + "/ratings?speed=" + q, nil},
			{"GET", "/api/games/" + p, nil},
			{"GET", "/api/games/" + p + "/pgn", nil},
			{"GET", "/api/leaderboard?speed=" + q + "&limit=" + q, nil},
			{"POST", "/api/sessions", jsonBody(map[string]any{"username": s, "password": s})},
			{"POST", "/api/sessions", jsonBody(map[string]any{"username": "alice_1", "password": s})},
			{"POST", "/api/sessions", []byte(s)},
			{"POST", "/api/accounts", jsonBody(map[string]any{"username": s, "password": "long enough " + s})},
			{"POST", "/api/accounts", []byte(s)},
		}
		for _, r := range reqs {
			got := call(hs["postgres"], r.method, r.target, r.body)
			if got.Status >= 500 {
				t.Fatalf("%s %s %q: PostgreSQL answered %+v", r.method, r.target, r.body, got)
			}
			if mem := call(hs["memory"], r.method, r.target, r.body); mem != got {
				t.Fatalf("%s %s %q: memory %+v, PostgreSQL %+v", r.method, r.target, r.body, mem, got)
			}
		}
	})
}
