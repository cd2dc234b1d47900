package protocol

// The values inside client payloads: time controls, identifiers, usernames and UCI moves.

import (
	"fmt"
	"strconv"
)

// TimeControl is minutes+increment as written on the wire ("5+3").
type TimeControl struct {
	Minutes   int
	Increment int // seconds
}

// Limits of accepted time controls: up to 3 hours base and 180 s increment, not 0+0.
const (
	maxMinutes   = 180
	maxIncrement = 180
)

// ParseTimeControl parses and validates "minutes+increment": 1-3 digits, "+", 1-3 digits.
func ParseTimeControl(s string) (TimeControl, error) {
	mins, rest, ok := leadingNumber(s, 3)
	if ok && len(rest) > 0 && rest[0] == '+' {
		var inc int
		if inc, rest, ok = leadingNumber(rest[1:], 3); ok && rest == "" {
			if mins > maxMinutes || inc > maxIncrement {
				return TimeControl{}, fmt.Errorf("time control %q out of range (minutes 0-%d, increment 0-%d s)", s, maxMinutes, maxIncrement)
			}
			if mins == 0 && inc == 0 {
				return TimeControl{}, fmt.Errorf("time control %q has no time", s)
			}
			return TimeControl{Minutes: mins, Increment: inc}, nil
		}
	}
	return TimeControl{}, fmt.Errorf("time control %q is not minutes+increment, e.g. \"5+3\"", s)
}

// leadingNumber reads 1 to maxDigits ASCII digits at the start of s.
func leadingNumber(s string, maxDigits int) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && i <= maxDigits && '0' <= s[i] && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || i > maxDigits {
		return 0, s, false
	}
	return n, s[i:], true
}

func (tc TimeControl) String() string {
	return strconv.Itoa(tc.Minutes) + "+" + strconv.Itoa(tc.Increment)
}

// BaseMs is the initial time of each side in milliseconds.
func (tc TimeControl) BaseMs() int64 { return int64(tc.Minutes) * 60_000 }

// IncMs is the increment in milliseconds.
func (tc TimeControl) IncMs() int64 { return int64(tc.Increment) * 1000 }

// ValidUsername reports whether name fits the protocol's username rule: 3-20 of A-Z a-z 0-9 _ -.
func ValidUsername(name string) bool {
	if len(name) < 3 || len(name) > 20 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// ValidGameID reports whether id has the shape of a game id: "g_" and 4-24 of A-Z a-z 0-9.
func ValidGameID(id string) bool { return validID(id, 'g') }

// ValidChallengeID reports whether id has the shape of a challenge id.
func ValidChallengeID(id string) bool { return validChallengeID(id) }

// validChallengeID reports whether id has the shape of a challenge id: "c_" and 4-24 of A-Z a-z 0-9.
func validChallengeID(id string) bool { return validID(id, 'c') }

func validID(id string, prefix byte) bool {
	if len(id) < 2+4 || len(id) > 2+24 || id[0] != prefix || id[1] != '_' {
		return false
	}
	for i := 2; i < len(id); i++ {
		if !isAlnum(id[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// ValidUCI reports whether s is syntactically a UCI move: a-h 1-8 a-h 1-8 and an optional
// promotion piece q, r, b or n.
func ValidUCI(s string) bool {
	if len(s) != 4 && len(s) != 5 {
		return false
	}
	if s[0] < 'a' || s[0] > 'h' || s[1] < '1' || s[1] > '8' || s[2] < 'a' || s[2] > 'h' || s[3] < '1' || s[3] > '8' {
		return false
	}
	if len(s) == 5 {
		switch s[4] {
		case 'q', 'r', 'b', 'n':
		default:
			return false
		}
	}
	return true
}

// Color is a colour preference in a challenge.
const (
	ColorWhite  = "white"
	ColorBlack  = "black"
	ColorRandom = "random"
)

// MaxLagMs caps the client-reported lag (move.d.l).
const MaxLagMs = 10_000
