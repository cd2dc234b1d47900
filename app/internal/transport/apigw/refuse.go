package apigw

import (
	"errors"
	"time"
)

// CodeTooManyConnections is the error code of the 429 answer to a $connect over a cap.
const CodeTooManyConnections = "too_many_connections"

// refuseDelays are the waits before each @connections DELETE of a refused connection, measured
// from the $connect answer: together they cover ConnectGrace's default of 3 s.
var refuseDelays = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1500 * time.Millisecond}

// refuse makes sure a connection whose $connect was answered 429 does not stay open. AWS
// documents that a failed $connect integration refuses the connection, but with HTTP
// integrations a non-2xx status has been reported to open it anyway (README.md, "Refusing a
// connection"). So the refused connection is also deleted through @connections: a DELETE that
// succeeds closes a connection the gateway opened regardless; 410 means it is not open (refused
// as documented, or not open yet, hence the retries over ConnectGrace). The registry has no
// entry for it either, so a message it sends gets it disconnected too.
func (h *Handler) refuse(id string) {
	h.workers.add()
	go func() {
		defer h.workers.done()
		start := h.opts.Now()
		for _, d := range refuseDelays {
			select {
			case <-h.bg.Done():
				return
			case <-time.After(d):
			}
			err := h.poster.Delete(h.bg, id)
			if err == nil {
				h.log.Info("closed a refused connection that the gateway opened anyway", "conn", id)
				return
			}
			if !errors.Is(err, ErrGone) {
				h.log.Warn("disconnecting a refused connection", "conn", id, "err", err)
			}
			if h.opts.Now().Sub(start) >= h.opts.ConnectGrace {
				return
			}
		}
	}()
}
