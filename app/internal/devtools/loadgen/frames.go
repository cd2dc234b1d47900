package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Frames the load generator sends, built without reflection (the generator shares the CPU with
// the server, so its own cost matters).

func pingFrame() []byte { return []byte(`{"t":"ping"}`) }

func moveFrame(game, uci string, ply int, lagMs int64, ack int64) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"t":"move","d":{"game":"`...)
	b = append(b, game...)
	b = append(b, `","u":"`...)
	b = append(b, uci...)
	b = append(b, `","ply":`...)
	b = strconv.AppendInt(b, int64(ply), 10)
	if lagMs > 0 {
		b = append(b, `,"l":`...)
		b = strconv.AppendInt(b, lagMs, 10)
	}
	b = append(b, `},"a":`...)
	b = strconv.AppendInt(b, ack, 10)
	return append(b, '}')
}

// actionFrame builds {"t":t,"d":{key:val},"a":ack}.
func actionFrame(t, key, val string, ack int64) []byte {
	b := make([]byte, 0, 80)
	b = append(b, `{"t":"`...)
	b = append(b, t...)
	b = append(b, `","d":{"`...)
	b = append(b, key...)
	b = append(b, `":"`...)
	b = append(b, val...)
	b = append(b, `"},"a":`...)
	b = strconv.AppendInt(b, ack, 10)
	return append(b, '}')
}

func watchFrame(game string, ack int64) []byte {
	return []byte(`{"t":"watch","d":{"game":"` + game + `","v":0},"a":` + strconv.FormatInt(ack, 10) + `}`)
}

func challengeFrame(to, tc string, ack int64) []byte {
	return []byte(`{"t":"challenge","d":{"to":"` + to + `","tc":"` + tc + `","color":"random","rated":false},"a":` +
		strconv.FormatInt(ack, 10) + `}`)
}

// inMsg is a decoded server message: the fields the generator uses from every type.
type inMsg struct {
	T string
	V int64
	// Ack is the id of an ack, or the ref of an error.
	Ack  int64
	Code string // error
	Game string // move, end, gameStart, state
	Ply  int    // move
	ID   string // challenge
	From string // challenge
	// White, Black name the players (gameStart, state); Reason ends a game (end).
	White, Black string
	Reason       string
	Status       string
}

type wireMsg struct {
	T string          `json:"t"`
	V int64           `json:"v"`
	D json.RawMessage `json:"d"`
}

type wirePayload struct {
	Game   string `json:"game"`
	Ply    int    `json:"ply"`
	ID     string `json:"id"`
	From   string `json:"from"`
	Code   string `json:"code"`
	Ref    *int64 `json:"ref"`
	Reason string `json:"reason"`
	Status string `json:"status"`
	White  struct {
		Name string `json:"name"`
	} `json:"white"`
	Black struct {
		Name string `json:"name"`
	} `json:"black"`
}

// ackPrefix is how the server writes acks ({"t":"ack","d":N}); they are the most frequent
// message after moves and are parsed without the JSON decoder.
var ackPrefix = []byte(`{"t":"ack","d":`)

// parseMsg decodes one server frame.
func parseMsg(b []byte) (inMsg, error) {
	if rest, ok := bytes.CutPrefix(b, ackPrefix); ok && len(rest) > 1 && rest[len(rest)-1] == '}' {
		if a, err := strconv.ParseInt(string(rest[:len(rest)-1]), 10, 64); err == nil {
			return inMsg{T: "ack", Ack: a}, nil
		}
	}
	var w wireMsg
	if err := json.Unmarshal(b, &w); err != nil {
		return inMsg{}, fmt.Errorf("decoding server frame: %w", err)
	}
	m := inMsg{T: w.T, V: w.V}
	switch w.T {
	case "ack":
		a, err := strconv.ParseInt(string(w.D), 10, 64)
		if err != nil {
			return m, fmt.Errorf("ack with payload %q", w.D)
		}
		m.Ack = a
		return m, nil
	case "pong", "seeking":
		return m, nil
	}
	if len(w.D) == 0 {
		return m, nil
	}
	var p wirePayload
	if err := json.Unmarshal(w.D, &p); err != nil {
		return m, fmt.Errorf("decoding %s payload: %w", w.T, err)
	}
	m.Game, m.Ply, m.ID, m.From, m.Code, m.Reason, m.Status = p.Game, p.Ply, p.ID, p.From, p.Code, p.Reason, p.Status
	m.White, m.Black = p.White.Name, p.Black.Name
	if p.Ref != nil {
		m.Ack = *p.Ref
	}
	return m, nil
}
