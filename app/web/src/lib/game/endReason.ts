// The end of a game in words, for the result banner and the live region: who won and why,
// never the bare PGN "*" of an aborted game. Every reason of docs/protocol.md has a sentence
// (END_REASONS lists them; the unit test checks each one).
import type { Color } from '../realtime/protocol';

export interface Ending {
  result: string | null;
  reason: string | null;
  /** The side to move when the game ended: the side whose flag fell on a timeout. */
  turn: Color;
  abortedBy?: Color | null;
  noMove?: Color | null;
}

/** Every `reason` the server sends (docs/protocol.md, "Server messages"). */
export const END_REASONS = [
  'checkmate',
  'stalemate',
  'fivefold',
  'seventyfive',
  'insufficient',
  'threefold',
  'fifty',
  'resign',
  'agreement',
  'timeout',
  'timeoutVsInsufficient',
  'abandoned',
  'abort',
] as const;

const name = (c: Color) => (c === 'white' ? 'White' : 'Black');
const other = (c: Color): Color => (c === 'white' ? 'black' : 'white');

function winner(result: string | null): Color | null {
  if (result === '1-0') return 'white';
  if (result === '0-1') return 'black';
  return null;
}

const DRAWS: Record<string, string> = {
  stalemate: 'Draw by stalemate.',
  fivefold: 'Draw by fivefold repetition.',
  seventyfive: 'Draw by the seventy-five-move rule.',
  insufficient: 'Draw by insufficient material.',
  threefold: 'Draw by threefold repetition.',
  fifty: 'Draw by the fifty-move rule.',
  agreement: 'Draw by agreement.',
};

/** A sentence such as "Black wins: White resigned." or "Game aborted: White did not move within 30 s." */
export function endText(e: Ending): string {
  const w = winner(e.result);
  switch (e.reason) {
    case 'abort':
      if (e.noMove) return `Game aborted: ${name(e.noMove)} did not move within 30 s.`;
      if (e.abortedBy) return `Game aborted by ${name(e.abortedBy)}.`;
      return 'Game aborted.';
    case 'checkmate':
      if (w) return `${name(w)} wins by checkmate.`;
      break;
    case 'resign':
      if (w) return `${name(w)} wins: ${name(other(w))} resigned.`;
      break;
    case 'timeout':
      if (w) return `${name(w)} wins on time.`;
      break;
    case 'abandoned':
      // The remaining player claimed the game after the opponent was gone for the abandon timeout.
      if (w) return `${name(w)} wins: ${name(other(w))} abandoned the game.`;
      if (e.result === '1/2-1/2') return 'Draw called: a player abandoned the game.';
      break;
    case 'timeoutVsInsufficient':
      return `Draw: ${name(e.turn)} ran out of time, but ${name(other(e.turn))} cannot checkmate.`;
    default:
      if (e.reason && e.result === '1/2-1/2' && DRAWS[e.reason]) return DRAWS[e.reason]!;
  }
  // A reason this page does not know (a newer server) still says who won.
  const why = e.reason ? ` (${e.reason})` : '';
  if (w) return `${name(w)} wins${why}.`;
  if (e.result === '1/2-1/2') return `Draw${why}.`;
  return `Game over${why}.`;
}
