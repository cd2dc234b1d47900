package apigw_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/app/internal/devtools/testenv"
	"chessplatform/app/internal/transport/apigw"
)

// recorded is one request in moto's recording (moto-api/recorder).
type recorded struct {
	Headers     map[string]string `json:"headers"`
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	Body        string            `json:"body"`
	BodyEncoded bool              `json:"body_encoded"`
}

func motoCall(t *testing.T, method, url string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, buf.String())
	return buf.Bytes()
}

// TestClientAgainstMoto exercises the @connections client against moto_server's
// apigatewaymanagementapi (moto 5.2): the post arrives signed for execute-api with the frame as
// its body (read back through moto's request recorder, since moto's API does not return posted
// data), and GET and DELETE reach it.
//
// What moto does not model, found here: it routes the management API only without a stage in
// the path (BaseEndpoint = the bare endpoint; /{stage}/@connections gets 404), it creates
// unknown connections on first use instead of answering 410 GoneException (so the 410 mapping
// is tested against the emulator and a scripted server), and its GetConnection returns
// connectedAt as epoch seconds where the SDK expects ISO 8601.
//
// Both clients run (lean: production; SDK: the A/B reference). moto does not verify SigV4
// signatures (it accepts any Authorization header), so the signature itself is checked by the
// emulator (TestClientAgainstEmulator, gatewaytest's TestManagementRejectsBadSignatures).
func TestClientAgainstMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	for _, k := range clientKinds {
		t.Run(k.name, func(t *testing.T) { clientAgainstMoto(t, k.make) })
	}
}

func clientAgainstMoto(t *testing.T, newPoster func(aws.Config, apigw.ClientOptions) (apigw.Poster, error)) {
	t.Setenv("MOTO_RECORDER_FILEPATH", filepath.Join(t.TempDir(), "recording"))
	m := testenv.MotoT(t)
	motoCall(t, http.MethodPost, m.Endpoint+"/moto-api/recorder/start-recording")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// moto answers slowly on a loaded machine: a long attempt timeout keeps retries (which
	// would record extra posts) out of the counts below.
	c, err := newPoster(awsConfig(), apigw.ClientOptions{Endpoint: m.Endpoint, Retry: apigw.RetryPolicy{AttemptTimeout: 30 * time.Second}})
	require.NoError(t, err)

	id := "L0SM9cOFvHcCIhw="
	frame := []byte(`{"t":"move","v":3,"d":{"game":"g_1","u":"e2e4"}}`)
	require.NoError(t, c.Post(ctx, id, frame))
	if sdk, ok := c.(*apigw.Client); ok {
		out, err := sdk.GetConnection(ctx, id)
		if err == nil {
			require.NotNil(t, out.Identity)
			assert.Equal(t, "Moto Mocks", *out.Identity.UserAgent)
		} else {
			// moto 5.2 sends connectedAt as a number; the SDK wants an ISO 8601 string.
			require.ErrorContains(t, err, "__timestampIso8601")
		}
	} else {
		require.NoError(t, c.Probe(ctx, id), "GET @connections (the lean client does not decode the body)")
	}
	require.NoError(t, c.Delete(ctx, id))

	// What moto does with a forged signature: it accepts it (no SigV4 verification), which is
	// why the emulator verifies signatures instead.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint+"/@connections/forged", strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Date", "20000101T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFORGED/20000101/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "moto 5.2 does not verify signatures")

	rec := motoCall(t, http.MethodGet, m.Endpoint+"/moto-api/recorder/download-recording")
	var posts, gets, deletes int
	sc := bufio.NewScanner(bytes.NewReader(rec))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r recorded
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		if !strings.Contains(r.URL, "/@connections/") {
			continue
		}
		assert.Contains(t, r.Headers["Authorization"], "/us-east-1/execute-api/aws4_request")
		switch r.Method {
		case http.MethodPost:
			posts++
			body := []byte(r.Body)
			if r.BodyEncoded {
				body, err = base64.StdEncoding.DecodeString(r.Body)
				require.NoError(t, err)
			}
			if strings.HasSuffix(r.URL, "/forged") {
				continue
			}
			assert.Equal(t, string(frame), string(body))
			assert.True(t, strings.HasSuffix(r.URL, "/@connections/L0SM9cOFvHcCIhw%3D") || strings.HasSuffix(r.URL, "/@connections/"+id), r.URL)
		case http.MethodGet:
			gets++
		case http.MethodDelete:
			deletes++
		}
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, [3]int{2, 1, 1}, [3]int{posts, gets, deletes}, "two posts (one forged), one get, one delete reached moto")
}
