import { describe, expect, it } from 'vitest';
import {
  busiestSpeed,
  chartCoords,
  chartPoints,
  outcomeFor,
  parseGamesPage,
  parseLeaderboard,
  parseProfile,
  parseRatingHistory,
  rankText,
} from './playerData';

// Shapes as app/internal/httpapi writes them.
describe('parseProfile', () => {
  it('reads ratings per speed and the record', () => {
    const p = parseProfile({
      name: 'alice',
      guest: false,
      createdAt: '2026-01-01T00:00:00Z',
      ratings: {
        bullet: { rating: 1500, rd: 500, provisional: true, games: 0 },
        blitz: { rating: 1612, rd: 80.4, provisional: false, games: 31, rank: 1234 },
        rapid: { rating: 1500, rd: 500, provisional: true, games: 0 },
        classical: { rating: 1500, rd: 500, provisional: true, games: 0 },
      },
      games: 31,
      wins: 17,
      draws: 4,
      losses: 10,
    })!;
    expect(p.ratings.blitz).toEqual({ rating: 1612, rd: 80.4, provisional: false, games: 31, rank: 1234 });
    expect(p.ratings.bullet?.provisional).toBe(true);
    expect(p.ratings.bullet?.rank).toBeNull();
    expect([p.games, p.wins, p.draws, p.losses]).toEqual([31, 17, 4, 10]);
  });
  it('rejects a body without a name', () => {
    expect(parseProfile({ error: { code: 'not_found' } })).toBeNull();
  });
});

describe('ranks', () => {
  const withRank = (rank: unknown) =>
    parseProfile({ name: 'a', ratings: { blitz: { rating: 1600, provisional: false, games: 9, rank } } })!.ratings.blitz!.rank;
  it('reads a rank and drops anything that is not a place', () => {
    expect(withRank(7)).toBe(7);
    expect(withRank(null)).toBeNull();
    expect(withRank(undefined)).toBeNull();
    for (const bad of [0, -3, 2.5, '12', Number.NaN]) expect(withRank(bad)).toBeNull();
  });
  it('formats a rank as the profile shows it', () => {
    expect(rankText(1234, 'blitz')).toBe('#1,234 in blitz');
    expect(rankText(1, 'classical')).toBe('#1 in classical');
    expect(rankText(1234567, 'bullet')).toBe('#1,234,567 in bullet');
    expect(rankText(null, 'rapid')).toBeNull();
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

describe('parseRatingHistory', () => {
  it('reads points newest first and drops malformed ones', () => {
    const d = {
      name: 'alice',
      speed: 'blitz',
      points: [
        { game: 'g_b', rating: 1741, rd: 290.3, provisional: true, games: 2, at: '2026-11-28T10:05:00Z' },
        { game: 'g_x', rating: 'high' },
        { rating: 1500 },
        { game: 'g_a', rating: 1662, games: 1, at: '2026-11-28T10:00:00Z' },
      ],
    };
    expect(parseRatingHistory(d)).toEqual([
      { game: 'g_b', rating: 1741, provisional: true, games: 2, at: '2026-11-28T10:05:00Z' },
      { game: 'g_a', rating: 1662, provisional: false, games: 1, at: '2026-11-28T10:00:00Z' },
    ]);
    expect(parseRatingHistory({ points: 'none' })).toEqual([]);
    expect(parseRatingHistory(null)).toEqual([]);
  });
});

describe('busiestSpeed', () => {
  const profile = (games: Partial<Record<string, number>>) =>
    parseProfile({
      name: 'a',
      ratings: Object.fromEntries(Object.entries(games).map(([s, g]) => [s, { rating: 1500, games: g }])),
    })!;
  it('picks the speed with the most rated games, the faster one on a tie', () => {
    expect(busiestSpeed(profile({ bullet: 3, blitz: 7, rapid: 7 }))).toBe('blitz');
    expect(busiestSpeed(profile({ classical: 1 }))).toBe('classical');
  });
  it('is null without rated games', () => {
    expect(busiestSpeed(profile({ blitz: 0 }))).toBeNull();
    expect(busiestSpeed(profile({}))).toBeNull();
  });
});

describe('chartPoints', () => {
  it('scales ratings into the box, lowest at the bottom', () => {
    expect(chartPoints([1500, 1600, 1550], 100, 50)).toBe('0,50 50,0 100,25');
  });
  it('puts a flat series or a single point in the middle', () => {
    expect(chartPoints([1500, 1500], 10, 20)).toBe('0,10 10,10');
    expect(chartPoints([1500], 10, 20)).toBe('5,10');
    expect(chartPoints([], 10, 20)).toBe('');
  });
  it('gives the same coordinates as pairs, for the dots', () => {
    expect(chartCoords([1500, 1600, 1550], 100, 50)).toEqual([
      [0, 50],
      [50, 0],
      [100, 25],
    ]);
  });
});
