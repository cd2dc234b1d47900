import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { END_REASONS, type Ending, endText } from './endReason';

/** The reasons docs/protocol.md lists in "`reason` is one of ...", up to the end of that paragraph. */
function documentedReasons(): string[] {
  const doc = readFileSync(path.resolve(__dirname, '../../../../../docs/protocol.md'), 'utf8');
  const start = doc.indexOf('`reason` is one of');
  expect(start).toBeGreaterThan(0);
  const para = doc.slice(start, doc.indexOf('\n\n', start));
  // Every backticked word after the lead-in, minus the result values and field names.
  const words = [...para.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!);
  return words.filter((w) => !['reason', 'end', 'abortedBy', 'noMove', 'white', 'black'].includes(w));
}

const cases: Array<[Ending, string]> = [
  [{ result: '1-0', reason: 'checkmate', turn: 'black' }, 'White wins by checkmate.'],
  [{ result: '0-1', reason: 'checkmate', turn: 'white' }, 'Black wins by checkmate.'],
  [{ result: '1/2-1/2', reason: 'stalemate', turn: 'black' }, 'Draw by stalemate.'],
  [{ result: '1/2-1/2', reason: 'fivefold', turn: 'white' }, 'Draw by fivefold repetition.'],
  [{ result: '1/2-1/2', reason: 'seventyfive', turn: 'white' }, 'Draw by the seventy-five-move rule.'],
  [{ result: '1/2-1/2', reason: 'insufficient', turn: 'white' }, 'Draw by insufficient material.'],
  [{ result: '1/2-1/2', reason: 'threefold', turn: 'white' }, 'Draw by threefold repetition.'],
  [{ result: '1/2-1/2', reason: 'fifty', turn: 'white' }, 'Draw by the fifty-move rule.'],
  [{ result: '0-1', reason: 'resign', turn: 'white' }, 'Black wins: White resigned.'],
  [{ result: '1-0', reason: 'resign', turn: 'white' }, 'White wins: Black resigned.'],
  [{ result: '1/2-1/2', reason: 'agreement', turn: 'white' }, 'Draw by agreement.'],
  [{ result: '1-0', reason: 'timeout', turn: 'black' }, 'White wins on time.'],
  [{ result: '0-1', reason: 'timeout', turn: 'white' }, 'Black wins on time.'],
  [
    { result: '1/2-1/2', reason: 'timeoutVsInsufficient', turn: 'white' },
    'Draw: White ran out of time, but Black cannot checkmate.',
  ],
  [{ result: '1-0', reason: 'abandoned', turn: 'black' }, 'White wins: Black abandoned the game.'],
  [{ result: '0-1', reason: 'abandoned', turn: 'black' }, 'Black wins: White abandoned the game.'],
  [{ result: '1/2-1/2', reason: 'abandoned', turn: 'white' }, 'Draw called: a player abandoned the game.'],
  [{ result: '*', reason: 'abort', turn: 'white', noMove: 'white' }, 'Game aborted: White did not move within 30 s.'],
  [{ result: '*', reason: 'abort', turn: 'black', noMove: 'black' }, 'Game aborted: Black did not move within 30 s.'],
  [{ result: '*', reason: 'abort', turn: 'black', abortedBy: 'black' }, 'Game aborted by Black.'],
  // An older server sends neither detail.
  [{ result: '*', reason: 'abort', turn: 'white' }, 'Game aborted.'],
  // A reason this page does not know yet still says who won, and never a bare "*".
  [{ result: '0-1', reason: 'somethingNew', turn: 'white' }, 'Black wins (somethingNew).'],
  [{ result: '*', reason: null, turn: 'white' }, 'Game over.'],
];

describe('endText', () => {
  it.each(cases)('%o reads %s', (e, want) => {
    expect(endText(e)).toBe(want);
  });

  it('has a sentence for every reason docs/protocol.md lists', () => {
    const documented = documentedReasons();
    expect(documented.length).toBeGreaterThanOrEqual(12);
    expect([...END_REASONS].sort()).toEqual([...new Set(documented)].sort());
    for (const reason of documented) {
      const covered = cases.filter(([e]) => e.reason === reason);
      expect(covered.length, `a test case for ${reason}`).toBeGreaterThan(0);
      for (const [e] of covered) {
        const text = endText(e);
        expect(text, reason).not.toContain(`(${reason})`); // not the unknown-reason fallback
        expect(text, reason).not.toMatch(/^\*|Game over/);
      }
    }
  });
});
