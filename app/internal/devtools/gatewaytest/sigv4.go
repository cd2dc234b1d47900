package gatewaytest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Test credentials the emulator accepts by default (Config.Credentials). Clients in tests sign
// with these; anything else is answered 403 as AWS would.
const (
	TestAccessKeyID     = "AKIDGATEWAYTEST"
	TestSecretAccessKey = "gatewaytest/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// Credential is one access key the emulator knows. SessionToken, when set, must arrive as a
// signed X-Amz-Security-Token header (temporary credentials, e.g. an ECS task role).
type Credential struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// SigV4Verifier checks AWS Signature Version 4 Authorization headers the way the receiving
// AWS service does. It is written from the published algorithm (AWS General Reference,
// "Create a signed AWS API request": canonical request, string to sign, derived key), not
// with any client's signer, so a client bug cannot be mirrored here; TestSigV4Vectors checks it
// against the AWS SigV4 test suite.
type SigV4Verifier struct {
	Region, Service string
	Credentials     []Credential
	// MaxSkew is how far X-Amz-Date may be from Now (AWS: 15 minutes, then "Signature
	// expired").
	MaxSkew time.Duration
	Now     func() time.Time
	// SingleEncodePath leaves the URI path as sent (S3's rule, and the test suite's vectors).
	// Every other service, execute-api included, URI-encodes the path a second time.
	SingleEncodePath bool
}

// SigError is a rejected signature: AWS answers 403 with its type and message.
type SigError struct {
	Type, Message string
}

func (e *SigError) Error() string { return e.Type + ": " + e.Message }

func sigErr(typ, format string, args ...any) error {
	return &SigError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Verify checks r's Authorization header against its method, path, query, signed headers and
// body.
func (v SigV4Verifier) Verify(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return sigErr("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	algo, rest, _ := strings.Cut(auth, " ")
	if algo != "AWS4-HMAC-SHA256" {
		return sigErr("IncompleteSignatureException", "unsupported algorithm %q", algo)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return sigErr("IncompleteSignatureException", "malformed Authorization component %q", part)
		}
		fields[k] = val
	}
	credential, signedList, signature := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if credential == "" || signedList == "" || signature == "" {
		return sigErr("IncompleteSignatureException", "Authorization needs Credential, SignedHeaders and Signature")
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 {
		return sigErr("IncompleteSignatureException", "malformed credential scope %q", credential)
	}
	keyID, day, region, service, term := scope[0], scope[1], scope[2], scope[3], scope[4]
	var cred *Credential
	for i := range v.Credentials {
		if v.Credentials[i].AccessKeyID == keyID {
			cred = &v.Credentials[i]
		}
	}
	if cred == nil {
		return sigErr("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	if region != v.Region || service != v.Service || term != "aws4_request" {
		return sigErr("InvalidSignatureException", "Credential should be scoped to %s/%s/aws4_request, not %s/%s/%s", v.Region, v.Service, region, service, term)
	}
	stamp := r.Header.Get("X-Amz-Date")
	when, err := time.Parse("20060102T150405Z", stamp)
	if err != nil {
		return sigErr("IncompleteSignatureException", "X-Amz-Date %q: want yyyyMMddTHHmmssZ", stamp)
	}
	if stamp[:8] != day {
		return sigErr("InvalidSignatureException", "Credential date %s does not match X-Amz-Date %s", day, stamp)
	}
	if v.MaxSkew > 0 && v.Now != nil {
		if d := v.Now().Sub(when); d > v.MaxSkew || d < -v.MaxSkew {
			return sigErr("InvalidSignatureException", "Signature expired: %s is now earlier than %s", stamp, v.Now().Add(-v.MaxSkew).UTC().Format("20060102T150405Z"))
		}
	}
	names := strings.Split(signedList, ";")
	if !sort.StringsAreSorted(names) || !contains(names, "host") {
		return sigErr("InvalidSignatureException", "SignedHeaders %q must be sorted and include host", signedList)
	}
	if cred.SessionToken != "" {
		if !contains(names, "x-amz-security-token") || r.Header.Get("X-Amz-Security-Token") != cred.SessionToken {
			return sigErr("UnrecognizedClientException", "The security token included in the request is invalid.")
		}
	}

	payload := sha256.Sum256(body)
	payloadHex := hex.EncodeToString(payload[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHex {
		return sigErr("InvalidSignatureException", "X-Amz-Content-Sha256 does not match the body")
	}
	canonical := strings.Join([]string{
		r.Method,
		v.canonicalURI(r),
		canonicalQuery(r),
		canonicalHeaders(r, names),
		signedList,
		payloadHex,
	}, "\n")
	crHash := sha256.Sum256([]byte(canonical))
	stringToSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + day + "/" + region + "/" + service + "/aws4_request\n" + hex.EncodeToString(crHash[:])

	key := mac([]byte("AWS4"+cred.SecretAccessKey), day)
	key = mac(key, region)
	key = mac(key, service)
	key = mac(key, "aws4_request")
	want := hex.EncodeToString(mac(key, stringToSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return sigErr("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	}
	return nil
}

// canonicalURI is the path as it arrived on the request line, URI-encoded once more unless
// SingleEncodePath (then as it arrived).
func (v SigV4Verifier) canonicalURI(r *http.Request) string {
	p := r.RequestURI
	if p == "" { // a client-side request (the test vectors)
		p = r.URL.EscapedPath()
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		p = "/"
	}
	if v.SingleEncodePath {
		return p
	}
	return uriEncode(p, false)
}

// canonicalQuery sorts the query parameters by encoded name, then value, each URI-encoded.
func canonicalQuery(r *http.Request) string {
	type pair struct{ k, v string }
	var ps []pair
	for name, vals := range r.URL.Query() {
		for _, val := range vals {
			ps = append(ps, pair{uriEncode(name, true), uriEncode(val, true)})
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].k != ps[j].k {
			return ps[i].k < ps[j].k
		}
		return ps[i].v < ps[j].v
	})
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// canonicalHeaders lists the signed headers as name:value lines (values trimmed, inner runs of
// spaces collapsed, repeated headers joined with commas), then an empty line.
func canonicalHeaders(r *http.Request, names []string) string {
	var sb strings.Builder
	for _, n := range names {
		var vals []string
		switch n {
		case "host":
			vals = []string{r.Host}
		case "content-length":
			vals = r.Header.Values(n)
			if len(vals) == 0 {
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		default:
			vals = r.Header.Values(n)
		}
		for i, s := range vals {
			vals[i] = strings.Join(strings.Fields(s), " ")
		}
		sb.WriteString(n + ":" + strings.Join(vals, ",") + "\n")
	}
	return sb.String()
}

// uriEncode escapes every byte except A-Z a-z 0-9 - . _ ~ (and '/' unless encodeSlash) as
// %XX with upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	var sb strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			sb.WriteByte(c)
		case c == '/' && !encodeSlash:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

func mac(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// IsSigError reports whether err is a rejected signature.
func IsSigError(err error) bool {
	var se *SigError
	return errors.As(err, &se)
}
