package protocol

import (
	"bytes"
	"encoding/json"
)

// A minimal reader of JSON that json.Valid has already accepted. It finds the spans of an
// object's members without decoding them, so Decode needs no reflection, no map and no copy of
// a value it does not keep. Every function here assumes valid JSON: on anything else its
// results are meaningless (callers check json.Valid first).

// rawEnvelope holds the raw values of a client frame's "t", "d" and "a"; nil when absent.
type rawEnvelope struct {
	t, d, a []byte
}

// scanEnvelope reads the top-level members of frame into env, matching names the way
// encoding/json matches them to the fields of a struct: exactly or case-insensitively (bytes.
// EqualFold on the unescaped name), the last duplicate winning. It reports false when the frame
// is not an object; a top-level null is an object with no members, as json.Unmarshal treats it.
func scanEnvelope(frame []byte, env *rawEnvelope) bool {
	i := skipSpace(frame, 0)
	if frame[i] == 'n' {
		return false // null: the caller words it like encoding/json ("t" is required)
	}
	if frame[i] != '{' {
		return false
	}
	i++
	for {
		i = skipSpace(frame, i)
		switch frame[i] {
		case '}':
			return true
		case ',':
			i = skipSpace(frame, i+1)
		}
		keyEnd := skipString(frame, i)
		key := frame[i:keyEnd]
		i = skipSpace(frame, keyEnd) + 1 // past ':'
		i = skipSpace(frame, i)
		end := skipValue(frame, i)
		switch envelopeSlot(key) {
		case 't':
			env.t = frame[i:end]
		case 'd':
			env.d = frame[i:end]
		case 'a':
			env.a = frame[i:end]
		}
		i = end
	}
}

// envelopeSlot tells which envelope field a member name (a JSON string token) fills: 't', 'd',
// 'a', or 0 for none.
func envelopeSlot(key []byte) byte {
	name, ok := unquoteName(key)
	if !ok || len(name) != 1 {
		return 0
	}
	// t, d and a fold only with T, D and A (no other rune is in their Unicode fold sets), and
	// c|0x20 maps exactly those two bytes of each pair to the lower-case letter.
	switch c := name[0] | 0x20; c {
	case 't', 'd', 'a':
		return c
	}
	return 0
}

// unquoteName returns a member name as encoding/json unescapes it, when it can be one of ours:
// ok is false for a name with bytes outside printable ASCII and no escape, which can never
// equal an ASCII name (invalid UTF-8 becomes U+FFFD and no non-ASCII rune folds to t, d or a).
func unquoteName(key []byte) ([]byte, bool) {
	if name, ok := plainString(key); ok {
		return name, true
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return nil, false
	}
	var s string
	if json.Unmarshal(key, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// scanObject reads the members of the JSON object raw whose names are exactly one of names
// (compared after unescaping, as map keys are) into out, by the index of the name; the last
// duplicate wins. It reports false when raw is not an object.
func scanObject(raw []byte, names []string, out *payloadFields) bool {
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	i := 1
	for {
		i = skipSpace(raw, i)
		switch raw[i] {
		case '}':
			return true
		case ',':
			i = skipSpace(raw, i+1)
		}
		keyEnd := skipString(raw, i)
		key := raw[i:keyEnd]
		i = skipSpace(raw, keyEnd) + 1 // past ':'
		i = skipSpace(raw, i)
		end := skipValue(raw, i)
		if k := memberIndex(key, names); k >= 0 {
			out[k] = raw[i:end]
		}
		i = end
	}
}

// memberIndex returns the index in names of the member name key (a JSON string token), or -1.
func memberIndex(key []byte, names []string) int {
	name, ok := unquoteName(key)
	if !ok {
		return -1
	}
	for k, n := range names {
		if string(name) == n {
			return k
		}
	}
	return -1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string token that starts at b[i] ('"').
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return len(b)
		}
		j += q
		// The quote ends the string unless an odd number of backslashes escapes it.
		k := j - 1
		for k > i && b[k] == '\\' {
			k--
		}
		if (j-1-k)%2 == 0 {
			return j + 1
		}
		j++
	}
	return len(b)
}

// skipValue returns the index just past the value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default: // number, true, false, null
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j
			}
			j++
		}
		return j
	}
}

// plainString returns the content of a string token that needs no unescaping: printable ASCII
// without a backslash. ok is false for other tokens.
func plainString(tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[0] != '"' {
		return nil, false
	}
	body := tok[1 : len(tok)-1]
	for _, c := range body {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return nil, false
		}
	}
	return body, true
}

// jsonString decodes a string value exactly as json.Unmarshal into a string would (escapes,
// surrogates, invalid UTF-8 replaced); ok is false when the value is not a string.
func jsonString(raw []byte) (string, bool) {
	if body, ok := plainString(raw); ok {
		return string(body), true
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// strictInt accepts only JSON integers (no fractions, no exponents, no strings) that fit in an
// int64: exactly the values strconv.ParseInt(raw, 10, 64) accepts among valid JSON values.
func strictInt(raw []byte) (int64, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0') // 19 digits cannot overflow a uint64
	}
	const maxPos = 1<<63 - 1
	if neg {
		if n > maxPos+1 {
			return 0, false
		}
		return -int64(n), true // -(1<<63) wraps to itself, which is right
	}
	if n > maxPos {
		return 0, false
	}
	return int64(n), true
}
