package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/corentings/chess/v2"
)

// Tag is one PGN tag pair.
type Tag struct{ Key, Value string }

// sevenTagRoster is the PGN standard's mandatory tag set, in export order.
var sevenTagRoster = [...]Tag{
	{"Event", "?"}, {"Site", "?"}, {"Date", "????.??.??"}, {"Round", "?"},
	{"White", "?"}, {"Black", "?"}, {"Result", ""},
}

var tagKeySyntax = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

const (
	maxTagValue  = 255
	pgnLineWidth = 79
)

// PGN builds the PGN of a finished (or unfinished) game: the tags, then the
// moves replayed from the start position (or from the "FEN" tag) into a
// chess.Game, whose movetext gives the SAN. The cost is linear in the number
// of moves. Tag order follows the export
// format: Event, Site, Date, Round, White, Black, Result (missing ones are
// filled with "?"), then the others by name. A missing Result is taken from
// the final position's automatic ending, else "*"; a Result that contradicts
// it (e.g. "0-1" after White mates) is an error.
//
// Every move is first played on a Board, so the strict UCI check and legality
// rules of Play apply and moves after the game ended are rejected.
func PGN(tags []Tag, ucis []string) (string, error) {
	byKey := make(map[string]string, len(tags))
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return "", err
		}
		if _, dup := byKey[t.Key]; dup {
			return "", fmt.Errorf("%w: duplicate tag %q", ErrBadPGN, t.Key)
		}
		byKey[t.Key] = t.Value
	}

	start := StartState()
	if fen, ok := byKey["FEN"]; ok {
		s, err := StateFromFEN(fen)
		if err != nil {
			return "", fmt.Errorf("%w: FEN tag: %w", ErrBadPGN, err)
		}
		start = s
		byKey["FEN"] = s.FEN
		byKey["SetUp"] = "1"
	}
	b, err := Load(start)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadPGN, err)
	}
	for i, u := range ucis {
		if _, err := b.Play(u); err != nil {
			return "", fmt.Errorf("%w: move %d: %w", ErrBadPGN, i+1, err)
		}
	}

	ending := b.Ending()
	result, ok := byKey["Result"]
	switch {
	case !ok && ending.Over():
		result = ending.Result
	case !ok:
		result = "*"
	case result != resultWhite && result != resultBlack && result != resultDraw && result != "*":
		return "", fmt.Errorf("%w: bad Result tag %q", ErrBadPGN, result)
	case ending.Over() && result != ending.Result:
		return "", fmt.Errorf("%w: Result %q contradicts %s (%s)", ErrBadPGN, result, ending.Reason, ending.Result)
	}
	byKey["Result"] = result

	movetext, err := replayMovetext(start.FEN, ucis)
	if err != nil {
		return "", err
	}

	var sb strings.Builder
	for _, t := range sevenTagRoster {
		v, ok := byKey[t.Key]
		if !ok {
			v = t.Value
		}
		writeTag(&sb, t.Key, v)
		delete(byKey, t.Key)
	}
	rest := make([]string, 0, len(byKey))
	for k := range byKey {
		rest = append(rest, k)
	}
	slices.Sort(rest)
	for _, k := range rest {
		writeTag(&sb, k, byKey[k])
	}
	sb.WriteByte('\n')
	writeWrapped(&sb, append(moveUnits(movetext), result))
	return sb.String(), nil
}

// replayMovetext puts the (already validated) moves into a chess.Game and
// returns the Game's movetext without the result token.
//
// Only the Game's creation parses a FEN, so only that runs under fenMu; the
// rest touches no library globals, and holding the lock for it would stall
// every other PGN in the process.
//
// The moves are attached with Game.AddVariation rather than Game.Move: Move
// re-counts repetitions over the whole game after every move (defect 4),
// which made a 251-ply PGN cost ~250 ms; attaching decoded moves is linear.
// Each move is decoded from its own pre-move position (fresh tags, so no
// stale promotion checks), and Game.String encodes every SAN from the
// parent's (pre-move) position.
func replayMovetext(startFEN string, ucis []string) (string, error) {
	fenMu.Lock()
	opt, err := chess.FEN(startFEN)
	var g *chess.Game
	if err == nil {
		g = chess.NewGame(opt)
	}
	fenMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("%w: start position: %w", ErrBadPGN, err)
	}
	parent := g.GetRootMove()
	pos := parent.Position()
	for i, u := range ucis {
		m, err := chess.UCINotation{}.Decode(pos, u)
		if err != nil || m.Position() == nil {
			return "", fmt.Errorf("%w: library rejected move %d %q: %v", ErrBadPGN, i+1, u, err)
		}
		g.AddVariation(parent, m)
		parent, pos = m, m.Position()
	}
	// Without tag pairs, Game.String is the movetext followed by the outcome.
	text := strings.TrimSpace(g.String())
	text = strings.TrimSpace(strings.TrimSuffix(text, g.Outcome().String()))
	return text, nil
}

func checkTag(t Tag) error {
	if !tagKeySyntax.MatchString(t.Key) {
		return fmt.Errorf("%w: bad tag name %q", ErrBadPGN, clip(t.Key))
	}
	if len(t.Value) > maxTagValue || !utf8.ValidString(t.Value) {
		return fmt.Errorf("%w: tag %s: value too long or not UTF-8", ErrBadPGN, t.Key)
	}
	for _, r := range t.Value {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: tag %s: control character in value", ErrBadPGN, t.Key)
		}
	}
	return nil
}

// writeTag writes [Key "Value"] with the PGN string escapes for \ and ".
func writeTag(sb *strings.Builder, k, v string) {
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `"`, `\"`)
	fmt.Fprintf(sb, "[%s \"%s\"]\n", k, v)
}

// moveUnits splits movetext into tokens, keeping a move number with the move
// after it ("12. Nf3", "12... Nf6") so a line break never separates them.
func moveUnits(movetext string) []string {
	f := strings.Fields(movetext)
	out := make([]string, 0, len(f))
	for i := 0; i < len(f); i++ {
		if strings.HasSuffix(f[i], ".") && i+1 < len(f) {
			out = append(out, f[i]+" "+f[i+1])
			i++
			continue
		}
		out = append(out, f[i])
	}
	return out
}

// writeWrapped joins tokens with spaces into lines of at most pgnLineWidth
// characters (PGN export format, 8.2.2.2), ending with a newline.
func writeWrapped(sb *strings.Builder, tokens []string) {
	col := 0
	for _, tok := range tokens {
		switch {
		case col == 0:
		case col+1+len(tok) > pgnLineWidth:
			sb.WriteByte('\n')
			col = 0
		default:
			sb.WriteByte(' ')
			col++
		}
		sb.WriteString(tok)
		col += len(tok)
	}
	sb.WriteByte('\n')
}
