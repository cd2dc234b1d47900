// The game page's view of one game, built from server messages. The server is authoritative;
// chess.js only replays the server's moves (for SAN, legal-move hints and checks) and validates
// what the local player tries before it is sent.
import { Chess, type Square } from 'chess.js';
import { type ClockSnapshot, freeze, runningSide, snapshot } from '../clock';
import type { Color, EndEvent, FullState, MoveEvent, PlayerRef, RatingChange } from '../realtime/protocol';

export const START_FEN = 'rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1';

export interface GameModel {
  id: string;
  v: number;
  white: PlayerRef;
  black: PlayerRef;
  tc: string;
  rated: boolean;
  moves: string[];
  sans: string[];
  fen: string;
  turn: Color;
  check: boolean;
  clock: ClockSnapshot;
  status: 'started' | 'ended';
  result: string | null;
  reason: string | null;
  drawOffer: Color | null;
  ratings: { white?: RatingChange; black?: RatingChange } | null;
  opponentGone: boolean;
  /** Local time (same clock as `now`) by which the side to move must make its first move, or null. */
  firstMoveBy: number | null;
  /** On an aborted game: who asked for it, or who did not move first (null when unknown). */
  abortedBy: Color | null;
  noMove: Color | null;
}

/** Each side's time for its first move (docs/protocol.md); a `move` event does not carry it. */
export const FIRST_MOVE_WINDOW_MS = 30_000;

export function colorOfPly(ply: number): Color {
  return ply % 2 === 1 ? 'white' : 'black';
}

export function uciParts(uci: string): { from: Square; to: Square; promotion?: string } | null {
  const m = /^([a-h][1-8])([a-h][1-8])([qrbn])?$/.exec(uci);
  if (!m) return null;
  return { from: m[1] as Square, to: m[2] as Square, ...(m[3] ? { promotion: m[3] } : {}) };
}

/** Replays UCI moves from the start position; null if one of them is illegal. */
export function replay(moves: readonly string[]): Chess | null {
  const c = new Chess();
  for (const u of moves) {
    const p = uciParts(u);
    if (!p) return null;
    try {
      c.move(p);
    } catch {
      return null;
    }
  }
  return c;
}

export function fromState(s: FullState, now: number, lagMs = 0): GameModel {
  const c = replay(s.moves);
  const sans = c ? c.history() : s.moves.slice();
  const turn = s.turn;
  const running =
    s.clockRunning === undefined ? runningSide(s.status, s.moves.length, turn) : s.clockRunning && s.status === 'started' ? turn : null;
  return {
    id: s.game,
    v: s.v,
    white: s.white,
    black: s.black,
    tc: s.tc,
    rated: s.rated,
    moves: s.moves.slice(),
    sans,
    fen: s.fen || (c ? c.fen() : START_FEN),
    turn,
    check: c ? c.inCheck() : false,
    clock: snapshot(s.clock, running, now, running ? lagMs : 0),
    status: s.status,
    result: s.result,
    reason: s.reason,
    drawOffer: s.status === 'started' ? s.drawOffer : null,
    ratings: s.ratings ?? null,
    opponentGone: false,
    // The deadline is in server time; its distance from serverTime is what counts here.
    firstMoveBy:
      s.status === 'started' && s.firstMoveBy !== undefined && s.serverTime !== undefined
        ? now + (s.firstMoveBy - s.serverTime) - Math.max(0, lagMs)
        : null,
    abortedBy: s.abortedBy ?? null,
    noMove: s.noMove ?? null,
  };
}

/**
 * Applies a `move` event. Returns the same model for a move already applied, and null when the
 * event does not fit (a ply was skipped or the move is illegal here): the caller resyncs.
 */
export function applyMove(m: GameModel, ev: MoveEvent, v: number | undefined, now: number, lagMs = 0): GameModel | null {
  if (ev.ply <= m.moves.length) return m.moves[ev.ply - 1] === ev.u ? m : null;
  if (ev.ply !== m.moves.length + 1) return null;
  const c = new Chess(m.fen);
  const p = uciParts(ev.u);
  if (!p) return null;
  let san: string;
  try {
    san = c.move(p).san;
  } catch {
    return null;
  }
  const mover = colorOfPly(ev.ply);
  const turn: Color = mover === 'white' ? 'black' : 'white';
  const plies = ev.ply;
  const running = runningSide(m.status, plies, turn);
  return {
    ...m,
    v: v ?? m.v,
    moves: [...m.moves, ev.u],
    sans: [...m.sans, ev.san || san],
    fen: ev.fen || c.fen(),
    turn,
    check: ev.check || c.inCheck(),
    clock: snapshot(ev.clock, running, now, running ? lagMs : 0),
    // An offer lapses when the offerer's opponent moves.
    drawOffer: m.drawOffer && m.drawOffer !== mover ? null : m.drawOffer,
    firstMoveBy: plies === 1 ? now + FIRST_MOVE_WINDOW_MS - Math.max(0, lagMs) : null,
  };
}

export function applyEnd(m: GameModel, ev: EndEvent, v: number | undefined, now: number): GameModel {
  return {
    ...m,
    v: v ?? m.v,
    status: 'ended',
    result: ev.result,
    reason: ev.reason,
    ratings: ev.ratings ?? null,
    drawOffer: null,
    clock: freeze(m.clock, now),
    firstMoveBy: null,
    abortedBy: ev.abortedBy ?? null,
    noMove: ev.noMove ?? null,
  };
}

export function applyDrawOffered(m: GameModel, by: Color, v: number | undefined): GameModel {
  return { ...m, v: v ?? m.v, drawOffer: by };
}

export function applyDrawDeclined(m: GameModel, v: number | undefined): GameModel {
  return { ...m, v: v ?? m.v, drawOffer: null };
}

/** The colour `name` plays in this game, or null for a spectator. */
export function seatOf(m: Pick<GameModel, 'white' | 'black'>, name: string | null | undefined): Color | null {
  if (!name) return null;
  if (m.white.name === name) return 'white';
  if (m.black.name === name) return 'black';
  return null;
}

/** Abort is allowed only before each side has moved once. */
export function canAbort(m: GameModel): boolean {
  return m.status === 'started' && m.moves.length < 2;
}

/** A draw claim (threefold, fifty moves) is available in the current position. */
export function claimableDraw(m: GameModel): boolean {
  if (m.status !== 'started') return false;
  const c = replay(m.moves);
  return c ? c.isThreefoldRepetition() || c.isDrawByFiftyMoves() : false;
}

const REASONS: Record<string, string> = {
  checkmate: 'checkmate',
  resign: 'resignation',
  timeout: 'time out',
  stalemate: 'stalemate',
  threefold: 'threefold repetition',
  fivefold: 'fivefold repetition',
  fifty: 'the fifty-move rule',
  seventyfive: 'the seventy-five-move rule',
  insufficient: 'insufficient material',
  agreement: 'agreement',
  abort: 'abort',
  timeoutVsInsufficient: 'time out against insufficient material',
  abandoned: 'abandonment',
};

/** A sentence for the result banner and the live region, e.g. "White wins by checkmate." */
export function resultText(result: string | null, reason: string | null): string {
  const why = reason ? (REASONS[reason] ?? reason) : null;
  if (reason === 'abort') return 'Game aborted.';
  const by = why ? ` by ${why}` : '';
  switch (result) {
    case '1-0':
      return `White wins${by}.`;
    case '0-1':
      return `Black wins${by}.`;
    case '1/2-1/2':
      return `Draw${by}.`;
    default:
      return 'Game over.';
  }
}

export function ratingDelta(r: RatingChange | undefined): string | null {
  if (!r) return null;
  const d = Math.round(r.after) - Math.round(r.before);
  return `${Math.round(r.after)} (${d >= 0 ? '+' : '−'}${Math.abs(d)})`;
}

const PIECE_NAMES: Record<string, string> = { p: 'pawn', n: 'knight', b: 'bishop', r: 'rook', q: 'queen', k: 'king' };

/** Spoken description of a SAN move for the live region, e.g. "Knight takes f3, check". */
export function spokenMove(ply: number, san: string): string {
  const who = colorOfPly(ply) === 'white' ? 'White' : 'Black';
  let text = san;
  if (san.startsWith('O-O-O')) text = 'castles queenside';
  else if (san.startsWith('O-O')) text = 'castles kingside';
  else {
    const piece = /^[NBRQK]/.test(san) ? PIECE_NAMES[san[0]!.toLowerCase()]! : 'pawn';
    const body = san.replace(/[+#]$/, '').replace(/^[NBRQK]/, '');
    const promo = /=([NBRQ])/.exec(body);
    const core = body.replace(/=([NBRQ])/, '');
    const target = core.slice(-2);
    const takes = core.includes('x');
    text = `${piece} ${takes ? 'takes ' : 'to '}${target}${promo ? `, promotes to ${PIECE_NAMES[promo[1]!.toLowerCase()]}` : ''}`;
  }
  if (san.endsWith('#')) text += ', checkmate';
  else if (san.endsWith('+')) text += ', check';
  return `${Math.ceil(ply / 2)}. ${who}: ${text}`;
}

export function pieceName(code: string | undefined): string | null {
  // react-chessboard piece codes: "wP", "bK", ...
  if (!code || code.length !== 2) return null;
  const color = code[0] === 'w' ? 'white' : 'black';
  const piece = PIECE_NAMES[code[1]!.toLowerCase()];
  return piece ? `${color} ${piece}` : null;
}
