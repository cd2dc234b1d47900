package apigw_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/transport/apigw"
)

// awsConfig signs with the emulator's test credentials (it verifies every signature).
func awsConfig() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(gatewaytest.TestAccessKeyID, gatewaytest.TestSecretAccessKey, "")}
}

// clientKinds are the two Posters: the lean client (production) and the SDK client (kept for
// the A/B benchmark); every client test runs on both.
var clientKinds = []struct {
	name string
	make func(aws.Config, apigw.ClientOptions) (apigw.Poster, error)
}{
	{"lean", func(c aws.Config, o apigw.ClientOptions) (apigw.Poster, error) { return apigw.NewLeanClient(c, o) }},
	{"sdk", func(c aws.Config, o apigw.ClientOptions) (apigw.Poster, error) { return apigw.NewClient(c, o) }},
}

// forEachClient runs f once per client kind, with a client on endpoint.
func forEachClient(t *testing.T, f func(t *testing.T, newClient func(endpoint string) apigw.Poster)) {
	for _, k := range clientKinds {
		t.Run(k.name, func(t *testing.T) {
			f(t, func(endpoint string) apigw.Poster {
				c, err := k.make(awsConfig(), apigw.ClientOptions{Endpoint: endpoint, Retry: apigw.RetryPolicy{
					MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, AttemptTimeout: time.Second,
				}})
				require.NoError(t, err)
				return c
			})
		})
	}
}

// scripted is a management API that answers each request with the next scripted status.
type scripted struct {
	mu       sync.Mutex
	statuses []int
	reqs     []*http.Request
	bodies   []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.bodies = append(s.bodies, string(b))
	status := http.StatusOK
	if len(s.statuses) > 0 {
		status, s.statuses = s.statuses[0], s.statuses[1:]
	}
	s.mu.Unlock()
	errType := map[int]string{
		410: "GoneException", 429: "LimitExceededException", 403: "ForbiddenException",
		413: "PayloadTooLargeException", 500: "InternalServerErrorException", 503: "ServiceUnavailable",
	}[status]
	if errType != "" {
		w.Header().Set("X-Amzn-ErrorType", errType)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"message":"scripted"}`)
		return
	}
	w.WriteHeader(status)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func TestClientRetriesAndErrorMapping(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		wantErr  error // nil: success
		final    bool  // an error that is not ErrGone
		attempts int
	}{
		{"ok", nil, nil, false, 1},
		{"throttled then ok", []int{429, 429}, nil, false, 3},
		{"server errors then ok", []int{500, 503}, nil, false, 3},
		{"gone", []int{410}, apigw.ErrGone, false, 1},
		{"throttled then gone", []int{429, 410}, apigw.ErrGone, false, 2},
		{"forbidden is final", []int{403}, nil, true, 1},
		{"too large is final", []int{413}, nil, true, 1},
		{"throttled past the attempts", []int{429, 429, 429, 429, 429}, nil, true, 4},
	}
	forEachClient(t, func(t *testing.T, newClient func(string) apigw.Poster) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := &scripted{statuses: tt.statuses}
				ts := httptest.NewServer(s)
				defer ts.Close()
				c := newClient(ts.URL + "/prod")
				err := c.Post(context.Background(), "L0SM9cOFvHcCIhw=", []byte(`{"t":"pong"}`))
				switch {
				case tt.wantErr != nil:
					require.ErrorIs(t, err, tt.wantErr)
				case tt.final:
					require.Error(t, err)
					assert.NotErrorIs(t, err, apigw.ErrGone)
				default:
					require.NoError(t, err)
				}
				assert.Equal(t, tt.attempts, s.count())
				r := s.reqs[0]
				assert.Equal(t, http.MethodPost, r.Method)
				// The id is escaped into the path below the stage; the body is the frame as is.
				assert.Equal(t, "/prod/@connections/L0SM9cOFvHcCIhw=", r.URL.Path)
				assert.Equal(t, `{"t":"pong"}`, s.bodies[0])
				auth := r.Header.Get("Authorization")
				assert.True(t, strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+gatewaytest.TestAccessKeyID+"/"), auth)
				assert.Contains(t, auth, "/us-east-1/execute-api/aws4_request", "signed for execute-api")
			})
		}
	})
}

func TestClientRefusesOversizeAndBadEndpoint(t *testing.T) {
	forEachClient(t, func(t *testing.T, newClient func(string) apigw.Poster) {
		s := &scripted{}
		ts := httptest.NewServer(s)
		defer ts.Close()
		c := newClient(ts.URL + "/prod")
		err := c.Post(context.Background(), "x", make([]byte, apigw.MaxPostBytes+1))
		require.ErrorIs(t, err, apigw.ErrTooLarge)
		assert.Zero(t, s.count(), "never sent")
		require.NoError(t, c.Post(context.Background(), "x", make([]byte, apigw.MaxPostBytes)))
	})
	for _, k := range clientKinds {
		for _, ep := range []string{"", "execute-api.example", "ftp://x/prod", "https:///prod"} {
			_, err := k.make(awsConfig(), apigw.ClientOptions{Endpoint: ep})
			assert.Error(t, err, "%s %q", k.name, ep)
		}
	}
	assert.Equal(t, "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod", apigw.EndpointURL("a1b2c3", "eu-west-1", "prod"))
}

func TestClientContextCancelStopsRetries(t *testing.T) {
	for _, k := range clientKinds {
		t.Run(k.name, func(t *testing.T) {
			s := &scripted{statuses: []int{500, 500, 500, 500}}
			ts := httptest.NewServer(s)
			defer ts.Close()
			c, err := k.make(awsConfig(), apigw.ClientOptions{Endpoint: ts.URL + "/prod", Retry: apigw.RetryPolicy{
				MaxAttempts: 10, BaseDelay: time.Second, MaxDelay: time.Second,
			}})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = c.Post(ctx, "x", []byte("{}"))
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 900*time.Millisecond)
			assert.Equal(t, 1, s.count())
		})
	}
}

// TestClientAgainstEmulator posts, reads and deletes a live connection of the emulator, and
// recovers from injected throttling on the way.
func TestClientAgainstEmulator(t *testing.T) {
	forEachClient(t, func(t *testing.T, newClient func(string) apigw.Poster) { clientAgainstEmulator(t, newClient) })
}

func clientAgainstEmulator(t *testing.T, newClient func(string) apigw.Poster) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer backend.Close()
	gw, err := gatewaytest.New(gatewaytest.Config{Backend: func(gatewaytest.Request) string { return backend.URL }})
	require.NoError(t, err)
	defer gw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, gw.WebSocketURL(), nil)
	require.NoError(t, err)
	defer ws.CloseNow()
	require.Eventually(t, func() bool { return len(gw.Connections()) == 1 }, 2*time.Second, 5*time.Millisecond)
	id := gw.Connections()[0]
	c := newClient(gw.ManagementEndpoint())

	gw.FailPosts(id, http.StatusTooManyRequests, 2)
	require.NoError(t, c.Post(ctx, id, []byte(`{"t":"pong"}`)))
	_, b, err := ws.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, `{"t":"pong"}`, string(b))
	assert.Equal(t, int64(1), gw.PostsTo(id))

	if sdk, ok := c.(*apigw.Client); ok {
		out, err := sdk.GetConnection(ctx, id)
		require.NoError(t, err)
		require.NotNil(t, out.ConnectedAt)
		assert.WithinDuration(t, time.Now(), *out.ConnectedAt, 10*time.Second)
	}
	require.NoError(t, c.Probe(ctx, id))

	require.NoError(t, c.Delete(ctx, id))
	_, _, err = ws.Read(ctx)
	assert.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err))
	assert.ErrorIs(t, c.Post(ctx, id, []byte("{}")), apigw.ErrGone)
	assert.ErrorIs(t, c.Probe(ctx, id), apigw.ErrGone)
	assert.ErrorIs(t, c.Delete(ctx, id), apigw.ErrGone)
	assert.ErrorIs(t, c.Post(ctx, "never+existed/=", []byte("{}")), apigw.ErrGone)
	assert.Zero(t, gw.SignatureRejections(), "every request was signed correctly")
}
