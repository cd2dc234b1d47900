package server

import (
	"context"
	"fmt"
	"time"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/store"
)

// Client describes where a connection comes from, for the connection caps.
type Client struct {
	// Addr is the client's address; "" when the transport does not know it (then only the
	// per-player cap applies).
	Addr string
	// Takeover marks a connection that exists already and moves to this instance (API Gateway
	// after its owner died): it is counted, never refused.
	Takeover bool
}

// DefaultConnLimits: a player needs a few tabs, an address may be a school or a carrier NAT.
func DefaultConnLimits() store.ConnLimits { return store.ConnLimits{PerPlayer: 10, PerAddr: 200} }

// CapError is returned by Open when a connection cap refuses the connection; transports answer
// it with 429 before the connection opens.
type CapError struct {
	Cap   store.ConnCap
	Limit int
}

func (e *CapError) Error() string {
	if e.Cap == store.CapAddr {
		return fmt.Sprintf("too many connections from this address (at most %d)", e.Limit)
	}
	return fmt.Sprintf("too many connections of this player (at most %d)", e.Limit)
}

// CloseTokenExpired is the WebSocket close code of a connection closed because its session
// token expired (the application range 4000-4999; 4001 mirrors HTTP 401).
const CloseTokenExpired = 4001

// CodeCloser is a Conn that can close with a WebSocket close code. The direct transport is
// one; over API Gateway the backend cannot choose the code, and the client recognises the
// reason by the error frame sent just before.
type CodeCloser interface {
	CloseCode(code int, reason string)
}

// admit counts the connection under the caps. When Live cannot count (Redis down), the
// connection is admitted uncounted: the caps guard against abuse, and refusing every client
// during an outage would be worse.
func (s *Server) admit(ctx context.Context, sess *Session, c Client) error {
	limits := s.cfg.ConnLimits
	refused, err := s.live.AcquireConn(ctx, sess.Player.PlayerID, c.Addr, limits, c.Takeover)
	if err != nil {
		s.log.WarnContext(ctx, "counting connection; admitted without a cap check", "player", sess.Player.PlayerID, "err", err)
		return nil
	}
	switch refused {
	case store.CapPlayer:
		return &CapError{Cap: refused, Limit: limits.PerPlayer}
	case store.CapAddr:
		return &CapError{Cap: refused, Limit: limits.PerAddr}
	}
	sess.counted, sess.addr = true, c.Addr
	return nil
}

// release gives the connection's count back.
func (s *Server) release(ctx context.Context, sess *Session) {
	if !sess.counted {
		return
	}
	if err := s.live.ReleaseConn(ctx, sess.Player.PlayerID, sess.addr); err != nil {
		s.log.WarnContext(ctx, "releasing connection count", "player", sess.Player.PlayerID, "err", err)
	}
}

// armExpiry closes the session when its token expires: an error frame says why, then the
// connection closes (with CloseTokenExpired where the transport can set a code). The token
// was verified against the wall clock, so the timer runs on it too.
func (s *Server) armExpiry(sess *Session) {
	exp := sess.Player.ExpiresAt
	if exp.IsZero() {
		return
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.closed {
		return
	}
	sess.expiry = time.AfterFunc(max(time.Until(exp), 0), func() {
		sess.mu.Lock()
		closed := sess.closed
		sess.mu.Unlock()
		if closed {
			return
		}
		sess.send(protocol.ErrorFrame(protocol.Errorf(protocol.CodeUnauthorized, "%s", ReasonTokenExpired), 0))
		if cc, ok := sess.conn.(CodeCloser); ok {
			cc.CloseCode(CloseTokenExpired, ReasonTokenExpired)
			return
		}
		sess.conn.Close(ReasonTokenExpired)
	})
}

// ReasonTokenExpired is the message of the error frame and the close reason of an expired
// session.
const ReasonTokenExpired = "session token expired; log in again"
