package protocol

import "fmt"

// Presence messages (v1 additions, docs/protocol.md): claiming a game the opponent left, and
// the spectator count of a game.
const (
	// TClaimAbandoned (client): end a game whose opponent has been gone at least the abandon
	// timeout, as a win ("result":"win") or a draw ("result":"draw").
	TClaimAbandoned = "claimAbandoned"
	// TSpectators (server): how many connections watch a game without playing in it.
	TSpectators = "spectators"
)

// Values of claimAbandoned's "result".
const (
	ClaimWin  = "win"
	ClaimDraw = "draw"
)

var claimAbandonedFields = []string{"game", "result"}

func decodeClaimAbandoned(raw []byte, m *ClientMessage) error {
	f, err := readPayload(raw, claimAbandonedFields)
	if err != nil {
		return err
	}
	if m.Game, err = gameField(f[0]); err != nil {
		return err
	}
	r, err := reqString(f[1], "result")
	if err != nil {
		return err
	}
	switch r {
	case ClaimWin:
	case ClaimDraw:
		m.Draw = true
	default:
		return fmt.Errorf("field \"result\" must be win or draw")
	}
	return nil
}

// OpponentGonePayload is the payload of `opponentGone`: ClaimIn is how many ms remain until
// the game's players may claim it (claimAbandoned); 0 when they may now.
type OpponentGonePayload struct {
	Game    string `json:"game"`
	ClaimIn int64  `json:"claimIn"`
}

// SpectatorsPayload is the payload of `spectators`; its frame is built around the count in the
// store (SpectatorsFrame), so the two must agree.
type SpectatorsPayload struct {
	Game string `json:"game"`
	N    int    `json:"n"`
}

// SpectatorsFrame returns the bytes of a `spectators` frame before and after the count, for a
// store that fills in the count it reads atomically with its publish.
func SpectatorsFrame(gameID string) (prefix, suffix []byte) {
	return []byte(`{"t":"` + TSpectators + `","d":{"game":"` + gameID + `","n":`), []byte(`}}`)
}
