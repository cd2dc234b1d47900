// Parsers for the backend's player, history and leaderboard answers (app/internal/httpapi).
// Untrusted JSON in, typed values out; malformed entries are dropped, not guessed.
import type { PlayerRef, RatingChange } from './realtime/protocol';

export const SPEEDS = ['bullet', 'blitz', 'rapid', 'classical'] as const;
export type Speed = (typeof SPEEDS)[number];

export interface SpeedRating {
  rating: number;
  rd: number | null;
  provisional: boolean;
  games: number;
  /** 1-based place on the speed's leaderboard; null while provisional (or for guests). */
  rank: number | null;
}

export interface Profile {
  name: string;
  guest: boolean;
  createdAt: string | null;
  ratings: Partial<Record<Speed, SpeedRating>>;
  games: number;
  wins: number;
  draws: number;
  losses: number;
}

export interface GameSummary {
  id: string;
  white: PlayerRef;
  black: PlayerRef;
  tc: string;
  rated: boolean;
  speed: string | null;
  status: string;
  result: string | null;
  reason: string | null;
  plies: number;
  createdAt: string;
  endedAt: string | null;
  ratings: { white?: RatingChange; black?: RatingChange } | null;
}

export interface GamesPage {
  games: GameSummary[];
  /** Cursor for the next (older) page: pass as `before`; null on the last page. */
  next: string | null;
}

export interface LeaderEntry {
  rank: number;
  name: string;
  rating: number;
  rd: number | null;
  games: number;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x : d);
const optNum = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const optStr = (x: unknown) => (typeof x === 'string' ? x : null);
const optRank = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x >= 1 ? x : null);

/** A player's place in one speed as the profile shows it: "#1,234 in blitz" (null: no rank). */
export function rankText(rank: number | null, speed: Speed): string | null {
  return rank === null ? null : `#${rank.toLocaleString('en-US')} in ${speed}`;
}

export function parseProfile(x: unknown): Profile | null {
  if (!isObj(x) || typeof x.name !== 'string') return null;
  const ratings: Profile['ratings'] = {};
  if (isObj(x.ratings)) {
    for (const s of SPEEDS) {
      const r = x.ratings[s];
      if (isObj(r) && typeof r.rating === 'number') {
        ratings[s] = {
          rating: r.rating,
          rd: optNum(r.rd),
          provisional: r.provisional === true,
          games: num(r.games),
          rank: optRank(r.rank),
        };
      }
    }
  }
  return {
    name: x.name,
    guest: x.guest === true,
    createdAt: optStr(x.createdAt),
    ratings,
    games: num(x.games),
    wins: num(x.wins),
    draws: num(x.draws),
    losses: num(x.losses),
  };
}

function parsePlayer(x: unknown): PlayerRef | null {
  if (!isObj(x) || typeof x.name !== 'string') return null;
  return {
    name: x.name,
    ...(typeof x.rating === 'number' ? { rating: x.rating } : {}),
    ...(x.provisional === true ? { provisional: true } : {}),
  };
}

function parseChange(x: unknown): RatingChange | undefined {
  return isObj(x) && typeof x.before === 'number' && typeof x.after === 'number'
    ? { before: x.before, after: x.after }
    : undefined;
}

export function parseGameSummary(x: unknown): GameSummary | null {
  if (!isObj(x) || typeof x.id !== 'string') return null;
  const white = parsePlayer(x.white);
  const black = parsePlayer(x.black);
  if (!white || !black) return null;
  let ratings: GameSummary['ratings'] = null;
  if (isObj(x.ratings)) {
    const w = parseChange(x.ratings.white);
    const b = parseChange(x.ratings.black);
    if (w || b) ratings = { ...(w ? { white: w } : {}), ...(b ? { black: b } : {}) };
  }
  return {
    id: x.id,
    white,
    black,
    tc: optStr(x.tc) ?? '',
    rated: x.rated === true,
    speed: optStr(x.speed),
    status: optStr(x.status) ?? '',
    result: optStr(x.result),
    reason: optStr(x.reason),
    plies: num(x.plies),
    createdAt: optStr(x.createdAt) ?? '',
    endedAt: optStr(x.endedAt),
    ratings,
  };
}

export function parseGamesPage(x: unknown): GamesPage {
  if (!isObj(x) || !Array.isArray(x.games)) return { games: [], next: null };
  return {
    games: x.games.map(parseGameSummary).filter((g): g is GameSummary => g !== null),
    next: optStr(x.next),
  };
}

export function parseLeaderboard(x: unknown): LeaderEntry[] {
  if (!isObj(x) || !Array.isArray(x.players)) return [];
  const out: LeaderEntry[] = [];
  x.players.forEach((p, i) => {
    if (!isObj(p) || typeof p.name !== 'string' || typeof p.rating !== 'number') return;
    out.push({ rank: num(p.rank, i + 1), name: p.name, rating: p.rating, rd: optNum(p.rd), games: num(p.games) });
  });
  return out;
}

/** The outcome of a game for one player: "win", "loss", "draw", or null (running, aborted). */
export function outcomeFor(g: GameSummary, name: string): 'win' | 'loss' | 'draw' | null {
  if (g.status !== 'ended' || g.reason === 'abort') return null;
  if (g.result === '1/2-1/2') return 'draw';
  const white = g.white.name === name;
  if (g.result === '1-0') return white ? 'win' : 'loss';
  if (g.result === '0-1') return white ? 'loss' : 'win';
  return null;
}

export interface RatingPoint {
  game: string;
  rating: number;
  provisional: boolean;
  games: number;
  at: string;
}

/** GET /api/players/{name}/ratings: points newest first, as served; malformed points dropped. */
export function parseRatingHistory(x: unknown): RatingPoint[] {
  if (!isObj(x) || !Array.isArray(x.points)) return [];
  const out: RatingPoint[] = [];
  for (const p of x.points) {
    if (!isObj(p) || typeof p.game !== 'string' || typeof p.rating !== 'number' || !Number.isFinite(p.rating)) continue;
    out.push({ game: p.game, rating: p.rating, provisional: p.provisional === true, games: num(p.games), at: optStr(p.at) ?? '' });
  }
  return out;
}

/** The speed a profile's chart shows first: the one with the most rated games (none: null). */
export function busiestSpeed(p: Profile): Speed | null {
  let best: Speed | null = null;
  for (const s of SPEEDS) {
    const g = p.ratings[s]?.games ?? 0;
    if (g > 0 && (best === null || g > (p.ratings[best]?.games ?? 0))) best = s;
  }
  return best;
}

/**
 * Coordinates of ratings oldest → newest, scaled into width × height with the lowest rating at
 * the bottom; a flat series sits in the middle, a single point in the centre.
 */
export function chartCoords(ratings: number[], width: number, height: number): Array<[number, number]> {
  const lo = Math.min(...ratings);
  const hi = Math.max(...ratings);
  const step = ratings.length > 1 ? width / (ratings.length - 1) : 0;
  const x0 = ratings.length === 1 ? width / 2 : 0;
  return ratings.map((r, i) => [round2(x0 + i * step), round2(hi === lo ? height / 2 : height - ((r - lo) / (hi - lo)) * height)]);
}

/** chartCoords as the `points` of an SVG polyline. */
export const chartPoints = (ratings: number[], width: number, height: number): string =>
  chartCoords(ratings, width, height)
    .map(([x, y]) => `${x},${y}`)
    .join(' ');

const round2 = (n: number) => Math.round(n * 100) / 100;
