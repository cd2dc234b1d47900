package gatewaytest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
)

// TestEmulatorRouteSelection: $request.body.t selects a custom route; only two-way routes
// send the integration's body back.
func TestEmulatorRouteSelection(t *testing.T) {
	var mu sync.Mutex
	var got []string
	paths := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(got, " ")
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"from":"` + r.URL.Path + `"}`))
	}))
	defer backend.Close()
	gw, err := gatewaytest.New(gatewaytest.Config{
		Backend:      func(gatewaytest.Request) string { return backend.URL },
		Paths:        map[string]string{"$connect": "/c", "$default": "/m", "ping": "/p", "$disconnect": "/d"},
		TwoWayRoutes: []string{"ping"},
	})
	require.NoError(t, err)
	defer gw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, gw.WebSocketURL(), nil)
	require.NoError(t, err)
	defer ws.CloseNow()
	for _, f := range []string{`{"t":"move"}`, `not json`, `{"t":"$connect"}`, `{"t":5}`, `{"t":"ping","a":1}`} {
		require.NoError(t, ws.Write(ctx, websocket.MessageText, []byte(f)))
	}
	_, b, err := ws.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, `{"from":"/p"}`, string(b), "only the two-way route answers")
	require.Eventually(t, func() bool { return paths() == "/c /m /m /m /m /p" }, 2*time.Second, 5*time.Millisecond, paths())
	assert.Equal(t, int64(1), gw.RouteResponses())

	_, err = gatewaytest.New(gatewaytest.Config{Backend: func(gatewaytest.Request) string { return backend.URL }, TwoWayRoutes: []string{"nosuch"}})
	assert.ErrorContains(t, err, "nosuch")
}
