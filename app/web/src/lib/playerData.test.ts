import { describe, expect, it } from 'vitest';
import { outcomeFor, parseGamesPage, parseLeaderboard, parseProfile } from './playerData';

// Shapes as app/internal/httpapi writes them.
describe('parseProfile', () => {
  it('reads ratings per speed and the record', () => {
    const p = parseProfile({
      name: 'alice',
      guest: false,
      createdAt: '2026-01-01T00:00:00Z',
      ratings: {
        bullet: { rating: 1500, rd: 500, provisional: true, games: 0 },
        blitz: { rating: 1612, rd: 80.4, provisional: false, games: 31 },
        rapid: { rating: 1500, rd: 500, provisional: true, games: 0 },
        classical: { rating: 1500, rd: 500, provisional: true, games: 0 },
      },
      games: 31,
      wins: 17,
      draws: 4,
      losses: 10,
    })!;
    expect(p.ratings.blitz).toEqual({ rating: 1612, rd: 80.4, provisional: false, games: 31 });
    expect(p.ratings.bullet?.provisional).toBe(true);
    expect([p.games, p.wins, p.draws, p.losses]).toEqual([31, 17, 4, 10]);
  });
  it('rejects a body without a name', () => {
    expect(parseProfile({ error: { code: 'not_found' } })).toBeNull();
  });
});

describe('parseGamesPage', () => {
  const g = {
    id: 'g_1',
    white: { name: 'alice', rating: 1500 },
    black: { name: 'bob', rating: 1490, provisional: true },
    tc: '3+2',
    rated: false,
    speed: 'blitz',
    status: 'ended',
    result: '0-1',
    reason: 'resign',
    plies: 20,
    createdAt: '2026-01-01T00:00:00.123Z',
    endedAt: '2026-01-01T00:05:00Z',
  };
  it('reads games and the next cursor, dropping malformed entries', () => {
    const page = parseGamesPage({ games: [g, { id: 3 }], next: '2026-01-01T00:00:00.123Z' });
    expect(page.games).toHaveLength(1);
    expect(page.games[0]!.black.provisional).toBe(true);
    expect(page.next).toBe('2026-01-01T00:00:00.123Z');
    expect(outcomeFor(page.games[0]!, 'alice')).toBe('loss');
    expect(outcomeFor(page.games[0]!, 'bob')).toBe('win');
  });
  it('treats running and aborted games as no outcome', () => {
    const page = parseGamesPage({ games: [{ ...g, status: 'started', result: null }, { ...g, reason: 'abort' }], next: null });
    expect(page.games.map((x) => outcomeFor(x, 'alice'))).toEqual([null, null]);
    expect(page.next).toBeNull();
  });
});

describe('parseLeaderboard', () => {
  it('reads ranked players', () => {
    expect(
      parseLeaderboard({ speed: 'blitz', players: [{ rank: 1, name: 'a', rating: 1800, rd: 60, games: 40 }, { name: 5 }] }),
    ).toEqual([{ rank: 1, name: 'a', rating: 1800, rd: 60, games: 40 }]);
    expect(parseLeaderboard(null)).toEqual([]);
  });
});
