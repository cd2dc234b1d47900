package apigw

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/smithy-go"
)

// MaxPostBytes is the largest message the transport posts to a connection. API Gateway's limit
// is 128 KB per message (split into 32 KB frames); we count 128 KB as 128,000 bytes, the
// smaller reading. The largest frame the server produces, a full game state, stays below it
// even for the longest game the rules allow (TestLargestStateFrameFits).
const MaxPostBytes = 128_000

// ErrGone means the connection no longer exists at API Gateway (HTTP 410, GoneException): the
// client disconnected, possibly without a $disconnect reaching the backend.
var ErrGone = errors.New("apigw: connection is gone")

// ErrTooLarge is returned for a message over MaxPostBytes; it is never sent.
var ErrTooLarge = errors.New("apigw: message exceeds the API Gateway payload limit")

// Poster is the @connections API as the transport uses it. Implementations are safe for
// concurrent use; errors wrap ErrGone when the connection is gone.
type Poster interface {
	// Post sends one message to a connection.
	Post(ctx context.Context, connID string, data []byte) error
	// Delete disconnects a connection (API Gateway then calls $disconnect).
	Delete(ctx context.Context, connID string) error
	// Probe checks that a connection still exists (GET @connections/{id}).
	Probe(ctx context.Context, connID string) error
}

// RetryPolicy bounds the retries of one @connections call. Zero values take the defaults noted.
type RetryPolicy struct {
	MaxAttempts    int           // attempts including the first; 5
	BaseDelay      time.Duration // backoff before the second attempt, doubling after; 50 ms
	MaxDelay       time.Duration // backoff cap; 2 s
	AttemptTimeout time.Duration // one HTTP attempt; 5 s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 50 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 2 * time.Second
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 5 * time.Second
	}
	return p
}

// backoff is the pause after failed attempt n (1-based): exponential, capped, with jitter in
// the upper half so that many connections throttled together do not retry in lockstep.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// ClientOptions configure the @connections client.
type ClientOptions struct {
	// Endpoint is the management API base URL: https://{api-id}.execute-api.{region}.amazonaws.com/{stage}
	// (see EndpointURL), or a custom domain's base path, or an emulator.
	Endpoint string
	Retry    RetryPolicy
	// MaxConnsPerHost bounds the HTTP connections to the endpoint (idle ones kept too); 64.
	MaxConnsPerHost int
}

// EndpointURL is the @connections base URL of a deployed WebSocket API stage.
func EndpointURL(apiID, region, stage string) string {
	return fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", apiID, region, stage)
}

// Client is the Poster on aws-sdk-go-v2's apigatewaymanagementapi. Its retries are its own
// (the SDK retryer is off): throttling (429, LimitExceededException), 5xx and transport
// failures are retried with exponential backoff; 410 is ErrGone at once; other 4xx are final.
type Client struct {
	api   *apigatewaymanagementapi.Client
	retry RetryPolicy
}

var _ Poster = (*Client)(nil)

// NewClient builds a Client. cfg supplies the region and credentials (the ECS task role in
// AWS); requests are signed with SigV4 for the execute-api service.
func NewClient(cfg aws.Config, o ClientOptions) (*Client, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("apigw: management endpoint %q: want an absolute http(s) URL", o.Endpoint)
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = 64
	}
	// The default transport keeps 2 idle connections per host; every post would then open a new
	// TLS connection under load.
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = o.MaxConnsPerHost
		t.MaxIdleConnsPerHost = o.MaxConnsPerHost
		t.MaxConnsPerHost = o.MaxConnsPerHost
	})
	endpoint := strings.TrimRight(o.Endpoint, "/")
	api := apigatewaymanagementapi.NewFromConfig(cfg, func(opts *apigatewaymanagementapi.Options) {
		opts.BaseEndpoint = aws.String(endpoint)
		opts.Retryer = aws.NopRetryer{}
		opts.HTTPClient = hc
	})
	return &Client{api: api, retry: o.Retry.withDefaults()}, nil
}

// Post implements Poster.
func (c *Client) Post(ctx context.Context, connID string, data []byte) error {
	if len(data) > MaxPostBytes {
		return fmt.Errorf("posting to %s: %d bytes: %w", connID, len(data), ErrTooLarge)
	}
	return c.do(ctx, "posting to", connID, func(ctx context.Context) error {
		_, err := c.api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(connID), Data: data})
		return err
	})
}

// Delete implements Poster.
func (c *Client) Delete(ctx context.Context, connID string) error {
	return c.do(ctx, "deleting", connID, func(ctx context.Context) error {
		_, err := c.api.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(connID)})
		return err
	})
}

// Probe implements Poster.
func (c *Client) Probe(ctx context.Context, connID string) error {
	return c.do(ctx, "probing", connID, func(ctx context.Context) error {
		_, err := c.api.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(connID)})
		return err
	})
}

// GetConnection exposes the connection status (for tools and tests).
func (c *Client) GetConnection(ctx context.Context, connID string) (*apigatewaymanagementapi.GetConnectionOutput, error) {
	var out *apigatewaymanagementapi.GetConnectionOutput
	err := c.do(ctx, "reading", connID, func(ctx context.Context) error {
		var err error
		out, err = c.api.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(connID)})
		return err
	})
	return out, err
}

func (c *Client) do(ctx context.Context, what, connID string, call func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
		err := call(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s connection %s: %w", what, connID, ctx.Err())
		}
		switch classify(err) {
		case classGone:
			return fmt.Errorf("%s connection %s: %w: %w", what, connID, ErrGone, err)
		case classFinal:
			return fmt.Errorf("%s connection %s: %w", what, connID, err)
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

type errClass int

const (
	classRetry errClass = iota // throttled, server error, or no response at all
	classGone                  // 410: the connection is gone
	classFinal                 // any other client error (403 forbidden, 413, 400): retrying cannot help
)

func classify(err error) errClass {
	var gone *types.GoneException
	if errors.As(err, &gone) {
		return classGone
	}
	var limit *types.LimitExceededException
	if errors.As(err, &limit) {
		return classRetry
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch s := re.HTTPStatusCode(); {
		case s == http.StatusGone:
			return classGone
		case s == http.StatusTooManyRequests || s >= 500:
			return classRetry
		default:
			return classFinal
		}
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return classFinal // the endpoint answered 2xx with a body we cannot read
	}
	var ce *smithy.CanceledError
	if errors.As(err, &ce) {
		return classRetry // the attempt timed out
	}
	return classRetry // no HTTP response: connection refused or reset, DNS, timeout
}
