// Package rules plays chess by the FIDE Laws on top of
// github.com/corentings/chess/v2 v2.3.2 and works around that version's
// known defects, each listed here with its workaround:
//
//  1. FEN parsing races on a package-level buffer inside the library, so every
//     FEN parse by the library (chess.FEN, chess.NewGame, Position.UnmarshalText,
//     PGN parse) runs under one package-level mutex (fenMu). The hot path does
//     not parse with the library at all: Load reads the FEN itself and builds
//     the Position with Position.UnmarshalBinary (codec.go), so concurrent
//     games never wait on that lock; PGN and out-of-range counters still use
//     the library parser, under the lock.
//  2. The library's UCI decoder checks only the origin square ("b1q1" is
//     played as b1a3), so every move is matched against
//     ^[a-h][1-8][a-h][1-8][qrbn]?$ before anything else looks at it.
//  3. The library compares the e.p. square literally for repetitions; this
//     package keeps its own repetition keys (placement, side to move, castling
//     rights, and the e.p. square only when an e.p. capture is legal).
//  4. The library's Game is O(n) per move; the hot path here works on a
//     *chess.Position only (decode, legal-move membership, update, status), so
//     the per-move cost does not grow with the game.
//  5. SAN is written from the position before the move, by this package
//     (san.go) from the moves already generated; tests hold it equal to the
//     library's encoder.
//  6. Position.ValidMoves writes a cache into the Position, so a Board (which
//     owns one) is not safe for concurrent use and must never be shared. A
//     Board also keeps the legal moves Play generated for the position it
//     moved to, so a caller that keeps the Board (game.State does) validates
//     the next move without generating them again.
//
// It also guards against a seventh defect found while writing this package
// (upstream #116, fixed after v2.3.2): ValidMoves reuses one Move value across
// the four promotion pieces without clearing its tags, so after a checking
// queen promotion the rook/bishop/knight promotions carry a stale Check tag.
// Position.Update copies that tag into the new position's in-check flag, which
// would forbid castling and turn stalemates into "checkmates". Promotions are
// therefore always re-decoded from scratch before they are applied.
//
// The package is safe for concurrent use except for a *Board: every function
// may be called from many goroutines, each with its own Board.
package rules
