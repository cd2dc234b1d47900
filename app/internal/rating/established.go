package rating

import "time"

// maxEstablishGames bounds the search in MinGamesToEstablish; the answer is far below it.
const maxEstablishGames = 1000

// MinGamesToEstablish is the fewest rated games that take a new player's rating out of the
// provisional range (RD below ProvisionalRD), the figure the leaderboard states ("players
// appear after N rated games"). It plays the fastest path: a game narrows the deviation most
// when the opponent's rating is as certain as ratings get (RD at MinRD) and the outcome is the
// expected one (a draw between equal ratings keeps the volatility lowest), played back to back
// so no deviation grows in between. Returns 0 if the calculator never establishes a rating.
func MinGamesToEstablish(c Calculator) int {
	opponent := Rating{R: DefaultR, RD: MinRD, Vol: DefaultVol}
	p := New()
	at := time.Unix(0, 0).UTC()
	for n := 1; n <= maxEstablishGames; n++ {
		p, _ = c.Game(p, opponent, 0.5, at)
		if !p.Provisional() {
			return n
		}
	}
	return 0
}
