package loadgen

import (
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"

	"chessplatform/app/internal/authn"
	"chessplatform/app/internal/devtools/gatewaytest"
	"chessplatform/app/internal/transport/apigw"
	"chessplatform/app/internal/transport/apigw/wsauth"
)

// Transports the bench can drive.
const (
	TransportDirect = "direct" // players connect to each backend's /ws
	TransportAPIGW  = "apigw"  // players connect to an API Gateway emulator in front of the backends
)

// apigwFront is the in-process API Gateway emulator (app/internal/devtools/gatewaytest) that the bench
// puts in front of the backends for -transport apigw: clients connect to it, its authorizer is
// the real ws-authorizer handler, its integrations POST to the backends' /apigw/* paths with the
// request parameters the deployed API uses, and the backends push through its @connections
// endpoint. It runs in the load generator's process, so its CPU counts as the generator's.
type apigwFront struct {
	gw       *gatewaytest.Gateway
	secret   string
	backends atomic.Pointer[[]string]
}

// newAPIGWFront starts the emulator. tokenKey is the backends' TOKEN_KEY.
func newAPIGWFront(tokenKey string, log *slog.Logger) (*apigwFront, error) {
	key, err := authn.ParseKey(tokenKey)
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	signer, err := authn.NewSigner(key)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f := &apigwFront{secret: randomHex(24)}
	empty := []string{}
	f.backends.Store(&empty)
	params := map[string]map[string]string{}
	for _, r := range apigw.Routes {
		params[r] = apigw.RequestParameters(r, f.secret)
	}
	auth := wsauth.New(wsauth.StaticKeys{S: signer}, log, nil)
	gw, err := gatewaytest.New(gatewaytest.Config{
		Authorizer:        gatewaytest.LambdaJSON(auth.Handle),
		IdentitySources:   []string{"route.request.querystring.token"},
		Backend:           f.route,
		Paths:             apigw.IntegrationPaths,
		TwoWayRoutes:      apigw.TwoWayRoutes,
		RequestParameters: params,
		Log:               log,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the API Gateway emulator: %w", err)
	}
	f.gw = gw
	return f, nil
}

// route spreads integration requests over the backends as the VPC link's NLB would: any
// request may reach any instance.
func (f *apigwFront) route(r gatewaytest.Request) string {
	bs := *f.backends.Load()
	if len(bs) == 0 {
		return "http://127.0.0.1:1" // no backend running: the integration fails like a dead target
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(r.ConnID + "/" + strconv.Itoa(r.Seq)))
	return bs[int(h.Sum32())%len(bs)]
}

// setBackends points the integrations at the backends of the current run.
func (f *apigwFront) setBackends(urls []string) {
	cp := append([]string(nil), urls...)
	f.backends.Store(&cp)
}

// serverEnv is what the backends need to serve the API Gateway path.
func (f *apigwFront) serverEnv() []string {
	return []string{
		"APIGW_MANAGEMENT_ENDPOINT=" + f.gw.ManagementEndpoint(),
		"APIGW_SHARED_SECRET=" + f.secret,
		// The emulator verifies the signatures with its test credentials.
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=" + gatewaytest.TestAccessKeyID, "AWS_SECRET_ACCESS_KEY=" + gatewaytest.TestSecretAccessKey,
	}
}

// url is where players connect (wsclient-style base URL; the stage is /ws).
func (f *apigwFront) url() string { return f.gw.URL() }

func (f *apigwFront) close() { f.gw.Close() }

// CheckTransport validates -transport.
func CheckTransport(t string) error {
	switch t {
	case TransportDirect, TransportAPIGW:
		return nil
	}
	return fmt.Errorf("-transport %q: must be direct or apigw", t)
}
