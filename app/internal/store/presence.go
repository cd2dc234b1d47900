package store

import "context"

// PresenceLive is what Live knows about who is where, beyond the connection counts: since when
// a player has been gone (to claim a game they left) and how many connections watch a game
// without playing it. Counts are kept per instance, so those of an instance that died (its
// heartbeat expired) stop counting.
type PresenceLive interface {
	// GoneSince reports since when (Unix ms) the player has had no open connection on any live
	// instance, or 0 while they have one. The time is recorded by the first call that finds
	// the player gone (the server calls it when the player's last connection closes) and
	// forgotten when the player connects again (Connected); a player found gone without a
	// recorded time (their instance died) is recorded as gone from now.
	GoneSince(ctx context.Context, playerID string, now int64) (int64, error)
	// Spectate adds delta (+1 or -1) to this instance's count of connections watching the game
	// without playing in it; the count never goes below 0.
	Spectate(ctx context.Context, gameID string, delta int) error
	// PublishSpectators sums the game's spectator counts over every live instance and
	// publishes prefix + count + suffix on GameTopic(gameID) in the same atomic step, so
	// counts published by different instances reach every watcher in the order they were read.
	// It returns the count.
	PublishSpectators(ctx context.Context, gameID string, prefix, suffix []byte) (int, error)
}

// PresenceDurable lists running games for the lobby.
type PresenceDurable interface {
	// LatestGames lists up to limit running games, the most recently created first (from the
	// partial index of running games in PostgreSQL).
	LatestGames(ctx context.Context, limit int) ([]GameSummary, error)
}
