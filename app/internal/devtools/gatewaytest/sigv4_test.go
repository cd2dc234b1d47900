package gatewaytest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/gatewaytest"
)

// sdkSign signs req as aws-sdk-go-v2's SigV4 signer does: a third implementation, neither the
// emulator's verifier nor the backend's lean client, to produce requests the tests then alter.
func sdkSign(t *testing.T, req *http.Request, body []byte, secret string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: gatewaytest.TestAccessKeyID, SecretAccessKey: secret}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", at))
}

// TestSigV4Vectors checks the verifier against vectors of the AWS Signature Version 4 test
// suite (aws-sig-v4-test-suite: credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
// region us-east-1, service "service", 2015-08-30T12:36:00Z; the suite encodes paths once).
func TestSigV4Vectors(t *testing.T) {
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	v := gatewaytest.SigV4Verifier{
		Region: "us-east-1", Service: "service", SingleEncodePath: true,
		Credentials: []gatewaytest.Credential{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}},
		MaxSkew:     15 * time.Minute, Now: func() time.Time { return at },
	}
	const scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	vectors := []struct {
		name, method, target string
		headers              [][2]string
		auth                 string
	}{
		{"get-vanilla", "GET", "/", nil,
			"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"post-vanilla", "POST", "/", nil,
			"SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", nil,
			"SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", nil,
			"SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
		{"post-header-value-case", "POST", "/", [][2]string{{"My-Header1", "VALUE1"}},
			"SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
		{"get-header-value-trim", "GET", "/", [][2]string{{"My-Header1", " value1"}, {"My-Header2", `"a   b   c"`}},
			"SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
	}
	for _, vec := range vectors {
		t.Run(vec.name, func(t *testing.T) {
			newReq := func() *http.Request {
				r := httptest.NewRequest(vec.method, vec.target, nil)
				r.Host = "example.amazonaws.com"
				r.Header.Set("X-Amz-Date", "20150830T123600Z")
				for _, h := range vec.headers {
					r.Header.Set(h[0], h[1])
				}
				r.Header.Set("Authorization", scope+vec.auth)
				return r
			}
			require.NoError(t, v.Verify(newReq(), nil))

			// Breakable: one changed byte anywhere is a mismatch.
			r := newReq()
			r.Host = "example.amazonaws.org"
			assert.True(t, gatewaytest.IsSigError(v.Verify(r, nil)), "other host")
			assert.True(t, gatewaytest.IsSigError(v.Verify(newReq(), []byte("x"))), "other body")
			r = newReq()
			r.Method = map[string]string{"GET": "POST", "POST": "GET"}[vec.method]
			assert.True(t, gatewaytest.IsSigError(v.Verify(r, nil)), "other method")
			r = newReq()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=0", 1)[:len(r.Header.Get("Authorization"))])
			assert.True(t, gatewaytest.IsSigError(v.Verify(r, nil)), "other signature")
			wrong := v
			wrong.Credentials = []gatewaytest.Credential{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz"}}
			assert.True(t, gatewaytest.IsSigError(wrong.Verify(newReq(), nil)), "other secret")
			later := v
			later.Now = func() time.Time { return at.Add(16 * time.Minute) }
			assert.ErrorContains(t, later.Verify(newReq(), nil), "Signature expired")
		})
	}
}

// TestManagementRejectsBadSignatures: the emulator's @connections API recomputes each
// request's signature and answers 403 to a wrong key, an altered signed header, an altered
// body, a date outside 15 minutes, a wrong region or service scope and an unknown key id.
func TestManagementRejectsBadSignatures(t *testing.T) {
	b := newBackend(t)
	g := newGateway(t, b, nil)
	ws, _, err := dial(t, g, "")
	require.NoError(t, err)
	defer ws.CloseNow()
	id := g.Connections()[0]
	path := g.URL() + "/ws/@connections/" + strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(id)
	send := func(req *http.Request) (int, string) {
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
	}
	body := []byte(`{"t":"pong"}`)
	newReq := func() *http.Request {
		req, err := http.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
		require.NoError(t, err)
		req.Header.Set("X-Custom", "signed")
		return req
	}
	st, _ := send(func() *http.Request {
		r := newReq()
		sdkSign(t, r, body, gatewaytest.TestSecretAccessKey, time.Now())
		return r
	}())
	require.Equal(t, http.StatusOK, st, "a correct signature")
	_, data, err := ws.Read(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, string(body), string(data))

	cases := map[string]func() *http.Request{
		"wrong key": func() *http.Request {
			r := newReq()
			sdkSign(t, r, body, "not-the-secret", time.Now())
			return r
		},
		"altered signed header": func() *http.Request {
			r := newReq()
			sdkSign(t, r, body, gatewaytest.TestSecretAccessKey, time.Now())
			r.Header.Set("X-Custom", "changed")
			return r
		},
		"altered body": func() *http.Request {
			r := newReq()
			sdkSign(t, r, []byte(`{"t":"pong!"}`), gatewaytest.TestSecretAccessKey, time.Now())
			return r
		},
		"date 20 minutes ago": func() *http.Request {
			r := newReq()
			sdkSign(t, r, body, gatewaytest.TestSecretAccessKey, time.Now().Add(-20*time.Minute))
			return r
		},
		"date changed after signing": func() *http.Request {
			r := newReq()
			sdkSign(t, r, body, gatewaytest.TestSecretAccessKey, time.Now())
			r.Header.Set("X-Amz-Date", time.Now().Add(time.Second).UTC().Format("20060102T150405Z"))
			return r
		},
		"other region": func() *http.Request {
			r := newReq()
			sum := sha256.Sum256(body)
			creds := aws.Credentials{AccessKeyID: gatewaytest.TestAccessKeyID, SecretAccessKey: gatewaytest.TestSecretAccessKey}
			require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "execute-api", "eu-west-1", time.Now()))
			return r
		},
		"unknown key id": func() *http.Request {
			r := newReq()
			sum := sha256.Sum256(body)
			creds := aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: gatewaytest.TestSecretAccessKey}
			require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()))
			return r
		},
		"unsigned": newReq,
	}
	for name, mk := range cases {
		st, typ := send(mk())
		assert.Equal(t, http.StatusForbidden, st, name)
		assert.NotEmpty(t, typ, name)
	}
	assert.Equal(t, int64(len(cases)), g.SignatureRejections())
	assert.Equal(t, int64(1), g.PostsTo(id), "nothing rejected reached the client")
}
