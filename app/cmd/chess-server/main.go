// Command chess-server is the chess backend: the direct WebSocket transport, the API Gateway
// integration endpoints and the HTTP API, over PostgreSQL and Redis, or over process memory in
// single-instance mode when neither is configured.
//
// Every flag can also be set through the environment variable named in its help text; flags
// win. Secrets (the token key, database and Redis passwords) come only from the environment,
// where ECS injects them from Secrets Manager.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/httpapi"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/store/pgstore"
	"chessplatform/app/internal/store/redisstore"
	"chessplatform/app/internal/transport/apigw"
	"chessplatform/app/internal/transport/clientip"
)

type config struct {
	listen          string
	logLevel        slog.Level
	tokenKey        []byte
	tokenKeysOld    [][]byte
	tokenTTL        time.Duration
	allowedOrigins  []string
	shutdownTimeout time.Duration
	startupTimeout  time.Duration
	devInsecureKey  bool
	// trustForwardedFor: behind the ALB, which sets X-Forwarded-For.
	trustForwardedFor bool
	pprofAddr         string
	authPerMinute     int
	forwardedForHops  int
	connLimits        store.ConnLimits
	abandonTimeout    time.Duration
}

func main() {
	// Container health check mode: distroless images have no shell or curl, so ECS runs
	// ["CMD", "/usr/local/bin/chess-server", "-healthcheck"].
	if len(os.Args) == 2 && os.Args[1] == "-healthcheck" {
		os.Exit(healthcheck(os.Getenv))
	}
	// Migration mode (the backend task's migrate init container): apply the schema migrations and exit.
	if len(os.Args) == 2 && os.Args[1] == "-migrate" {
		if err := migrate(context.Background(), os.Getenv, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "chess-server -migrate:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chess-server:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr *os.File) error {
	cfg, err := parseConfig(args, getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	if cfg.devInsecureKey {
		log.Warn("TOKEN_KEY is not set: using a random key for this process (sessions end at restart); set TOKEN_KEY in every real deployment")
	}
	signer, err := authn.NewSigner(cfg.tokenKey, cfg.tokenKeysOld...)
	if err != nil {
		return fmt.Errorf("TOKEN_KEY: %w", err)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	stores, err := openStores(ctx, getenv, log, cfg.startupTimeout)
	if err != nil {
		return err
	}
	defer stores.close()
	gwOpts, err := apigwOptions(ctx, getenv, stores.gateway)
	if err != nil {
		return err
	}

	be, err := backend.New(ctx, backend.Options{
		Durable: stores.durable, Live: stores.live, DurableName: stores.durableName, LiveName: stores.liveName,
		Signer: signer, Log: log, AllowedOrigins: cfg.allowedOrigins, TokenTTL: cfg.tokenTTL, APIGW: gwOpts,
		TrustForwardedFor: cfg.trustForwardedFor, ForwardedForHops: cfg.forwardedForHops,
		API:    httpapi.Options{AuthPerMinute: cfg.authPerMinute},
		Server: server.Config{ConnLimits: cfg.connLimits, AbandonTimeout: cfg.abandonTimeout},
	})
	if err != nil {
		return err
	}
	mux := be.Handler
	httpSrv := &http.Server{
		Addr:              cfg.listen,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.pprofAddr != "" {
		// Profiling on its own (loopback) listener, never on the public port.
		pmux := http.NewServeMux()
		pmux.HandleFunc("/debug/pprof/", pprof.Index)
		pmux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		pmux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		go func() {
			psrv := &http.Server{Addr: cfg.pprofAddr, Handler: pmux, ReadHeaderTimeout: 10 * time.Second}
			if err := psrv.ListenAndServe(); err != nil {
				log.Warn("pprof listener stopped", "err", err)
			}
		}()
		log.Info("pprof listening", "addr", cfg.pprofAddr)
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.ListenAndServe() }()
	log.Info("chess-server listening", "addr", cfg.listen)

	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining connections", "timeout", cfg.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	// Stop accepting new requests first, then tell WebSocket clients to reconnect elsewhere.
	if err := httpSrv.Shutdown(sctx); err != nil {
		log.Warn("HTTP shutdown", "err", err)
	}
	if err := be.Shutdown(sctx); err != nil {
		log.Warn("backend shutdown", "err", err)
	}
	log.Info("stopped")
	return nil
}

type stores struct {
	durable               store.Durable
	live                  store.Live
	gateway               store.Gateway
	durableName, liveName string
	close                 func()
}

// openStores picks the storage: PostgreSQL and Redis when configured (both or neither), memory
// otherwise. A dependency that is not reachable yet is retried until startupTimeout, since a
// task may start while its database is failing over.
func openStores(ctx context.Context, getenv func(string) string, log *slog.Logger, startupTimeout time.Duration) (stores, error) {
	pgSet := getenv("DATABASE_URL") != "" || getenv("DB_HOST") != "" || getenv("DB_SECRET_ARN") != ""
	redisSet := getenv("REDIS_URL") != "" || getenv("REDIS_ADDR") != ""
	switch {
	case !pgSet && !redisSet:
		log.Info("single-instance mode: no DATABASE_URL/DB_HOST or REDIS_URL/REDIS_ADDR; games and accounts live in memory and are lost at exit")
		now := func() int64 { return time.Now().UnixMilli() }
		return stores{
			durable: memstore.NewDurable(), live: memstore.NewLive(now), gateway: memstore.NewGateway(now),
			durableName: "memory-durable", liveName: "memory-live", close: func() {},
		}, nil
	case pgSet != redisSet:
		return stores{}, errors.New("configure both PostgreSQL (DATABASE_URL or DB_HOST) and Redis (REDIS_URL or REDIS_ADDR), or neither for single-instance mode")
	}
	pgCfg, err := pgstore.ConfigFromEnv(getenv)
	if err != nil {
		return stores{}, err
	}
	pgCfg.Logger = log
	redisCfg, err := redisstore.ConfigFromEnv(getenv)
	if err != nil {
		return stores{}, err
	}
	redisCfg.Logger = log
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	pg, err := retry(ctx, log, "PostgreSQL", func() (*pgstore.Store, error) { return pgstore.Open(ctx, pgCfg) })
	if err != nil {
		return stores{}, err
	}
	rd, err := retry(ctx, log, "Redis", func() (*redisstore.Store, error) { return redisstore.Open(ctx, redisCfg) })
	if err != nil {
		pg.Close()
		return stores{}, err
	}
	log.Info("stores open", "postgres", pgCfg, "redis", redisCfg.Addr)
	return stores{
		durable: pg, live: rd, gateway: rd, durableName: "postgres", liveName: "redis",
		close: func() { _ = rd.Close(); pg.Close() },
	}, nil
}

// retry calls open until it succeeds or ctx ends.
func retry[T any](ctx context.Context, log *slog.Logger, what string, open func() (T, error)) (T, error) {
	delay := 500 * time.Millisecond
	for {
		v, err := open()
		if err == nil {
			return v, nil
		}
		log.Warn("dependency not ready; retrying", "dependency", what, "err", err, "in", delay.String())
		select {
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("opening %s: %w", what, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// apigwOptions enables the API Gateway path when APIGW_MANAGEMENT_ENDPOINT is set.
func apigwOptions(ctx context.Context, getenv func(string) string, gw store.Gateway) (*backend.APIGWOptions, error) {
	endpoint := getenv("APIGW_MANAGEMENT_ENDPOINT")
	if endpoint == "" {
		return nil, nil
	}
	var secrets []string
	for _, k := range []string{"APIGW_SHARED_SECRET", "APIGW_SHARED_SECRET_PREVIOUS"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			secrets = append(secrets, v)
		}
	}
	if len(secrets) == 0 {
		return nil, errors.New("APIGW_SHARED_SECRET is required when APIGW_MANAGEMENT_ENDPOINT is set")
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for @connections: %w", err)
	}
	poster, err := apigw.NewLeanClient(awsCfg, apigw.ClientOptions{Endpoint: endpoint})
	if err != nil {
		return nil, fmt.Errorf("APIGW_MANAGEMENT_ENDPOINT: %w", err)
	}
	return &backend.APIGWOptions{Gateway: gw, Poster: poster, Handler: apigw.Options{Secrets: secrets}}, nil
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("chess-server", flag.ContinueOnError)
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	listen := fs.String("listen", env("LISTEN_ADDR", ":8080"), "listen address (env LISTEN_ADDR)")
	level := fs.String("log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn, error (env LOG_LEVEL)")
	ttlDefault, err := envDuration(getenv, "TOKEN_TTL", 24*time.Hour)
	if err != nil {
		return config{}, err
	}
	shutdownDefault, err := envDuration(getenv, "SHUTDOWN_TIMEOUT", 20*time.Second)
	if err != nil {
		return config{}, err
	}
	startupDefault, err := envDuration(getenv, "STARTUP_TIMEOUT", 60*time.Second)
	if err != nil {
		return config{}, err
	}
	ttl := fs.Duration("token-ttl", ttlDefault, "session token lifetime (env TOKEN_TTL)")
	abandonDefault, err := envDuration(getenv, "ABANDON_TIMEOUT", server.DefaultAbandonTimeout)
	if err != nil {
		return config{}, err
	}
	abandon := fs.Duration("abandon-timeout", abandonDefault, "how long a player must have been gone before the opponent may claim the game (env ABANDON_TIMEOUT; 1s-10m)")
	authDefault, err := envInt(getenv, "AUTH_PER_MINUTE", 30)
	if err != nil {
		return config{}, err
	}
	perPlayerDefault, err := envInt(getenv, "MAX_CONNS_PER_PLAYER", server.DefaultConnLimits().PerPlayer)
	if err != nil {
		return config{}, err
	}
	perAddrDefault, err := envInt(getenv, "MAX_CONNS_PER_ADDR", server.DefaultConnLimits().PerAddr)
	if err != nil {
		return config{}, err
	}
	hopsDefault, err := envInt(getenv, "FORWARDED_FOR_HOPS", backend.DefaultForwardedForHops)
	if err != nil {
		return config{}, err
	}
	perPlayer := fs.Int("max-conns-per-player", perPlayerDefault, "open WebSocket connections allowed per player over every instance, both transports (env MAX_CONNS_PER_PLAYER; 1-1000)")
	perAddr := fs.Int("max-conns-per-addr", perAddrDefault, "open WebSocket connections allowed per client address over every instance, both transports (env MAX_CONNS_PER_ADDR; 1-1000000)")
	hops := fs.Int("forwarded-for-hops", hopsDefault, "with -trust-forwarded-for: the trusted proxies that append to X-Forwarded-For, CloudFront and the ALB (env FORWARDED_FOR_HOPS; 1-5)")
	authPerMinute := fs.Int("auth-per-minute", authDefault, "account creations and logins allowed per client IP per minute (env AUTH_PER_MINUTE); raise it only for load tests")
	pprofAddr := fs.String("pprof", getenv("PPROF_ADDR"), "serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (env PPROF_ADDR); off by default")
	trustXFF := fs.Bool("trust-forwarded-for", getenv("TRUST_FORWARDED_FOR") == "true", "use X-Forwarded-For for per-IP limits; only behind a proxy that sets it, like the ALB (env TRUST_FORWARDED_FOR=true)")
	origins := fs.String("allowed-origins", env("ALLOWED_ORIGINS", ""), "comma-separated extra browser origins (host patterns) allowed on /ws (env ALLOWED_ORIGINS)")
	shutdown := fs.Duration("shutdown-timeout", shutdownDefault, "how long to drain connections on SIGTERM (env SHUTDOWN_TIMEOUT)")
	startup := fs.Duration("startup-timeout", startupDefault, "how long to wait for PostgreSQL and Redis at start (env STARTUP_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	cfg := config{listen: *listen, tokenTTL: *ttl, shutdownTimeout: *shutdown, startupTimeout: *startup, trustForwardedFor: *trustXFF, pprofAddr: *pprofAddr}
	if *authPerMinute < 1 || *authPerMinute > 1_000_000 {
		return config{}, fmt.Errorf("auth per minute %d: must be between 1 and 1000000", *authPerMinute)
	}
	cfg.authPerMinute = *authPerMinute
	if *perPlayer < 1 || *perPlayer > 1000 {
		return config{}, fmt.Errorf("MAX_CONNS_PER_PLAYER (-max-conns-per-player) %d: must be between 1 and 1000", *perPlayer)
	}
	if *perAddr < 1 || *perAddr > 1_000_000 {
		return config{}, fmt.Errorf("MAX_CONNS_PER_ADDR (-max-conns-per-addr) %d: must be between 1 and 1000000", *perAddr)
	}
	if *hops < 1 || *hops > clientip.MaxHops {
		return config{}, fmt.Errorf("FORWARDED_FOR_HOPS (-forwarded-for-hops) %d: must be between 1 and %d", *hops, clientip.MaxHops)
	}
	cfg.connLimits = store.ConnLimits{PerPlayer: *perPlayer, PerAddr: *perAddr}
	if *abandon < server.MinAbandonTimeout || *abandon > server.MaxAbandonTimeout {
		return config{}, fmt.Errorf("ABANDON_TIMEOUT (-abandon-timeout) %s: must be between %s and %s", *abandon, server.MinAbandonTimeout, server.MaxAbandonTimeout)
	}
	cfg.abandonTimeout = *abandon
	cfg.forwardedForHops = *hops
	if cfg.pprofAddr != "" {
		host, _, err := net.SplitHostPort(cfg.pprofAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return config{}, fmt.Errorf("pprof address %q: must be a loopback host:port such as 127.0.0.1:6060", cfg.pprofAddr)
		}
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return config{}, fmt.Errorf("log level %q: must be debug, info, warn or error", *level)
	}
	if *ttl < time.Minute || *ttl > 30*24*time.Hour {
		return config{}, fmt.Errorf("token TTL %s: must be between 1m and 720h", *ttl)
	}
	if *shutdown <= 0 {
		return config{}, fmt.Errorf("shutdown timeout %s: must be positive", *shutdown)
	}
	if *startup <= 0 {
		return config{}, fmt.Errorf("startup timeout %s: must be positive", *startup)
	}
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.allowedOrigins = append(cfg.allowedOrigins, o)
		}
	}
	key, err := decodeKey(getenv("TOKEN_KEY"))
	if err != nil {
		return config{}, fmt.Errorf("TOKEN_KEY: %w", err)
	}
	if key == nil {
		if getenv("CHESS_ENV") == "production" {
			return config{}, errors.New("TOKEN_KEY is required when CHESS_ENV=production")
		}
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails (Go 1.24+)
		cfg.devInsecureKey = true
	}
	cfg.tokenKey = key
	for _, old := range strings.Split(getenv("TOKEN_KEYS_PREVIOUS"), ",") {
		if old = strings.TrimSpace(old); old == "" {
			continue
		}
		k, err := decodeKey(old)
		if err != nil {
			return config{}, fmt.Errorf("TOKEN_KEYS_PREVIOUS: %w", err)
		}
		cfg.tokenKeysOld = append(cfg.tokenKeysOld, k)
	}
	// TOKEN_KEY_NEXT: the key the next rotation makes current (the session-key secret's
	// "next"), accepted now so that this task accepts the tokens of tasks started after it.
	if next := strings.TrimSpace(getenv("TOKEN_KEY_NEXT")); next != "" {
		k, err := decodeKey(next)
		if err != nil {
			return config{}, fmt.Errorf("TOKEN_KEY_NEXT: %w", err)
		}
		cfg.tokenKeysOld = append(cfg.tokenKeysOld, k)
	}
	return cfg, nil
}

// healthcheck asks this container's own server for /healthz and returns the exit status ECS
// expects: 0 healthy, 1 not.
func healthcheck(getenv func(string) string) int {
	addr := getenv("LISTEN_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck: LISTEN_ADDR:", err)
		return 1
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck: status", resp.StatusCode)
		return 1
	}
	return 0
}

// decodeKey reads an optional key: nil when unset.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return authn.ParseKey(s)
}

// envDuration reads a duration from the environment, def when unset.
func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	s := getenv(key)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a duration like 30s or 24h", key, s)
	}
	return d, nil
}

func envInt(getenv func(string) string, key string, def int) (int, error) {
	s := getenv(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not an integer", key, s)
	}
	return n, nil
}
