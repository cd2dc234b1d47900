// Material difference: which pieces each side has captured beyond what the other has, and the
// point balance (pawn 1, knight and bishop 3, rook 5, queen 9), read from a FEN's board.
import type { Color } from '../realtime/protocol';

export type PieceType = 'q' | 'r' | 'b' | 'n' | 'p';

const VALUES: Record<PieceType, number> = { q: 9, r: 5, b: 3, n: 3, p: 1 };
const ORDER: PieceType[] = ['q', 'r', 'b', 'n', 'p'];

export interface SideMaterial {
  /** Opponent pieces this side is ahead by, most valuable first (e.g. ['n','p','p']). */
  captured: PieceType[];
  /** Points ahead (0 when level or behind). */
  score: number;
}

export type Material = Record<Color, SideMaterial>;

/** Counts the pieces of a FEN's placement field; null for a malformed one. */
export function countPieces(fen: string): Record<Color, Record<PieceType, number>> | null {
  const placement = fen.split(' ')[0] ?? '';
  if (placement.split('/').length !== 8) return null;
  const zero = (): Record<PieceType, number> => ({ q: 0, r: 0, b: 0, n: 0, p: 0 });
  const out = { white: zero(), black: zero() };
  for (const ch of placement) {
    if (ch === '/' || (ch >= '1' && ch <= '8')) continue;
    const t = ch.toLowerCase();
    if (t === 'k') continue;
    if (!(t in VALUES)) return null;
    out[ch === t ? 'black' : 'white'][t as PieceType]++;
  }
  return out;
}

/**
 * The difference per piece type: a side "has captured" the pieces of a type it has more of (so
 * a promotion shows as the promoted piece gained and a pawn lost, as on lichess).
 */
export function materialOf(fen: string): Material {
  const c = countPieces(fen);
  const empty: Material = { white: { captured: [], score: 0 }, black: { captured: [], score: 0 } };
  if (!c) return empty;
  let balance = 0; // white minus black, in points
  for (const t of ORDER) {
    const d = c.white[t] - c.black[t];
    balance += d * VALUES[t];
    const side = d > 0 ? empty.white : empty.black;
    for (let i = 0; i < Math.abs(d); i++) side.captured.push(t);
  }
  empty.white.score = Math.max(0, balance);
  empty.black.score = Math.max(0, -balance);
  return empty;
}
