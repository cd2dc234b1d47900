package apigw_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/transport/apigw"
)

// rotating hands out a new temporary credential (with a session token) on every Retrieve,
// each valid for ttl, as an ECS task role's endpoint does.
type rotating struct {
	creds []gatewaytest.Credential
	ttl   time.Duration
	calls atomic.Int32
}

func (r *rotating) Retrieve(context.Context) (aws.Credentials, error) {
	n := int(r.calls.Add(1)) - 1
	c := r.creds[min(n, len(r.creds)-1)]
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		CanExpire: true, Expires: time.Now().Add(r.ttl)}, nil
}

func dialEmulator(t *testing.T, cfg gatewaytest.Config) (*gatewaytest.Gateway, *websocket.Conn, string) {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(backend.Close)
	cfg.Backend = func(gatewaytest.Request) string { return backend.URL }
	gw, err := gatewaytest.New(cfg)
	require.NoError(t, err)
	t.Cleanup(gw.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, gw.WebSocketURL(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.CloseNow() })
	require.Eventually(t, func() bool { return len(gw.Connections()) == 1 }, 2*time.Second, 5*time.Millisecond)
	return gw, ws, gw.Connections()[0]
}

// TestLeanClientRefreshesCredentials: the lean client takes its credentials from the SDK
// provider through a cache, signs the session token of temporary credentials, and picks up
// the next credentials once the first expire (the signing key follows the secret).
func TestLeanClientRefreshesCredentials(t *testing.T) {
	creds := []gatewaytest.Credential{
		{AccessKeyID: "ASIAFIRST", SecretAccessKey: "first-secret", SessionToken: "token-1"},
		{AccessKeyID: "ASIASECOND", SecretAccessKey: "second-secret", SessionToken: "token-2"},
	}
	gw, ws, id := dialEmulator(t, gatewaytest.Config{Credentials: creds})
	prov := &rotating{creds: creds, ttl: 6 * time.Minute}
	c, err := apigw.NewLeanClient(aws.Config{Region: "us-east-1", Credentials: aws.NewCredentialsCache(prov, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 5*time.Minute + 59*time.Second // renew once less than 6 min are left: the first credential lasts ~1 s
	})}, apigw.ClientOptions{Endpoint: gw.ManagementEndpoint()})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		require.NoError(t, c.Post(ctx, id, []byte(`{"t":"pong"}`)))
	}
	assert.Equal(t, int32(1), prov.calls.Load(), "cached between requests")
	time.Sleep(1200 * time.Millisecond)
	require.NoError(t, c.Post(ctx, id, []byte(`{"t":"pong"}`)))
	assert.Equal(t, int32(2), prov.calls.Load(), "refreshed after expiry")
	for i := 0; i < 4; i++ {
		_, _, err := ws.Read(ctx)
		require.NoError(t, err)
	}
	assert.Zero(t, gw.SignatureRejections())

	// A provider whose credentials the gateway does not know: 403 is final, not retried.
	bad, err := apigw.NewLeanClient(aws.Config{Region: "us-east-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "ASIAFIRST", SecretAccessKey: "first-secret", SessionToken: "stolen"}, nil
	})}, apigw.ClientOptions{Endpoint: gw.ManagementEndpoint()})
	require.NoError(t, err)
	err = bad.Post(ctx, id, []byte(`{}`))
	require.Error(t, err)
	assert.NotErrorIs(t, err, apigw.ErrGone)
	assert.Contains(t, err.Error(), "HTTP 403")
	assert.Equal(t, int64(1), gw.SignatureRejections(), "one attempt")
}

// TestLeanClientRegion: signing needs a region, and an execute-api endpoint's region must be
// the configured one (a mismatch would be refused by AWS on every post).
func TestLeanClientRegion(t *testing.T) {
	_, err := apigw.NewLeanClient(aws.Config{Credentials: awsConfig().Credentials}, apigw.ClientOptions{Endpoint: "https://a.execute-api.eu-west-1.amazonaws.com/live"})
	require.ErrorContains(t, err, "region")
	_, err = apigw.NewLeanClient(awsConfig(), apigw.ClientOptions{Endpoint: "https://a.execute-api.eu-west-1.amazonaws.com/live"})
	require.ErrorContains(t, err, "eu-west-1")
	_, err = apigw.NewLeanClient(aws.Config{Region: "us-east-1"}, apigw.ClientOptions{Endpoint: "https://a.execute-api.us-east-1.amazonaws.com/live"})
	require.ErrorContains(t, err, "credentials")
	_, err = apigw.NewLeanClient(awsConfig(), apigw.ClientOptions{Endpoint: "https://a.execute-api.us-east-1.amazonaws.com/live"})
	require.NoError(t, err)
}

// TestLeanClientConcurrentOrder: many connections posting at once over the shared pool; each
// connection's frames arrive in order (one post in flight per connection, as conn.go does).
func TestLeanClientConcurrentOrder(t *testing.T) {
	gw, ws, id := dialEmulator(t, gatewaytest.Config{})
	c, err := apigw.NewLeanClient(awsConfig(), apigw.ClientOptions{Endpoint: gw.ManagementEndpoint(), MaxConnsPerHost: 4})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ { // other traffic on the pool (to unknown connections: 410)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				assert.ErrorIs(t, c.Post(ctx, "gone-"+string(rune('a'+g)), []byte(`{}`)), apigw.ErrGone)
			}
		}()
	}
	const n = 50
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			if !assert.NoError(t, c.Post(ctx, id, []byte{'0' + byte(i%10)})) {
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		_, b, err := ws.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, string([]byte{'0' + byte(i%10)}), string(b), "frame %d", i)
	}
	wg.Wait()
	assert.Zero(t, gw.SignatureRejections())
}

// BenchmarkPost is one @connections POST round trip, SDK client against the lean one, to two
// targets: "plain" (an HTTP server that reads the body and answers 200: mostly the client's
// own cost) and "emulator" (gatewaytest, which verifies the signature and writes the frame to
// a WebSocket client). Compare with benchstat (docs/performance.md, phase 3).
func BenchmarkPost(b *testing.B) {
	frame := []byte(`{"t":"move","v":12,"d":{"game":"g_0123456789","u":"e2e4","ply":12,"clock":{"w":179000,"b":180000}}}`)
	for _, target := range []string{"plain", "emulator"} {
		for _, k := range clientKinds {
			b.Run("target="+target+"/client="+k.name, func(b *testing.B) {
				ctx := context.Background()
				endpoint, id := benchTarget(b, target)
				c, err := k.make(awsConfig(), apigw.ClientOptions{Endpoint: endpoint})
				require.NoError(b, err)
				require.NoError(b, c.Post(ctx, id, frame)) // warm the pool
				b.ReportAllocs()
				cpu0 := processCPU()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := c.Post(ctx, id, frame); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				// CPU of the whole process (client and target) per post: the wall time
				// (ns/op) includes waiting on the loopback round trip.
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// processCPU is this process's user + system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchTarget(b *testing.B, target string) (endpoint, connID string) {
	if target == "plain" {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
		}))
		b.Cleanup(ts.Close)
		return ts.URL + "/ws", "L0SM9cOFvHcCIhw="
	}
	backend := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.Cleanup(backend.Close)
	gw, err := gatewaytest.New(gatewaytest.Config{Backend: func(gatewaytest.Request) string { return backend.URL }})
	require.NoError(b, err)
	b.Cleanup(gw.Close)
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, gw.WebSocketURL(), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = ws.CloseNow() })
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				return
			}
		}
	}()
	require.Eventually(b, func() bool { return len(gw.Connections()) == 1 }, 2*time.Second, 5*time.Millisecond)
	return gw.ManagementEndpoint(), gw.Connections()[0]
}
