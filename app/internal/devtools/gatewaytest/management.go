package gatewaytest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// serveManagement is the @connections API: POST sends to the client, GET describes the
// connection, DELETE disconnects it (and the gateway then calls $disconnect).
func (g *Gateway) serveManagement(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("stage") != g.cfg.Stage {
		gatewayJSON(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
		return
	}
	// Read the body first: the signature covers its hash. Too large is refused before.
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxMessageBytes+1))
	if err != nil {
		gatewayJSON(w, http.StatusBadRequest, "BadRequestException", "reading body")
		return
	}
	if len(data) > MaxMessageBytes {
		gatewayJSON(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "Message too long")
		return
	}
	if err := g.verifier.Verify(r, data); err != nil {
		g.sigRejects.Add(1)
		var se *SigError
		errors.As(err, &se)
		gatewayJSON(w, http.StatusForbidden, se.Type, se.Message)
		return
	}
	id := r.PathValue("id")
	g.mu.Lock()
	c := g.conns[id]
	g.mu.Unlock()
	if c != nil {
		<-c.ready // the handshake is being written; it finishes or fails promptly
	}
	if c == nil || c.ws == nil {
		gatewayJSON(w, http.StatusGone, "GoneException", "")
		return
	}
	switch r.Method {
	case http.MethodPost:
		g.post(w, c, data)
	case http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"connectedAt":  c.connectedAt.UTC().Format(time.RFC3339Nano),
			"lastActiveAt": time.UnixMilli(c.lastActive.Load()).UTC().Format(time.RFC3339Nano),
			"identity":     map[string]string{"sourceIp": c.sourceIP, "userAgent": c.userAgent},
		})
	case http.MethodDelete:
		// The connection is gone for @connections at once; the close handshake and the
		// $disconnect call follow.
		g.mu.Lock()
		if g.conns[c.id] == c {
			delete(g.conns, c.id)
		}
		g.mu.Unlock()
		go func() { _ = c.ws.Close(websocket.StatusNormalClosure, "") }()
		w.WriteHeader(http.StatusNoContent)
	default:
		gatewayJSON(w, http.StatusMethodNotAllowed, "", "Method Not Allowed")
	}
}

func (g *Gateway) post(w http.ResponseWriter, c *clientConn, data []byte) {
	if status := g.injectedFailure(c.id); status != 0 {
		errType := "InternalServerErrorException"
		switch status {
		case http.StatusTooManyRequests:
			errType = "LimitExceededException"
		case http.StatusGone:
			errType = "GoneException"
		case http.StatusForbidden:
			errType = "ForbiddenException"
		}
		gatewayJSON(w, status, errType, "injected failure")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		gatewayJSON(w, http.StatusGone, "GoneException", "")
		return
	}
	g.posts.Add(1)
	c.posts.Add(1)
	for {
		cur := g.maxPost.Load()
		if int64(len(data)) <= cur || g.maxPost.CompareAndSwap(cur, int64(len(data))) {
			break
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (g *Gateway) injectedFailure(connID string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, f := range g.fail {
		if f.left > 0 && (f.connID == "" || f.connID == connID) {
			f.left--
			if f.left == 0 {
				g.fail = append(g.fail[:i], g.fail[i+1:]...)
			}
			return f.status
		}
	}
	return 0
}
