// Package backend wires the chess backend together (service, transports, HTTP API) so that the
// binary and the end-to-end tests run exactly the same handler.
package backend

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/httpapi"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/transport/apigw"
	"chessplatform/app/internal/transport/wsdirect"
)

// Options configure a Backend.
type Options struct {
	Durable        store.Durable
	Live           store.Live
	DurableName    string // for /readyz; "postgres"
	LiveName       string // for /readyz; "redis"
	Signer         *authn.Signer
	Log            *slog.Logger
	AllowedOrigins []string
	TokenTTL       time.Duration
	// TrustForwardedFor: the backend runs behind proxies that append to X-Forwarded-For
	// (CloudFront and the ALB); per-address limits and caps then use the client address they
	// saw. ForwardedForHops is the number of those proxies (DefaultForwardedForHops when 0).
	TrustForwardedFor bool
	ForwardedForHops  int
	Server            server.Config
	WS                wsdirect.Options
	API               httpapi.Options
	// APIGW enables the API Gateway integration endpoints (/apigw/*); nil leaves them unmounted.
	APIGW *APIGWOptions
}

// APIGWOptions configure the API Gateway transport.
type APIGWOptions struct {
	Gateway store.Gateway // connection registry (Redis in AWS)
	Poster  apigw.Poster  // the @connections API
	Handler apigw.Options
}

// DefaultForwardedForHops: CloudFront, then the ALB.
const DefaultForwardedForHops = 2

// Backend is a running chess backend.
type Backend struct {
	Handler http.Handler
	Server  *server.Server
	ws      *wsdirect.Handler
	apigw   *apigw.Handler // nil when the API Gateway path is off
}

// New starts the service loops and builds the handler.
func New(ctx context.Context, o Options) (*Backend, error) {
	if o.Durable == nil || o.Live == nil || o.Signer == nil || o.Log == nil {
		return nil, errors.New("backend: Durable, Live, Signer and Log are required")
	}
	srv, err := server.New(ctx, o.Durable, o.Live, o.Log, o.Server)
	if err != nil {
		return nil, err
	}
	o.WS.OriginPatterns = append(o.WS.OriginPatterns, o.AllowedOrigins...)
	hops := 0
	if o.TrustForwardedFor {
		hops = o.ForwardedForHops
		if hops <= 0 {
			hops = DefaultForwardedForHops
		}
	}
	o.WS.ForwardedForHops = hops
	ws := wsdirect.New(srv, o.Signer, o.Log, o.WS)
	apiOpts := o.API
	if o.TokenTTL > 0 {
		apiOpts.TokenTTL = o.TokenTTL
	}
	apiOpts.DurableName, apiOpts.LiveName = o.DurableName, o.LiveName
	apiOpts.ForwardedForHops = hops
	api := httpapi.New(srv, o.Signer, o.Log, apiOpts)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", ws)
	api.Register(mux)
	b := &Backend{Handler: mux, Server: srv, ws: ws}
	if o.APIGW != nil {
		h, err := apigw.New(ctx, apigw.Deps{
			Server: srv, Gateway: o.APIGW.Gateway, Bus: o.Live, Signer: o.Signer, Poster: o.APIGW.Poster, Log: o.Log,
		}, o.APIGW.Handler)
		if err != nil {
			_ = srv.Shutdown(ctx, "startup failed")
			return nil, err
		}
		h.Register(mux)
		b.apigw = h
	}
	return b, nil
}

// Shutdown closes every WebSocket with a reconnect hint, stops the loops and waits for the
// connection handlers, all bounded by ctx. Stop the HTTP server from accepting first.
func (b *Backend) Shutdown(ctx context.Context) error {
	var gwErr error
	if b.apigw != nil {
		// Flush and disconnect gateway clients first, so they reconnect to another task.
		gwErr = b.apigw.Shutdown(ctx)
	}
	err := b.Server.Shutdown(ctx, "server restarting; reconnect")
	return errors.Join(gwErr, err, b.ws.Wait(ctx))
}
