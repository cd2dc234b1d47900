package game

import (
	"encoding/json"
	"strconv"

	"chessplatform/app/internal/clock"
	"chessplatform/app/internal/protocol"
)

// The state is encoded on every change (Seal), and encoding/json's reflection was 5-7 % of
// the backend's CPU at saturation. AppendJSON writes the same bytes without reflection;
// TestAppendJSONEqualsMarshal and FuzzAppendJSON hold it byte-equal to json.Marshal, so a
// field added to State (or to a type it contains) must be added here too, or those tests fail.

// AppendJSON appends the JSON of s to dst, byte for byte what json.Marshal(s) returns.
func (s *State) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, s.ID)
	dst = append(dst, `,"v":`...)
	dst = strconv.AppendInt(dst, s.V, 10)
	dst = append(dst, `,"white":`...)
	dst = appendPlayer(dst, &s.White)
	dst = append(dst, `,"black":`...)
	dst = appendPlayer(dst, &s.Black)
	dst = append(dst, `,"tc":`...)
	dst = appendString(dst, s.TC)
	dst = append(dst, `,"rated":`...)
	dst = strconv.AppendBool(dst, s.Rated)
	dst = append(dst, `,"speed":`...)
	dst = appendString(dst, string(s.Speed))
	dst = append(dst, `,"createdAt":`...)
	dst = strconv.AppendInt(dst, s.CreatedAt, 10)
	dst = append(dst, `,"rules":{"fen":`...)
	dst = appendString(dst, s.Rules.FEN)
	if len(s.Rules.RepKeys) > 0 {
		dst = append(dst, `,"rep":`...)
		dst = appendStrings(dst, s.Rules.RepKeys)
	}
	dst = append(dst, `},"moves":`...)
	dst = appendStrings(dst, s.Moves)
	dst = append(dst, `,"clock":`...)
	dst = appendClock(dst, &s.Clock)
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, s.Status)
	if s.Result != "" {
		dst = append(dst, `,"result":`...)
		dst = appendString(dst, s.Result)
	}
	if s.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, s.Reason)
	}
	if s.EndedAt != 0 {
		dst = append(dst, `,"endedAt":`...)
		dst = strconv.AppendInt(dst, s.EndedAt, 10)
	}
	if s.DrawOffer != "" {
		dst = append(dst, `,"drawOffer":`...)
		dst = appendString(dst, s.DrawOffer)
	}
	if s.AbortAt != 0 {
		dst = append(dst, `,"abortAt":`...)
		dst = strconv.AppendInt(dst, s.AbortAt, 10)
	}
	if s.Aborted != (protocol.AbortInfo{}) {
		dst = appendAbortInfo(append(dst, `,"aborted":`...), s.Aborted)
	}
	if s.Ratings != nil {
		dst = append(dst, `,"ratings":`...)
		dst = appendRatings(dst, s.Ratings)
	}
	// Acks is an array, which omitempty never omits (its length is 2).
	dst = append(dst, `,"acks":[`...)
	dst = appendInts(dst, s.Acks[0])
	dst = append(dst, ',')
	dst = appendInts(dst, s.Acks[1])
	return append(dst, "]}"...)
}

func appendPlayer(dst []byte, p *PlayerRef) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, p.ID)
	dst = append(dst, `,"name":`...)
	dst = appendString(dst, p.Name)
	dst = append(dst, `,"rating":`...)
	dst = strconv.AppendInt(dst, int64(p.Rating), 10)
	if p.Provisional {
		dst = append(dst, `,"provisional":true`...)
	}
	if p.Guest {
		dst = append(dst, `,"guest":true`...)
	}
	return append(dst, '}')
}

func appendClock(dst []byte, c *clock.Clock) []byte {
	dst = append(dst, `{"cfg":{"BaseMs":`...)
	dst = strconv.AppendInt(dst, c.Cfg.BaseMs, 10)
	dst = append(dst, `,"IncMs":`...)
	dst = strconv.AppendInt(dst, c.Cfg.IncMs, 10)
	dst = append(dst, `},"rem":[`...)
	dst = strconv.AppendInt(dst, c.Remaining[0], 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, c.Remaining[1], 10)
	dst = append(dst, `],"lag":[`...)
	for i := range c.Lag {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"q":`...)
		dst = strconv.AppendInt(dst, c.Lag[i].QuotaMs, 10)
		dst = append(dst, `,"g":`...)
		dst = strconv.AppendInt(dst, c.Lag[i].GainMs, 10)
		dst = append(dst, `,"m":`...)
		dst = strconv.AppendInt(dst, c.Lag[i].MaxMs, 10)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"turn":`...)
	dst = strconv.AppendInt(dst, int64(c.Turn), 10)
	dst = append(dst, `,"run":`...)
	dst = strconv.AppendBool(dst, c.Running)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, c.TurnStart, 10)
	return append(dst, '}')
}

// appendAbortInfo writes the object with its omitempty fields, as encoding/json does.
func appendAbortInfo(dst []byte, a protocol.AbortInfo) []byte {
	dst = append(dst, '{')
	if a.AbortedBy != "" {
		dst = appendString(append(dst, `"abortedBy":`...), a.AbortedBy)
	}
	if a.NoMove != "" {
		if a.AbortedBy != "" {
			dst = append(dst, ',')
		}
		dst = appendString(append(dst, `"noMove":`...), a.NoMove)
	}
	return append(dst, '}')
}

func appendRatings(dst []byte, r *protocol.EndRatings) []byte {
	dst = append(dst, `{"white":{"before":`...)
	dst = strconv.AppendInt(dst, int64(r.White.Before), 10)
	dst = append(dst, `,"after":`...)
	dst = strconv.AppendInt(dst, int64(r.White.After), 10)
	dst = append(dst, `},"black":{"before":`...)
	dst = strconv.AppendInt(dst, int64(r.Black.Before), 10)
	dst = append(dst, `,"after":`...)
	dst = strconv.AppendInt(dst, int64(r.Black.After), 10)
	return append(dst, "}}"...)
}

// appendStrings encodes a slice as encoding/json does: nil is null.
func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

func appendInts(dst []byte, xs []int64) []byte {
	if xs == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, x := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, x, 10)
	}
	return append(dst, ']')
}

// appendString quotes s. Strings of printable ASCII that encoding/json writes verbatim (no
// quote, backslash, or HTML-escaped <, >, &) are copied; anything else (names with other
// characters, which are rare) is encoded by encoding/json itself, so its escaping rules
// never have to be repeated here.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
