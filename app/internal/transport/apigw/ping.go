package apigw

import (
	"net/http"

	"chessplatform/app/internal/protocol"
)

// HeaderRouteResponse is set (static value RouteResponseBody) by the integration of a route
// with a route response: the body of the backend's answer then reaches the client.
const (
	HeaderRouteResponse = "X-Chess-Route-Response"
	RouteResponseBody   = "body"
)

// answerPingInBody handles a plain ping on the two-way ping route: the pong is the HTTP
// response, which API Gateway sends to the client, instead of an @connections POST. Pings are
// about half of all client frames (one per connection every 2.5 s), so this saves a signed
// POST and a queued frame each. It reports false when the frame is not such a ping (the
// caller routes it as any message).
//
// The owner only notes the connection's activity (the silent-connection probe keys on it);
// the ping skips the per-session rate limiter (the stage's throttling still applies). On an
// instance that does not hold the session the ping is routed as before, so an unknown
// connection is still disconnected and a dead owner's connection taken over; the owner then
// also posts a pong, and the client sees two (harmless: a pong only feeds the lag estimate).
func (h *Handler) answerPingInBody(w http.ResponseWriter, r *http.Request, id string, body []byte) bool {
	if r.Header.Get(HeaderRouteResponse) != RouteResponseBody || !protocol.IsPing(body) {
		return false
	}
	if c := h.lookup(id); c == nil || !c.notePing() {
		h.route(r.Context(), id, inbound{frame: body})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(protocol.PongFrame())
	return true
}

// notePing records client activity without queueing anything; false when the connection is
// closing.
func (c *conn) notePing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen || c.sess == nil {
		return false
	}
	c.lastIn = c.h.opts.Now()
	return true
}
