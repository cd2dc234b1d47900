// Premoves, one move deep: while the opponent is to move, the player may queue one move of
// their own. Which moves may be queued is decided in the current position as if it were the
// player's turn, plus pawn captures onto any diagonal square (the opponent may move a piece
// there). When the opponent's move arrives the queued move is played if it is legal in the new
// position and dropped otherwise.
import { Chess, type Square } from 'chess.js';
import type { Color } from '../realtime/protocol';
import { uciParts } from './model';

const FILES = 'abcdefgh';

/** The FEN with `color` to move and no en-passant square (castling kept). */
function withTurn(fen: string, color: Color): string {
  const f = fen.split(' ');
  if (f.length < 4) return fen;
  f[1] = color[0]!;
  f[3] = '-';
  return f.join(' ');
}

/** Squares a piece of `color` on `from` may be premoved to in the position `fen`. */
export function premoveTargets(fen: string, color: Color, from: string): Set<string> {
  const out = new Set<string>();
  let c: Chess;
  try {
    c = new Chess(withTurn(fen, color), { skipValidation: true });
  } catch {
    return out;
  }
  const piece = c.get(from as Square);
  if (!piece || piece.color !== color[0]) return out;
  try {
    for (const m of c.moves({ square: from as Square, verbose: true })) out.add(m.to);
  } catch {
    // an odd position (e.g. the opponent's king capturable): only the pawn rule below
  }
  if (piece.type === 'p') {
    const dir = color === 'white' ? 1 : -1;
    const f = FILES.indexOf(from[0]!);
    const r = Number(from[1]) + dir;
    for (const df of [-1, 1]) {
      const nf = f + df;
      if (nf < 0 || nf > 7 || r < 1 || r > 8) continue;
      const sq = `${FILES[nf]}${r}`;
      const occ = c.get(sq as Square);
      if (!occ || occ.color !== color[0]) out.add(sq);
    }
  }
  return out;
}

/** Whether `uci` may be queued as a premove for `color` in `fen`. */
export function canPremove(fen: string, color: Color, uci: string): boolean {
  const p = uciParts(uci);
  return !!p && premoveTargets(fen, color, p.from).has(p.to);
}

/**
 * The premove to send in the position after the opponent's move, or null when it is no longer
 * legal there (or it is not the premover's turn). A pawn reaching the last rank becomes a queen
 * unless the premove named another piece.
 */
export function resolvePremove(fen: string, color: Color, uci: string): string | null {
  const p = uciParts(uci);
  if (!p) return null;
  let c: Chess;
  try {
    c = new Chess(fen);
  } catch {
    return null;
  }
  if (c.turn() !== color[0]) return null;
  const legal = c.moves({ square: p.from, verbose: true }).filter((m) => m.to === p.to);
  if (legal.length === 0) return null;
  if (legal.some((m) => m.promotion)) return `${p.from}${p.to}${p.promotion ?? 'q'}`;
  return `${p.from}${p.to}`;
}
