package pgstore

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says how to reach PostgreSQL. Either URL, or Host (with Port, Name, User, Password,
// SSLMode). Credentials may instead come at run time from Secrets Manager (SecretARN) or be IAM
// auth tokens (IAMAuth), since secrets injected into the task at start do not follow a rotation.
type Config struct {
	URL string // a libpq URL or keyword/value string; DATABASE_URL

	Host     string // DB_HOST
	Port     int    // DB_PORT (default 5432)
	Name     string // DB_NAME
	User     string // DB_USER
	Password string // DB_PASSWORD
	// SSLMode is a libpq sslmode (disable, require, verify-ca, verify-full); DB_SSLMODE, default
	// verify-full. SSLRootCert is the CA bundle to verify the server with (DB_SSLROOTCERT), e.g.
	// the RDS global bundle; empty means the system roots.
	SSLMode     string
	SSLRootCert string

	MaxConns int32 // DB_MAX_CONNS; 0: pgx's default (max(4, NumCPU))
	// GroupCommit is the number of committers that batch concurrent move commits of different
	// games into one statement (DB_GROUP_COMMIT); 0 runs every commit alone.
	GroupCommit    int
	MinConns       int32         // DB_MIN_CONNS
	ConnectTimeout time.Duration // DB_CONNECT_TIMEOUT; default 5s

	// SecretARN names a Secrets Manager secret with JSON {"username","password"} (the shape RDS
	// keeps for a managed master user); DB_SECRET_ARN. It is read when connecting, cached for
	// SecretTTL (DB_SECRET_TTL, default 10m), and read again at once when the server refuses it.
	SecretARN string
	SecretTTL time.Duration
	// IAMAuth makes every new connection use an RDS IAM auth token as its password; DB_IAM_AUTH.
	IAMAuth bool
	// AWSRegion is the region of the secret or the RDS instance; AWS_REGION or AWS_DEFAULT_REGION.
	AWSRegion string
	// AWS overrides the AWS SDK configuration (tests); nil loads the default chain (the ECS task
	// role, AWS_ENDPOINT_URL and so on).
	AWS *aws.Config
	// Credentials overrides where user and password come from (tests); nil means SecretARN,
	// IAMAuth or the static User/Password.
	Credentials CredentialSource

	// SkipMigrate makes Open check that the schema is current instead of migrating it
	// (DB_MIGRATE=false). The application role (chess_app) cannot change the schema: in a
	// deployment the migrate task (`chess-server -migrate`, master credentials) runs the
	// migrations and the backend only checks them.
	SkipMigrate bool

	// AppName is reported to the server as application_name (default "chess-server").
	AppName string
	Logger  *slog.Logger // default slog.Default()
}

// LogValue keeps the password out of logs.
func (c Config) LogValue() slog.Value {
	u := c.URL
	if u != "" {
		u = redactURL(u)
	}
	return slog.GroupValue(
		slog.String("url", u), slog.String("host", c.Host), slog.Int("port", c.Port),
		slog.String("name", c.Name), slog.String("user", c.User), slog.String("sslmode", c.SSLMode),
		slog.String("secretArn", c.SecretARN), slog.Bool("iamAuth", c.IAMAuth),
		slog.Int("maxConns", int(c.MaxConns)), slog.Bool("migrate", !c.SkipMigrate),
	)
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return "(not shown)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// DefaultGroupCommit is ConfigFromEnv's number of group committers: measured 2-3x the commit
// throughput of lone commits with 32 concurrent writers, and no loss with 8 (see bench_test.go).
const DefaultGroupCommit = 2

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// ConfigFromEnv reads the configuration from environment variables (see Config). Errors name
// the variable at fault.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{
		URL: env("DATABASE_URL"), Host: env("DB_HOST"), Name: env("DB_NAME"),
		User: env("DB_USER"), Password: getenv("DB_PASSWORD"),
		SSLMode: env("DB_SSLMODE"), SSLRootCert: env("DB_SSLROOTCERT"),
		SecretARN: env("DB_SECRET_ARN"), AWSRegion: env("AWS_REGION"),
	}
	if c.AWSRegion == "" {
		c.AWSRegion = env("AWS_DEFAULT_REGION")
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if v := env("DB_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			bad("DB_PORT", "%q is not a port number", v)
		}
		c.Port = p
	}
	readInt := func(name string) int32 {
		v := env(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			bad(name, "%q is not a non-negative integer", v)
		}
		return int32(n)
	}
	c.MaxConns, c.MinConns = readInt("DB_MAX_CONNS"), readInt("DB_MIN_CONNS")
	c.GroupCommit = DefaultGroupCommit
	if env("DB_GROUP_COMMIT") != "" {
		c.GroupCommit = int(readInt("DB_GROUP_COMMIT"))
	}
	readDur := func(name string) time.Duration {
		v := env(name)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(name, "%q is not a positive duration such as 5s", v)
		}
		return d
	}
	c.ConnectTimeout, c.SecretTTL = readDur("DB_CONNECT_TIMEOUT"), readDur("DB_SECRET_TTL")
	if v := env("DB_IAM_AUTH"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("DB_IAM_AUTH", "%q is not true or false", v)
		}
		c.IAMAuth = b
	}
	if v := env("DB_MIGRATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("DB_MIGRATE", "%q is not true or false", v)
		}
		c.SkipMigrate = !b
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the configuration; errors name the environment variable of the field.
func (c Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	switch {
	case c.URL == "" && c.Host == "":
		bad("DATABASE_URL", "set DATABASE_URL or DB_HOST")
	case c.URL != "" && c.Host != "":
		bad("DATABASE_URL", "set either DATABASE_URL or DB_HOST, not both")
	case c.URL != "":
		if _, err := pgxpool.ParseConfig(c.URL); err != nil {
			bad("DATABASE_URL", "cannot be parsed (%s)", redactErr(err, c.URL))
		}
	default:
		if c.Name == "" {
			bad("DB_NAME", "required with DB_HOST")
		}
		if c.User == "" && c.SecretARN == "" && c.Credentials == nil {
			bad("DB_USER", "required with DB_HOST unless DB_SECRET_ARN gives it")
		}
		if c.Port < 0 || c.Port > 65535 {
			bad("DB_PORT", "%d is not a port number", c.Port)
		}
	}
	if c.SSLMode != "" && !contains(sslModes, c.SSLMode) {
		bad("DB_SSLMODE", "%q is not one of %s", c.SSLMode, strings.Join(sslModes, ", "))
	}
	if c.SSLRootCert != "" && c.URL != "" {
		bad("DB_SSLROOTCERT", "put sslrootcert in DATABASE_URL instead")
	}
	if c.SSLMode != "" && c.URL != "" {
		bad("DB_SSLMODE", "put sslmode in DATABASE_URL instead")
	}
	if c.MaxConns != 0 && c.MaxConns < 2 {
		bad("DB_MAX_CONNS", "%d is too small: at least 2", c.MaxConns)
	}
	if c.MaxConns != 0 && c.MinConns > c.MaxConns {
		bad("DB_MIN_CONNS", "%d is more than DB_MAX_CONNS %d", c.MinConns, c.MaxConns)
	}
	if c.GroupCommit < 0 || (c.MaxConns != 0 && int32(c.GroupCommit) >= c.MaxConns) {
		bad("DB_GROUP_COMMIT", "%d committers need fewer than DB_MAX_CONNS (%d) connections", c.GroupCommit, c.MaxConns)
	}
	if c.SecretARN != "" && c.IAMAuth {
		bad("DB_IAM_AUTH", "use either DB_SECRET_ARN or DB_IAM_AUTH, not both")
	}
	if c.IAMAuth {
		if c.Host == "" {
			bad("DB_IAM_AUTH", "needs DB_HOST (the token is signed for host and port)")
		}
		if c.User == "" {
			bad("DB_USER", "required with DB_IAM_AUTH")
		}
		if c.SSLMode == "disable" {
			bad("DB_SSLMODE", "RDS accepts IAM tokens over TLS only")
		}
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// redactErr hides a password that a parse error might quote.
func redactErr(err error, dsn string) string {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// connString builds the libpq connection string of c.
func (c Config) connString() string {
	if c.URL != "" {
		return c.URL
	}
	port := c.Port
	if port == 0 {
		port = 5432
	}
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(c.Host, strconv.Itoa(port)), Path: "/" + c.Name}
	switch {
	case c.User != "" && c.Password != "" && c.SecretARN == "" && !c.IAMAuth:
		u.User = url.UserPassword(c.User, c.Password)
	case c.User != "":
		u.User = url.User(c.User)
	}
	q := url.Values{}
	mode := c.SSLMode
	if mode == "" {
		mode = "verify-full"
	}
	q.Set("sslmode", mode)
	if c.SSLRootCert != "" {
		q.Set("sslrootcert", c.SSLRootCert)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
