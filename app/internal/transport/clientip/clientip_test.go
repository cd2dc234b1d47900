package clientip

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFromRequest(t *testing.T) {
	cases := []struct {
		name string
		peer string
		xff  []string
		hops int
		want string
	}{
		{"no proxy: the peer", "192.0.2.7:5555", nil, 0, "192.0.2.7"},
		{"no proxy: the header is ignored", "192.0.2.7:5555", []string{"203.0.113.9"}, 0, "192.0.2.7"},
		{"one proxy: the entry it appended", "10.0.0.2:80", []string{"198.51.100.1, 203.0.113.9"}, 1, "203.0.113.9"},
		{"two proxies: a forged left entry is ignored", "10.0.0.2:80", []string{"198.51.100.1, 203.0.113.9, 130.176.0.1"}, 2, "203.0.113.9"},
		{"two proxies over two header lines", "10.0.0.2:80", []string{"203.0.113.9", "130.176.0.1"}, 2, "203.0.113.9"},
		{"shorter chain than configured: the leftmost", "10.0.0.2:80", []string{"203.0.113.9"}, 2, "203.0.113.9"},
		{"no header behind proxies: the peer", "10.0.0.2:80", nil, 2, "10.0.0.2"},
		{"garbage entry: the peer", "10.0.0.2:80", []string{"not-an-ip"}, 1, "10.0.0.2"},
		{"IPv4-mapped IPv6 is IPv4", "10.0.0.2:80", []string{"::ffff:203.0.113.9"}, 1, "203.0.113.9"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, 0, "2001:db8::1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, c.want, FromRequest(r, c.hops))
		})
	}
}
