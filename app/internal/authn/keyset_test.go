package authn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKeySetFormats(t *testing.T) {
	k1 := strings.Repeat("11", 32)
	k2 := strings.Repeat("22", 32)
	k3 := strings.Repeat("33", 32)
	for name, c := range map[string]struct {
		in       string
		want     KeySet
		accepted int
	}{
		"bare key":       {k1, KeySet{Current: k1}, 0},
		"key set":        {`{"current":"` + k1 + `","next":"` + k2 + `","previous":"` + k3 + `"}`, KeySet{Current: k1, Next: k2, Previous: k3}, 2},
		"earlier format": {`{"current":"` + k1 + `","previous":["` + k2 + `","` + k3 + `"]}`, KeySet{Current: k1, Previous: k2 + "," + k3}, 2},
		"first key set":  {`{"current":"` + k1 + `","next":"` + k2 + `","previous":"` + k1 + `"}`, KeySet{Current: k1, Next: k2, Previous: k1}, 2},
		"null previous":  {`{"current":"` + k1 + `","previous":null}`, KeySet{Current: k1}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			ks, err := ParseKeySet(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, ks)
			_, acc, err := ks.Keys()
			require.NoError(t, err)
			assert.Len(t, acc, c.accepted)
			_, err = ks.Signer()
			require.NoError(t, err)
		})
	}
	for name, c := range map[string]struct{ in, want string }{
		"unknown field": {`{"current":"` + k1 + `","spare":"x"}`, "spare"},
		"short next":    {`{"current":"` + k1 + `","next":"abcd"}`, "next"},
		"bad previous":  {`{"current":"` + k1 + `","previous":"zz"}`, "previous 1"},
		"no current":    {`{"next":"` + k1 + `"}`, "current"},
		"previous type": {`{"current":"` + k1 + `","previous":7}`, "previous"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeySet(c.in)
			require.ErrorContains(t, err, c.want)
		})
	}
}
