// Presence on the lobby and the game page: running games (yours and everyone's), the spectator
// count and the claim of a game the opponent left (docs/protocol.md, "Abandoned games").
// Untrusted JSON in, typed values out; malformed entries are dropped.
import type { Envelope, PlayerRef } from './realtime/protocol';

export interface RunningGame {
  id: string;
  white: PlayerRef;
  black: PlayerRef;
  tc: string;
  rated: boolean;
  /** Whose turn it is (only in a player's own running games). */
  turn: 'white' | 'black' | null;
  plies: number;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function player(x: unknown): PlayerRef | null {
  if (!isObj(x) || typeof x.name !== 'string' || !x.name) return null;
  const p: PlayerRef = { name: x.name };
  if (typeof x.rating === 'number') p.rating = x.rating;
  if (typeof x.provisional === 'boolean') p.provisional = x.provisional;
  return p;
}

/** Parses `{"games":[...]}` of GET /api/games/live and GET /api/players/{name}/games?status=started. */
export function parseRunningGames(x: unknown): RunningGame[] {
  if (!isObj(x) || !Array.isArray(x.games)) return [];
  const out: RunningGame[] = [];
  for (const g of x.games) {
    if (!isObj(g) || typeof g.id !== 'string' || !/^g_[A-Za-z0-9]{4,24}$/.test(g.id)) continue;
    const white = player(g.white);
    const black = player(g.black);
    if (!white || !black || typeof g.tc !== 'string') continue;
    out.push({
      id: g.id,
      white,
      black,
      tc: g.tc,
      rated: g.rated === true,
      turn: g.turn === 'white' || g.turn === 'black' ? g.turn : null,
      plies: typeof g.plies === 'number' ? g.plies : 0,
    });
  }
  return out;
}

/** The viewer's colour in a game, or null when they do not play it. */
export function colorIn(g: { white: PlayerRef; black: PlayerRef }, viewer: string | null | undefined): 'white' | 'black' | null {
  if (!viewer) return null;
  if (g.white.name === viewer) return 'white';
  if (g.black.name === viewer) return 'black';
  return null;
}

/** The link text of a running game: the players resume it ("Play"), everyone else watches. */
export function runningGameAction(g: { white: PlayerRef; black: PlayerRef }, viewer: string | null | undefined): 'Play' | 'Watch' {
  return colorIn(g, viewer) ? 'Play' : 'Watch';
}

/** "Your turn" / "Their turn" for one of the viewer's running games. */
export function turnText(g: RunningGame, viewer: string | null | undefined): string {
  const mine = colorIn(g, viewer);
  if (!mine || !g.turn) return '';
  return g.turn === mine ? 'Your turn' : 'Their turn';
}

/** The `n` of a `spectators` message about game id, or null. */
export function spectatorsOf(env: Envelope, id: string): number | null {
  if (env.t !== 'spectators' || !isObj(env.d) || env.d.game !== id) return null;
  const n = env.d.n;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
}

export function spectatorsText(n: number): string {
  return n === 1 ? '1 watching' : `${n} watching`;
}

/**
 * When the players of game id may claim it, from an `opponentGone` (ms since the page's clock
 * origin: `now` + claimIn), `null` on `opponentBack` or the game's `end`, `undefined` for any
 * other message. Without a claimIn (an older server) the claim time is unknown: NaN.
 */
export function claimAtOf(env: Envelope, id: string, now: number): number | null | undefined {
  if (!isObj(env.d) || env.d.game !== id) return undefined;
  if (env.t === 'opponentBack' || env.t === 'end') return null;
  if (env.t !== 'opponentGone') return undefined;
  const c = env.d.claimIn;
  return typeof c === 'number' && Number.isFinite(c) && c >= 0 ? now + c : NaN;
}

/** Whole seconds left until claimAt (0 when the claim is available). */
export function claimSecondsLeft(claimAt: number, now: number): number {
  return Math.max(0, Math.ceil((claimAt - now) / 1000));
}
