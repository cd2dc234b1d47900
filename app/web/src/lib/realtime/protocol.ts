// Types of the chess real-time protocol v1 (docs/protocol.md), as the browser sees it.
// Only what the frontend reads is typed strictly; everything arrives as untrusted JSON and is
// checked by the parsers in this file before the UI uses it.

export type Color = 'white' | 'black';

export interface Envelope {
  t: string;
  d?: unknown;
  a?: number;
  v?: number;
}

export interface PlayerRef {
  name: string;
  rating?: number;
  provisional?: boolean;
}

export interface RatingChange {
  before: number;
  after: number;
}

export interface FullState {
  game: string;
  v: number;
  white: PlayerRef;
  black: PlayerRef;
  tc: string;
  rated: boolean;
  fen: string;
  moves: string[];
  clock: { w: number; b: number };
  turn: Color;
  status: 'started' | 'ended';
  result: string | null;
  reason: string | null;
  drawOffer: Color | null;
  ratings?: { white?: RatingChange; black?: RatingChange } | null;
  /** Backend addition to v1: whether the side to move's clock runs (absent from older servers). */
  clockRunning?: boolean;
  /** v1 additions: Unix ms of the first-move deadline, and when it was read (docs/protocol.md). */
  firstMoveBy?: number;
  serverTime?: number;
  /** v1 additions on aborted games: who asked for the abort, or who did not move first. */
  abortedBy?: Color;
  noMove?: Color;
}

export interface MoveEvent {
  game: string;
  u: string;
  san: string;
  fen: string;
  ply: number;
  clock: { w: number; b: number };
  check: boolean;
}

export interface EndEvent {
  game: string;
  result: string;
  reason: string;
  ratings?: { white?: RatingChange; black?: RatingChange } | null;
  abortedBy?: Color;
  noMove?: Color;
}

export interface ServerError {
  code: string;
  msg: string;
  ref: number | null;
}

/** Game events that carry a per-game version `v` (gap-free per game). */
export const VERSIONED_EVENTS: ReadonlySet<string> = new Set(['move', 'drawOffered', 'drawDeclined', 'end']);

/** Messages that carry a full state with `d.v`. */
export const STATE_EVENTS: ReadonlySet<string> = new Set(['gameStart', 'state']);

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

export function parseEnvelope(raw: string): Envelope | null {
  let x: unknown;
  try {
    x = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObj(x) || typeof x.t !== 'string') return null;
  const env: Envelope = { t: x.t, d: x.d };
  const a = num(x.a);
  if (a !== undefined) env.a = a;
  const v = num(x.v);
  if (v !== undefined) env.v = v;
  return env;
}

function parsePlayer(x: unknown): PlayerRef | null {
  if (!isObj(x)) return null;
  const name = str(x.name);
  if (!name) return null;
  const p: PlayerRef = { name };
  const rating = num(x.rating);
  if (rating !== undefined) p.rating = rating;
  if (typeof x.provisional === 'boolean') p.provisional = x.provisional;
  return p;
}

function parseClock(x: unknown): { w: number; b: number } | null {
  if (!isObj(x)) return null;
  const w = num(x.w);
  const b = num(x.b);
  if (w === undefined || b === undefined) return null;
  return { w, b };
}

function parseRatingChange(x: unknown): RatingChange | undefined {
  if (!isObj(x)) return undefined;
  const before = num(x.before);
  const after = num(x.after);
  if (before === undefined || after === undefined) return undefined;
  return { before, after };
}

function parseRatings(x: unknown): FullState['ratings'] {
  if (!isObj(x)) return null;
  const white = parseRatingChange(x.white);
  const black = parseRatingChange(x.black);
  if (!white && !black) return null;
  return { ...(white ? { white } : {}), ...(black ? { black } : {}) };
}

function parseColor(x: unknown): Color | null {
  return x === 'white' || x === 'black' ? x : null;
}

/** Validates a full game state (gameStart, state, GET /api/games/{id}). */
export function parseFullState(x: unknown): FullState | null {
  if (!isObj(x)) return null;
  const game = str(x.game);
  const v = num(x.v);
  const white = parsePlayer(x.white);
  const black = parsePlayer(x.black);
  const fen = str(x.fen);
  const clock = parseClock(x.clock);
  const turn = parseColor(x.turn);
  if (!game || v === undefined || !white || !black || fen === undefined || !clock || !turn) return null;
  if (!Array.isArray(x.moves) || !x.moves.every((m) => typeof m === 'string')) return null;
  const status = x.status === 'ended' ? 'ended' : x.status === 'started' ? 'started' : null;
  if (!status) return null;
  return {
    game,
    v,
    white,
    black,
    tc: str(x.tc) ?? '',
    rated: x.rated === true,
    fen,
    moves: x.moves as string[],
    clock,
    turn,
    status,
    result: str(x.result) ?? null,
    reason: str(x.reason) ?? null,
    drawOffer: parseColor(x.drawOffer),
    ratings: parseRatings(x.ratings),
    ...(typeof x.clockRunning === 'boolean' ? { clockRunning: x.clockRunning } : {}),
    ...(num(x.firstMoveBy) !== undefined ? { firstMoveBy: num(x.firstMoveBy) } : {}),
    ...(num(x.serverTime) !== undefined ? { serverTime: num(x.serverTime) } : {}),
    ...abortInfo(x),
  };
}

function abortInfo(x: Record<string, unknown>): { abortedBy?: Color; noMove?: Color } {
  const abortedBy = parseColor(x.abortedBy);
  const noMove = parseColor(x.noMove);
  return { ...(abortedBy ? { abortedBy } : {}), ...(noMove ? { noMove } : {}) };
}

export function parseMoveEvent(x: unknown): MoveEvent | null {
  if (!isObj(x)) return null;
  const game = str(x.game);
  const u = str(x.u);
  const ply = num(x.ply);
  const clock = parseClock(x.clock);
  if (!game || !u || ply === undefined || !clock) return null;
  return { game, u, san: str(x.san) ?? u, fen: str(x.fen) ?? '', ply, clock, check: x.check === true };
}

export function parseEndEvent(x: unknown): EndEvent | null {
  if (!isObj(x)) return null;
  const game = str(x.game);
  const result = str(x.result);
  const reason = str(x.reason);
  if (!game || !result || !reason) return null;
  return { game, result, reason, ratings: parseRatings(x.ratings), ...abortInfo(x) };
}

export function parseError(x: unknown): ServerError {
  if (!isObj(x)) return { code: 'unknown', msg: 'error', ref: null };
  return { code: str(x.code) ?? 'unknown', msg: str(x.msg) ?? '', ref: num(x.ref) ?? null };
}

/** The game id an event or state refers to, if any. */
export function gameOf(env: Envelope): string | undefined {
  return isObj(env.d) ? str(env.d.game) : undefined;
}

/** The version of a versioned event or full state (top-level `v`, or `d.v` for states). */
export function versionOf(env: Envelope): number | undefined {
  if (env.v !== undefined) return env.v;
  return isObj(env.d) ? num(env.d.v) : undefined;
}
