// Package clientip tells which address a request comes from, for per-address limits (login
// rate, connection caps).
//
// Behind proxies the peer is the nearest proxy, and the client is in X-Forwarded-For. Each
// proxy appends the address it received the request from, so only the rightmost entries are
// trustworthy: a client can put anything at the left. With hops trusted proxies in front of the
// backend (CloudFront then the ALB: 2), the client is the hops-th entry from the right; the
// entries left of it are the client's own claims and are ignored.
package clientip

import (
	"net"
	"net/http"
	"strings"
)

// MaxHops bounds the configurable number of trusted proxies.
const MaxHops = 5

// FromRequest returns the client address of r. hops is the number of trusted proxies in front
// of the backend that append to X-Forwarded-For (0: use the peer address and ignore the
// header). A header with fewer entries than hops yields its leftmost entry (the proxies'
// chain was shorter than configured; the leftmost is still one a proxy wrote).
func FromRequest(r *http.Request, hops int) string {
	if hops > 0 {
		if addr := fromForwardedFor(r.Header.Values("X-Forwarded-For"), hops); addr != "" {
			return addr
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func fromForwardedFor(values []string, hops int) string {
	var entries []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				entries = append(entries, e)
			}
		}
	}
	if len(entries) == 0 {
		return ""
	}
	i := max(len(entries)-hops, 0)
	return Normalize(entries[i])
}

// Normalize returns the canonical text of an IP address (so "::ffff:192.0.2.1" and
// "192.0.2.1" count as one client), or "" when s is not an address.
func Normalize(s string) string {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil {
		return ""
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.String()
}
