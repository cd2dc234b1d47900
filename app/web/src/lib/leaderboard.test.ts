import { describe, expect, it } from 'vitest';
import { minGamesOf } from './leaderboard';

describe('minGamesOf', () => {
  it('reads the answer field', () => {
    expect(minGamesOf({ speed: 'blitz', players: [], minGames: 10 })).toBe(10);
  });
  it('is null when the backend does not say or says nonsense', () => {
    for (const x of [null, 'x', {}, { minGames: 0 }, { minGames: -3 }, { minGames: 2.5 }, { minGames: '10' }]) {
      expect(minGamesOf(x)).toBeNull();
    }
  });
});
