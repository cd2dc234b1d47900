package apigw

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// LeanClient is the Poster on plain net/http: one HTTP/1.1 keep-alive pool to the endpoint,
// requests signed with SigV4 by hand (the signing key derived once per day and credentials),
// credentials from the aws-sdk-go-v2 provider (cached, refreshed before they expire). It
// replaces Client on the hot path: the SDK's middleware stack cost about a third of the
// backend's CPU on the API Gateway path (docs/performance.md). Retries and error classes are
// Client's: 429, 5xx and transport failures are retried with backoff, 410 is ErrGone, other
// 4xx are final.
type LeanClient struct {
	scheme, host string
	// pathPrefix is the stage's path + "/@connections/" as sent; canonPrefix the same
	// escaped once more for the canonical request (SigV4 encodes the URI path twice for every
	// service but S3).
	pathPrefix, canonPrefix string
	decodedPrefix           string // pathPrefix unescaped (url.URL.Path)
	region                  string
	creds                   aws.CredentialsProvider
	hc                      *http.Client
	retry                   RetryPolicy
	keys                    keyCache
	stamps                  stampCache
	hmacs                   hmacPool
	bufs                    sync.Pool
	now                     func() time.Time
}

var _ Poster = (*LeanClient)(nil)

// leanService is the SigV4 service name of the @connections API.
const leanService = "execute-api"

// NewLeanClient builds a LeanClient. cfg supplies the region and the credentials provider
// (the ECS task role in AWS); an endpoint on execute-api.{region}.amazonaws.com must match the
// region.
func NewLeanClient(cfg aws.Config, o ClientOptions) (*LeanClient, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("apigw: management endpoint %q: want an absolute http(s) URL without query", o.Endpoint)
	}
	region := cfg.Region
	if region == "" {
		return nil, errors.New("apigw: no AWS region for signing @connections requests (set AWS_REGION)")
	}
	if r, ok := executeAPIRegion(u.Hostname()); ok && r != region {
		return nil, fmt.Errorf("apigw: management endpoint %q is in region %s, the AWS configuration in %s", o.Endpoint, r, region)
	}
	if cfg.Credentials == nil {
		return nil, errors.New("apigw: no AWS credentials provider for signing @connections requests")
	}
	creds := cfg.Credentials
	if !aws.IsCredentialsProvider(creds, (*aws.CredentialsCache)(nil)) {
		creds = aws.NewCredentialsCache(creds)
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = 64
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
		// One post in flight per connection, so up to MaxConnsPerHost requests at once; every
		// idle connection is kept (the default keeps 2, and every further post would open a
		// new TLS connection under load).
		MaxIdleConns:        o.MaxConnsPerHost,
		MaxIdleConnsPerHost: o.MaxConnsPerHost,
		MaxConnsPerHost:     o.MaxConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		// HTTP/1.1 only: API Gateway's endpoint speaks it, and a request per stream of one
		// HTTP/2 connection would serialize every post behind one TCP window.
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		ForceAttemptHTTP2: false,
	}
	prefix := strings.TrimRight(u.EscapedPath(), "/") + "/@connections/"
	c := &LeanClient{
		scheme: u.Scheme, host: u.Host,
		pathPrefix:    prefix,
		decodedPrefix: strings.TrimRight(u.Path, "/") + "/@connections/",
		canonPrefix:   string(appendEscaped(nil, prefix, true)),
		region:        region, creds: creds,
		hc:    &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		retry: o.Retry.withDefaults(),
		keys:  keyCache{region: region, service: leanService},
		now:   time.Now,
	}
	return c, nil
}

// executeAPIRegion reads the region of {api}.execute-api.{region}.amazonaws.com[.cn].
func executeAPIRegion(host string) (string, bool) {
	_, rest, ok := strings.Cut(host, ".execute-api.")
	if !ok {
		return "", false
	}
	region, _, ok := strings.Cut(rest, ".")
	return region, ok && region != ""
}

// CloseIdleConnections closes the pool's idle connections (tests, shutdown).
func (c *LeanClient) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Post implements Poster.
func (c *LeanClient) Post(ctx context.Context, connID string, data []byte) error {
	if len(data) > MaxPostBytes {
		return fmt.Errorf("posting to %s: %d bytes: %w", connID, len(data), ErrTooLarge)
	}
	return c.do(ctx, "posting to", http.MethodPost, connID, data)
}

// Delete implements Poster.
func (c *LeanClient) Delete(ctx context.Context, connID string) error {
	return c.do(ctx, "deleting", http.MethodDelete, connID, nil)
}

// Probe implements Poster.
func (c *LeanClient) Probe(ctx context.Context, connID string) error {
	return c.do(ctx, "probing", http.MethodGet, connID, nil)
}

// statusError is a non-2xx answer of the endpoint.
type statusError struct {
	status  int
	errType string // x-amzn-ErrorType, e.g. GoneException
	body    string // the start of the body
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.status, e.errType, e.body)
}

func (c *LeanClient) do(ctx context.Context, what, method, connID string, body []byte) error {
	if connID == "" {
		return fmt.Errorf("%s connection: empty connection id", what)
	}
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, method, connID, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s connection %s: %w (last error: %w)", what, connID, ctx.Err(), err)
		}
		var se *statusError
		if errors.As(err, &se) {
			switch s := se.status; {
			case s == http.StatusGone:
				return fmt.Errorf("%s connection %s: %w: %w", what, connID, ErrGone, err)
			case s != http.StatusTooManyRequests && s < 500:
				return fmt.Errorf("%s connection %s: %w", what, connID, err)
			}
		}
		if attempt >= c.retry.MaxAttempts {
			return fmt.Errorf("%s connection %s: giving up after %d attempts: %w", what, connID, attempt, err)
		}
		t := time.NewTimer(c.retry.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s connection %s: %w (last error: %w)", what, connID, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// attempt sends one signed request and reads its answer.
func (c *LeanClient) attempt(ctx context.Context, method, connID string, body []byte) error {
	actx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
	defer cancel()
	req, err := c.newRequest(actx, method, connID, body)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// Drain so that the connection goes back to the pool (GET answers a small JSON).
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	errType, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	return &statusError{status: resp.StatusCode, errType: errType, body: strings.TrimSpace(string(head))}
}

// newRequest builds and signs one request. The connection id is escaped completely (ids are
// base64 with '=' and may hold '/' or '+'), so the path on the wire is exactly what is
// signed.
func (c *LeanClient) newRequest(ctx context.Context, method, connID string, body []byte) (*http.Request, error) {
	cr, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS credentials: %w", err)
	}
	buf, _ := c.bufs.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, 0, 512)
		buf = &b
	}
	defer c.bufs.Put(buf)

	escID := string(appendEscaped(nil, connID, false))
	rawPath := c.pathPrefix + escID
	u := &url.URL{Scheme: c.scheme, Host: c.host, Path: c.decodedPrefix + connID, RawPath: rawPath}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "", rd)
	if err != nil {
		return nil, err
	}
	req.URL, req.Host = u, c.host
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	stamp, date := c.stamps.get(c.now())
	signed := signedHeadersPlain
	if cr.SessionToken != "" {
		signed = signedHeadersToken
	}

	// Canonical request: method, URI (escaped twice), query (none), headers, signed
	// headers, payload hash.
	b := (*buf)[:0]
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, c.canonPrefix...)
	b = appendEscaped(b, escID, true)
	b = append(b, "\n\nhost:"...)
	b = append(b, c.host...)
	b = append(b, "\nx-amz-date:"...)
	b = append(b, stamp...)
	if cr.SessionToken != "" {
		b = append(b, "\nx-amz-security-token:"...)
		b = append(b, cr.SessionToken...)
	}
	b = append(b, "\n\n"...)
	b = append(b, signed...)
	b = append(b, '\n')
	b = sha256Hex(b, body)
	canonLen := len(b)

	// String to sign, after the canonical request in the same buffer.
	b = append(b, sigV4Algorithm+"\n"...)
	b = append(b, stamp...)
	b = append(b, '\n')
	scopeAt := len(b)
	b = append(b, date...)
	b = append(b, '/')
	b = append(b, c.region...)
	b = append(b, "/"+leanService+"/"+sigV4Terminator+"\n"...)
	scope := string(b[scopeAt : len(b)-1])
	b = sha256Hex(b, b[:canonLen])
	sts := b[canonLen:]

	sig := c.hmacs.sign(c.keys.get(date, cr.SecretAccessKey), sts, b[len(b):])
	auth := make([]byte, 0, 200)
	auth = append(auth, sigV4Algorithm+" Credential="...)
	auth = append(auth, cr.AccessKeyID...)
	auth = append(auth, '/')
	auth = append(auth, scope...)
	auth = append(auth, ", SignedHeaders="...)
	auth = append(auth, signed...)
	auth = append(auth, ", Signature="...)
	auth = hex.AppendEncode(auth, sig)
	*buf = b[:0]

	h := req.Header
	h["X-Amz-Date"] = []string{stamp}
	h["Authorization"] = []string{string(auth)}
	if cr.SessionToken != "" {
		h["X-Amz-Security-Token"] = []string{cr.SessionToken}
	}
	return req, nil
}
