package loadgen

import (
	"bufio"
	"chessplatform/app/internal/devtools/wsclient"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// IdleConfig describes an idle-connection measurement.
type IdleConfig struct {
	URL          string        // -url: one backend
	Conns        int           // -conns: idle authenticated connections to hold
	Hold         time.Duration // -hold: how long to hold them after measuring
	PingInterval time.Duration // -ping: keepalive (the server closes connections silent for 60 s)
	Settle       time.Duration // -settle: wait after connecting before measuring
	PerIP        int           // -per-ip
	IPOffset     int           // -ip-offset
	Concurrency  int           // -setup-concurrency
	ServerPID    int           // -server-pid (required)
	PprofURL     string        // -pprof: http://127.0.0.1:port of the backend's pprof listener (optional)
	Sessions     []Session     // reuse instead of signing in
	// HeapProfile, with PprofURL, saves the backend's heap profile (after a GC) taken while the
	// connections are held, to attribute the bytes per connection.
	HeapProfile string // -heap-profile
	Log         *slog.Logger
}

// DefaultIdleConfig returns the defaults of `loadgen idle`.
func DefaultIdleConfig() IdleConfig {
	return IdleConfig{Conns: 10_000, Hold: 30 * time.Second, PingInterval: 30 * time.Second, Settle: 5 * time.Second,
		PerIP: 20, Concurrency: 64}
}

// Validate checks the configuration; errors name the flag.
func (c *IdleConfig) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("-%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	if c.URL == "" || !(strings.HasPrefix(c.URL, "http://") || strings.HasPrefix(c.URL, "https://")) {
		bad("url", "%q is not a base URL like http://127.0.0.1:8080", c.URL)
	}
	if c.Conns < 1 || c.Conns > 500_000 {
		bad("conns", "%d: must be 1-500000", c.Conns)
	}
	if c.Hold < 0 {
		bad("hold", "%s: must not be negative", c.Hold)
	}
	if c.PingInterval < time.Second || c.PingInterval > 50*time.Second {
		bad("ping", "%s: must be 1s-50s (the server closes connections silent for 60 s)", c.PingInterval)
	}
	if c.Settle < 0 {
		bad("settle", "%s: must not be negative", c.Settle)
	}
	if c.PerIP < 1 || c.PerIP > 30 {
		bad("per-ip", "%d: must be 1-30", c.PerIP)
	}
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		bad("setup-concurrency", "%d: must be 1-1024", c.Concurrency)
	}
	if c.ServerPID <= 0 {
		bad("server-pid", "the backend's process id is required (RSS is read from /proc)")
	}
	if c.PprofURL != "" && !strings.HasPrefix(c.PprofURL, "http://") {
		bad("pprof", "%q is not a URL like http://127.0.0.1:6060", c.PprofURL)
	}
	if c.Sessions != nil && len(c.Sessions) < c.Conns {
		errs = append(errs, fmt.Errorf("%d sessions given, %d needed", len(c.Sessions), c.Conns))
	}
	return errors.Join(errs...)
}

// MemStats are the backend's Go memory figures read from /debug/pprof/heap?debug=1 after a GC.
type MemStats struct {
	HeapInuse  int64 `json:"heapInuse"`
	StackInuse int64 `json:"stackInuse"`
	Sys        int64 `json:"sys"`
	Goroutines int64 `json:"goroutines"`
}

// IdleResult is the outcome of an idle measurement.
type IdleResult struct {
	Conns          int        `json:"conns"`
	Held           int        `json:"held"` // still open (and answering pings) at the end
	ConnectSeconds float64    `json:"connectSeconds"`
	RSSBefore      int64      `json:"rssBefore"`
	RSSAfter       int64      `json:"rssAfter"`
	RSSEnd         int64      `json:"rssEnd"` // after holding
	RSSPerConn     float64    `json:"rssPerConnBytes"`
	MemBefore      *MemStats  `json:"memBefore,omitempty"`
	MemAfter       *MemStats  `json:"memAfter,omitempty"`
	HeapPerConn    float64    `json:"heapPerConnBytes,omitempty"`
	StackPerConn   float64    `json:"stackPerConnBytes,omitempty"`
	GoroutinesPer  float64    `json:"goroutinesPerConn,omitempty"`
	PingIntervalMs int64      `json:"pingIntervalMs"`
	PongsMissed    int64      `json:"pongsMissed"`
	LoadAvg        [3]float64 `json:"loadAvg"`
}

// RunIdle opens Conns authenticated connections that only ping, and measures the backend's
// memory before and after (RSS from /proc, Go heap and stacks from pprof after a forced GC).
func RunIdle(ctx context.Context, cfg IdleConfig) (*IdleResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	sessions := cfg.Sessions
	if sessions == nil {
		var err error
		if sessions, err = SignIn(ctx, []string{cfg.URL}, cfg.Conns, cfg.PerIP, cfg.IPOffset, cfg.Concurrency); err != nil {
			return nil, err
		}
	}
	res := &IdleResult{Conns: cfg.Conns, PingIntervalMs: cfg.PingInterval.Milliseconds()}
	var err error
	if res.MemBefore, res.RSSBefore, err = measureServer(ctx, cfg); err != nil {
		return nil, err
	}
	log.Info("idle: baseline", "rss", res.RSSBefore)

	hc := wsHTTPClient()
	conns := make([]*wsclient.Conn, cfg.Conns)
	pongs := make([]chan struct{}, cfg.Conns)
	var missed atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
	}()
	t0 := time.Now()
	var open sync.WaitGroup
	err = parallel(ctx, cfg.Conns, cfg.Concurrency, func(i int) error {
		ws, err := dialWS(ctx, hc, cfg.URL, sessions[i])
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		conns[i] = ws
		pongs[i] = make(chan struct{}, 1)
		open.Add(1)
		go func() {
			defer open.Done()
			for {
				b, err := ws.Read(ctx)
				if err != nil {
					return
				}
				if m, err := parseMsg(b); err == nil && m.T == "pong" {
					select {
					case pongs[i] <- struct{}{}:
					default:
					}
				}
			}
		}()
		return pingWait(ctx, ws, pongs[i])
	})
	if err != nil {
		return nil, err
	}
	res.ConnectSeconds = time.Since(t0).Seconds()
	log.Info("idle: connected", "conns", cfg.Conns, "seconds", res.ConnectSeconds)
	if err := sleepUntil(ctx, time.Now().Add(cfg.Settle)); err != nil {
		return nil, err
	}
	if res.MemAfter, res.RSSAfter, err = measureServer(ctx, cfg); err != nil {
		return nil, err
	}
	if cfg.HeapProfile != "" && cfg.PprofURL != "" {
		if err := saveURL(ctx, cfg.PprofURL+"/debug/pprof/heap?gc=1", cfg.HeapProfile); err != nil {
			return nil, fmt.Errorf("heap profile: %w", err)
		}
	}
	n := float64(cfg.Conns)
	res.RSSPerConn = float64(res.RSSAfter-res.RSSBefore) / n
	if res.MemBefore != nil && res.MemAfter != nil {
		res.HeapPerConn = float64(res.MemAfter.HeapInuse-res.MemBefore.HeapInuse) / n
		res.StackPerConn = float64(res.MemAfter.StackInuse-res.MemBefore.StackInuse) / n
		res.GoroutinesPer = float64(res.MemAfter.Goroutines-res.MemBefore.Goroutines) / n
	}

	// Hold: every connection pings once per interval (spread out) and must get its pong.
	end := time.Now().Add(cfg.Hold)
	for time.Now().Before(end) {
		round := time.Now()
		err := parallel(ctx, cfg.Conns, cfg.Concurrency, func(i int) error {
			// Spread the round's pings over the interval.
			if err := sleepUntil(ctx, round.Add(time.Duration(int64(cfg.PingInterval)*int64(i)/int64(cfg.Conns)))); err != nil {
				return err
			}
			if pingWait(ctx, conns[i], pongs[i]) != nil {
				missed.Add(1)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	res.PongsMissed = missed.Load()
	for i := range conns {
		if pingWait(ctx, conns[i], pongs[i]) == nil {
			res.Held++
		}
	}
	if s, err := SampleProc(cfg.ServerPID, false); err == nil {
		res.RSSEnd = s.RSSBytes
	}
	res.LoadAvg, _ = LoadAvg()
	return res, nil
}

// saveURL writes the body of a GET to path.
func saveURL(ctx context.Context, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// pingWait sends a ping and waits up to 10 s for a pong.
func pingWait(ctx context.Context, ws *wsclient.Conn, pong chan struct{}) error {
	select { // a pong left over from an earlier round
	case <-pong:
	default:
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ws.Write(wctx, pingFrame()); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	select {
	case <-pong:
		return nil
	case <-wctx.Done():
		return fmt.Errorf("no pong: %w", wctx.Err())
	}
}

// measureServer forces a GC through pprof (when configured), reads the Go memory figures and
// then the process's RSS.
func measureServer(ctx context.Context, cfg IdleConfig) (*MemStats, int64, error) {
	var ms *MemStats
	if cfg.PprofURL != "" {
		m, err := ReadMemStats(ctx, cfg.PprofURL)
		if err != nil {
			return nil, 0, err
		}
		ms = &m
		time.Sleep(time.Second) // let the RSS settle after the collection
	}
	s, err := SampleProc(cfg.ServerPID, false)
	if err != nil {
		return nil, 0, err
	}
	return ms, s.RSSBytes, nil
}

// ReadMemStats runs a GC in the backend (heap profile with gc=1) and parses the runtime.MemStats
// lines the debug=1 heap profile ends with, plus the goroutine count.
func ReadMemStats(ctx context.Context, pprofURL string) (MemStats, error) {
	var m MemStats
	get := func(path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pprofURL+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
		}
		return resp, nil
	}
	resp, err := get("/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HeapInuse = "):
			m.HeapInuse, _ = strconv.ParseInt(strings.TrimPrefix(line, "# HeapInuse = "), 10, 64)
		case strings.HasPrefix(line, "# Stack = "):
			f := strings.Fields(strings.TrimPrefix(line, "# Stack = "))
			if len(f) > 0 {
				m.StackInuse, _ = strconv.ParseInt(f[0], 10, 64)
			}
		case strings.HasPrefix(line, "# Sys = "):
			m.Sys, _ = strconv.ParseInt(strings.TrimPrefix(line, "# Sys = "), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("reading heap profile: %w", err)
	}
	if m.HeapInuse == 0 {
		return m, errors.New("heap profile without runtime.MemStats lines")
	}
	g, err := get("/debug/pprof/goroutine?debug=1")
	if err != nil {
		return m, err
	}
	defer g.Body.Close()
	first, err := bufio.NewReader(g.Body).ReadString('\n')
	if err != nil {
		return m, fmt.Errorf("reading goroutine profile: %w", err)
	}
	if v, ok := strings.CutPrefix(strings.TrimSpace(first), "goroutine profile: total "); ok {
		m.Goroutines, _ = strconv.ParseInt(v, 10, 64)
	}
	return m, nil
}
