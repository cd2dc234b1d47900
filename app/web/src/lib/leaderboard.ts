// The leaderboard answer's explanation field: the fewest rated games before a player is ranked
// (GET /api/leaderboard "minGames", computed from the backend's rating rules).

/** The answer's minGames, or null when absent or not a positive whole number (older backends). */
export function minGamesOf(x: unknown): number | null {
  if (typeof x !== 'object' || x === null) return null;
  const n = (x as { minGames?: unknown }).minGames;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}
