package loadgen

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/backend"
	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/transport/apigw"
)

// TestOpenLoopRunThroughTheAPIGatewayEmulator plays a short open-loop run with every player
// connected to the bench's API Gateway emulator: moves reach the backend only as /apigw/*
// integration requests and come back only through @connections.
func TestOpenLoopRunThroughTheAPIGatewayEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("plays for several seconds")
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	front, err := newAPIGWFront(hex.EncodeToString(key), nil)
	require.NoError(t, err)
	t.Cleanup(front.close)

	signer, err := authn.NewSigner(key)
	require.NoError(t, err)
	poster, err := apigw.NewLeanClient(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(gatewaytest.TestAccessKeyID, gatewaytest.TestSecretAccessKey, "")},
		apigw.ClientOptions{Endpoint: front.gw.ManagementEndpoint()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	now := func() int64 { return time.Now().UnixMilli() }
	be, err := backend.New(ctx, backend.Options{Durable: memstore.NewDurable(), Live: memstore.NewLive(now),
		Signer: signer, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		APIGW: &backend.APIGWOptions{Gateway: memstore.NewGateway(now), Poster: poster, Handler: apigw.Options{Secrets: []string{front.secret}}}})
	require.NoError(t, err)
	ts := httptest.NewServer(be.Handler)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = be.Shutdown(sctx)
		ts.Close()
		cancel()
	})
	front.setBackends([]string{ts.URL})

	c := quickConfig(ts.URL)
	c.WSURL = front.url()
	// A rate a busy machine keeps up with through the emulator under the race detector, games
	// that last the whole run and a longer step than quickConfig's. Stats count a move in the
	// step it was scheduled in: at 60 moves/s on a machine with a load of 20, the schedule fell
	// so far behind that no move scheduled in the 2 s step was sent before the run ended, and
	// the test failed about one run in three.
	c.Rates = []float64{6}
	c.MaxPlies, c.StepDuration = 40, 4*time.Second
	res, err := Run(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, res.Steps, 1)
	s := res.Steps[0]
	assert.Empty(t, s.Errors)
	assert.Equal(t, 15, s.ConnectionsHeld)
	assert.Positive(t, s.MovesAcked)
	assert.Positive(t, s.Push.Count)
	assert.Positive(t, s.Spectator.Count)
	assert.Zero(t, res.Integrity.Unanswered)
	assert.Equal(t, res.Integrity.MovesSent, res.Integrity.MovesAcked)

	// The traffic went through the emulator, not to /ws.
	assert.Greater(t, front.gw.Posts(), int64(s.MovesAcked), "acks and events are pushed through @connections")
	assert.Zero(t, front.gw.IntegrationErrors())
}

func TestAPIGWFrontRoutesEveryRequestToARunningBackend(t *testing.T) {
	front, err := newAPIGWFront(hex.EncodeToString([]byte("0123456789abcdef0123456789abcdef")), nil)
	require.NoError(t, err)
	t.Cleanup(front.close)
	assert.Equal(t, "http://127.0.0.1:1", front.route(gatewayRequest("c1", 1)), "no backend yet: a dead target")
	front.setBackends([]string{"http://a", "http://b"})
	seen := map[string]int{}
	for seq := range 200 {
		seen[front.route(gatewayRequest("conn", seq))]++
	}
	assert.Len(t, seen, 2, "a connection's messages reach both instances, as through the NLB")
	assert.Equal(t, front.route(gatewayRequest("conn", 7)), front.route(gatewayRequest("conn", 7)))
	env := front.serverEnv()
	assert.Contains(t, env, "APIGW_MANAGEMENT_ENDPOINT="+front.gw.ManagementEndpoint())
	assert.Contains(t, env, "APIGW_SHARED_SECRET="+front.secret)
	_, err = newAPIGWFront("not a key!", nil)
	assert.ErrorContains(t, err, "token key")
}

func gatewayRequest(conn string, seq int) gatewaytest.Request {
	return gatewaytest.Request{Route: apigw.RouteDefault, ConnID: conn, Seq: seq}
}
