package redisstore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config says how to reach Redis and tunes the store. Zero values take the defaults noted.
type Config struct {
	Addr     string // host:port (required)
	DB       int
	Username string // RBAC user; empty for the default user (AUTH token only)
	Password string // AUTH token or the RBAC user's password
	// TLS turns on TLS with server certificate and name verification (ElastiCache in-transit
	// encryption). CAFile adds a PEM bundle of trusted roots to the system ones.
	TLS    bool
	CAFile string
	// ServerName overrides the name the certificate must carry (default: the host of Addr).
	ServerName string
	PoolSize   int // connections per instance; go-redis default (10 per CPU) when 0

	// KeyPrefix namespaces every key and pub/sub channel, so two stacks or tests can share a
	// server. It must not contain '{' or '}' (those mark Redis Cluster hash tags).
	KeyPrefix string
	// InstanceID names this server instance for presence (default: host name + random suffix).
	InstanceID string

	HeartbeatInterval  time.Duration // presence heartbeat of this instance; 5 s
	HeartbeatTTL       time.Duration // an instance without heartbeat for this long is dead; 15 s
	EndedGameTTL       time.Duration // how long an ended game stays cached; 1 h
	SubscriptionBuffer int           // messages a Subscription holds for a slow reader; 16384
	PubSubPing         time.Duration // idle time after which a subscription pings Redis; 3 s
	PubSubPingTimeout  time.Duration // no answer for this long: reconnect the subscription; 5 s
	OpTimeout          time.Duration // bound for calls whose context has no deadline; 10 s

	Now    func() int64 // Unix ms; the store's clock (challenge expiry); time.Now
	Logger *slog.Logger // slog.Default()

	protocol int // RESP version; 0 lets go-redis negotiate (3, falling back to 2). Tests pin it.
}

// Environment variable names read by ConfigFromEnv.
const (
	EnvURL       = "REDIS_URL"        // redis://[user:password@]host:port[/db] or rediss://...
	EnvAddr      = "REDIS_ADDR"       // host:port, instead of REDIS_URL
	EnvTLS       = "REDIS_TLS"        // true: TLS (implied by rediss://)
	EnvCAFile    = "REDIS_CA_FILE"    // optional PEM bundle of trusted roots
	EnvUsername  = "REDIS_USERNAME"   // RBAC user
	EnvPassword  = "REDIS_PASSWORD"   // AUTH token or RBAC password (from Secrets Manager)
	EnvPoolSize  = "REDIS_POOL_SIZE"  // optional
	EnvKeyPrefix = "REDIS_KEY_PREFIX" // optional
)

// ConfigFromEnv reads the connection settings from the environment (see the Env constants).
// Errors name the variable at fault. Tuning fields keep their zero values (defaults).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	rawURL, addr := strings.TrimSpace(getenv(EnvURL)), strings.TrimSpace(getenv(EnvAddr))
	switch {
	case rawURL != "" && addr != "":
		return c, fmt.Errorf("%s and %s are both set; set one", EnvURL, EnvAddr)
	case rawURL == "" && addr == "":
		return c, fmt.Errorf("%s or %s must be set", EnvURL, EnvAddr)
	}
	urlTLS := false
	if rawURL != "" {
		u, err := url.Parse(rawURL)
		if err != nil {
			return c, fmt.Errorf("%s: %w", EnvURL, err)
		}
		switch u.Scheme {
		case "redis":
		case "rediss":
			urlTLS = true
		default:
			return c, fmt.Errorf("%s: scheme must be redis:// or rediss://, not %q", EnvURL, u.Scheme)
		}
		if u.Host == "" {
			return c, fmt.Errorf("%s: no host", EnvURL)
		}
		if u.RawQuery != "" {
			return c, fmt.Errorf("%s: query parameters are not supported; use the REDIS_* variables", EnvURL)
		}
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = "6379"
		}
		c.Addr = net.JoinHostPort(host, port)
		if db := strings.TrimPrefix(u.Path, "/"); db != "" {
			n, err := strconv.Atoi(db)
			if err != nil || n < 0 {
				return c, fmt.Errorf("%s: database %q is not a non-negative number", EnvURL, db)
			}
			c.DB = n
		}
		if u.User != nil {
			c.Username = u.User.Username()
			// rediss://:token@host carries an AUTH token only; rediss://user@host names an RBAC
			// user whose password comes from REDIS_PASSWORD.
			c.Password, _ = u.User.Password()
		}
	} else {
		c.Addr = addr
	}
	if v := getenv(EnvTLS); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%s: %q is not a boolean", EnvTLS, v)
		}
		if urlTLS && !on {
			return c, fmt.Errorf("%s=false contradicts the rediss:// scheme of %s", EnvTLS, EnvURL)
		}
		c.TLS = on
	}
	c.TLS = c.TLS || urlTLS
	c.CAFile = getenv(EnvCAFile)
	if user := getenv(EnvUsername); user != "" {
		if c.Username != "" {
			return c, fmt.Errorf("%s is set and %s names a user too; set one", EnvUsername, EnvURL)
		}
		c.Username = user
	}
	if pw := getenv(EnvPassword); pw != "" {
		if c.Password != "" {
			return c, fmt.Errorf("%s is set and %s carries a password too; set one", EnvPassword, EnvURL)
		}
		c.Password = pw
	}
	if v := getenv(EnvPoolSize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive number", EnvPoolSize, v)
		}
		c.PoolSize = n
	}
	c.KeyPrefix = getenv(EnvKeyPrefix)
	return c, c.Validate()
}

// Validate checks the configuration; errors name the environment variable where there is one.
func (c Config) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("redis address is empty (%s or %s)", EnvURL, EnvAddr)
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("redis address %q is not host:port (%s or %s)", c.Addr, EnvURL, EnvAddr)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return fmt.Errorf("redis address %q has a bad port (%s or %s)", c.Addr, EnvURL, EnvAddr)
	}
	if c.DB < 0 {
		return fmt.Errorf("redis database %d is negative (%s)", c.DB, EnvURL)
	}
	if c.Username != "" && c.Password == "" {
		return fmt.Errorf("%s is set without a password (%s)", EnvUsername, EnvPassword)
	}
	if c.CAFile != "" {
		if !c.TLS {
			return fmt.Errorf("%s is set but TLS is off (%s=true or rediss://)", EnvCAFile, EnvTLS)
		}
		if _, err := loadCAs(c.CAFile); err != nil {
			return fmt.Errorf("%s: %w", EnvCAFile, err)
		}
	}
	if c.PoolSize < 0 {
		return fmt.Errorf("%s: pool size %d is negative", EnvPoolSize, c.PoolSize)
	}
	if strings.ContainsAny(c.KeyPrefix, "{}") {
		return fmt.Errorf("%s: %q must not contain '{' or '}'", EnvKeyPrefix, c.KeyPrefix)
	}
	if strings.ContainsAny(c.InstanceID, " \t\r\n") {
		return fmt.Errorf("instance id %q contains white space", c.InstanceID)
	}
	for name, d := range map[string]time.Duration{
		"HeartbeatInterval": c.HeartbeatInterval, "HeartbeatTTL": c.HeartbeatTTL, "EndedGameTTL": c.EndedGameTTL,
		"PubSubPing": c.PubSubPing, "PubSubPingTimeout": c.PubSubPingTimeout, "OpTimeout": c.OpTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("%s %v is negative", name, d)
		}
	}
	if c.SubscriptionBuffer < 0 {
		return fmt.Errorf("SubscriptionBuffer %d is negative", c.SubscriptionBuffer)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 5 * time.Second
	}
	if c.HeartbeatTTL == 0 {
		c.HeartbeatTTL = 3 * c.HeartbeatInterval
	}
	if c.EndedGameTTL == 0 {
		c.EndedGameTTL = time.Hour
	}
	if c.SubscriptionBuffer == 0 {
		c.SubscriptionBuffer = 16384
	}
	if c.PubSubPing == 0 {
		c.PubSubPing = 3 * time.Second
	}
	if c.PubSubPingTimeout == 0 {
		c.PubSubPingTimeout = 5 * time.Second
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = func() int64 { return time.Now().UnixMilli() }
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// options builds the go-redis options.
func (c Config) options() (*redis.Options, error) {
	o := &redis.Options{
		Addr:       c.Addr,
		DB:         c.DB,
		Username:   c.Username,
		Password:   c.Password,
		PoolSize:   c.PoolSize,
		ClientName: "chess-" + c.InstanceID,
		Protocol:   c.protocol,
	}
	if c.TLS {
		host, _, _ := net.SplitHostPort(c.Addr)
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if c.ServerName != "" {
			tc.ServerName = c.ServerName
		}
		if c.CAFile != "" {
			pool, err := loadCAs(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", EnvCAFile, err)
			}
			tc.RootCAs = pool
		}
		o.TLSConfig = tc
	}
	return o, nil
}

// loadCAs returns the system roots plus the certificates of a PEM file.
func loadCAs(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CA bundle: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("no PEM certificate in the CA bundle")
	}
	return pool, nil
}
