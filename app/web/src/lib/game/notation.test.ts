import { describe, expect, it } from 'vitest';
import { resultNotation } from './notation';

describe('resultNotation', () => {
  it.each([
    ['1-0', '1–0'],
    ['0-1', '0–1'],
    ['1/2-1/2', '½–½'],
  ])('shows %s as %s', (pgn, shown) => {
    expect(resultNotation(pgn)).toBe(shown);
  });

  it('shows nothing for a game without a result', () => {
    for (const r of ['*', '', null, undefined, 'nonsense']) expect(resultNotation(r)).toBe('');
  });
});
