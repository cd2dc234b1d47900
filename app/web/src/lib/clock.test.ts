import { describe, expect, it } from 'vitest';
import {
  formatClock,
  freeze,
  msUntilNextChange,
  parseTimeControl,
  remainingMs,
  runningSide,
  snapshot,
  speedOf,
  spokenClock,
} from './clock';

describe('formatClock', () => {
  it.each([
    [300_000, '5:00'],
    [297_400, '4:57'],
    [60_000, '1:00'],
    [59_999, '0:59'],
    [10_000, '0:10'],
    [9_999, '0:09.9'],
    [9_950, '0:09.9'],
    [1_049, '0:01.0'],
    [99, '0:00.0'],
    [0, '0:00.0'],
    [-5, '0:00.0'],
    [3_600_000, '1:00:00'],
    [5_400_000 + 61_000, '1:31:01'],
  ])('%i ms -> %s', (ms, want) => {
    expect(formatClock(ms)).toBe(want);
  });
});

describe('spokenClock', () => {
  it.each([
    [297_400, '4 minutes 57 seconds'],
    [61_000, '1 minute 1 second'],
    [3_600_000, '1 hour'],
    [500, '0 seconds'],
  ])('%i ms -> %s', (ms, want) => {
    expect(spokenClock(ms)).toBe(want);
  });
});

describe('runningSide', () => {
  it('runs nothing before both sides have moved', () => {
    expect(runningSide('started', 0, 'white')).toBeNull();
    expect(runningSide('started', 1, 'black')).toBeNull();
  });
  it('runs the side to move from ply 2 on', () => {
    expect(runningSide('started', 2, 'white')).toBe('white');
    expect(runningSide('started', 7, 'black')).toBe('black');
  });
  it('runs nothing once the game ended', () => {
    expect(runningSide('ended', 40, 'white')).toBeNull();
  });
});

describe('remainingMs', () => {
  const s = snapshot({ w: 60_000, b: 45_000 }, 'white', 1_000, 0);
  it('counts down the running side only', () => {
    expect(remainingMs(s, 'white', 1_000)).toBe(60_000);
    expect(remainingMs(s, 'white', 3_500)).toBe(57_500);
    expect(remainingMs(s, 'black', 3_500)).toBe(45_000);
  });
  it('never goes below zero', () => {
    expect(remainingMs(s, 'white', 1_000_000)).toBe(0);
  });
  it('does not count up if the local clock is behind the snapshot', () => {
    expect(remainingMs(s, 'white', 500)).toBe(60_000);
  });
  it('starts a network lag further down', () => {
    const lagged = snapshot({ w: 60_000, b: 45_000 }, 'white', 1_000, 150);
    expect(remainingMs(lagged, 'white', 1_000)).toBe(59_850);
  });
  it('stands still when nothing runs', () => {
    const idle = snapshot({ w: 60_000, b: 45_000 }, null, 1_000, 150);
    expect(remainingMs(idle, 'white', 99_000)).toBe(60_000);
    expect(remainingMs(idle, 'black', 99_000)).toBe(45_000);
  });
});

describe('freeze', () => {
  it('keeps what the running side had left and stops', () => {
    const s = freeze(snapshot({ w: 60_000, b: 45_000 }, 'black', 0), 5_000);
    expect(s).toEqual({ w: 60_000, b: 40_000, at: 5_000, running: null });
    expect(remainingMs(s, 'black', 50_000)).toBe(40_000);
  });
});

describe('msUntilNextChange', () => {
  it('waits for the next whole second above 10 s and the next tenth below', () => {
    const s = snapshot({ w: 60_400, b: 0 }, 'white', 0);
    expect(msUntilNextChange(s, 0)).toBe(400);
    expect(msUntilNextChange(s, 400)).toBe(1000);
    const low = snapshot({ w: 9_950, b: 0 }, 'white', 0);
    expect(msUntilNextChange(low, 0)).toBe(50);
  });
  it('is null when nothing runs or time is up', () => {
    expect(msUntilNextChange(snapshot({ w: 1, b: 1 }, null, 0), 0)).toBeNull();
    expect(msUntilNextChange(snapshot({ w: 100, b: 1 }, 'white', 0), 200)).toBeNull();
  });
});

describe('time controls', () => {
  it('parses minutes+increment', () => {
    expect(parseTimeControl('5+3')).toEqual({ baseMs: 300_000, incMs: 3_000 });
    expect(parseTimeControl('x')).toBeNull();
    expect(parseTimeControl('5+')).toBeNull();
  });
  it.each([
    ['1+0', 'bullet'],
    ['2+1', 'bullet'],
    ['3+0', 'blitz'],
    ['3+2', 'blitz'],
    ['5+3', 'blitz'],
    ['10+0', 'rapid'],
    ['15+10', 'rapid'],
    ['25+0', 'classical'],
    ['30+0', 'classical'],
  ])('%s is %s', (tc, speed) => {
    expect(speedOf(tc)).toBe(speed);
  });
});
