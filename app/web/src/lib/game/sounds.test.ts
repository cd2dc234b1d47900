import { describe, expect, it } from 'vitest';
import { snapshot } from '../clock';
import { LOW_TIME_MS, MUTE_KEY, isMuted, msUntilLowTime, setMuted, soundForSan } from './sounds';

describe('sounds', () => {
  it('picks the sound of a move from its SAN', () => {
    expect(soundForSan('e4')).toBe('move');
    expect(soundForSan('O-O')).toBe('move');
    expect(soundForSan('Nxe5')).toBe('capture');
    expect(soundForSan('exd8=Q')).toBe('capture');
    expect(soundForSan('Bb5+')).toBe('check');
    expect(soundForSan('Qxf7#')).toBe('check');
  });

  it('remembers the mute switch in storage', () => {
    const m = new Map<string, string>();
    const storage = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
    expect(isMuted(storage)).toBe(false);
    setMuted(storage, true);
    expect(m.get(MUTE_KEY)).toBe('1');
    expect(isMuted(storage)).toBe(true);
    setMuted(storage, false);
    expect(isMuted(storage)).toBe(false);
    expect(isMuted(null)).toBe(false);
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
    };
    expect(isMuted(broken)).toBe(false);
  });

  it('schedules the low-time warning for the player own running clock only', () => {
    const c = snapshot({ w: 15_000, b: 60_000 }, 'white', 1000);
    expect(msUntilLowTime(c, 'white', 1000)).toBe(15_000 - LOW_TIME_MS);
    expect(msUntilLowTime(c, 'white', 4000)).toBe(2000);
    expect(msUntilLowTime(c, 'white', 9000)).toBe(0);
    expect(msUntilLowTime(c, 'black', 1000), 'black clock does not run').toBeNull();
    expect(msUntilLowTime(snapshot({ w: 5000, b: 5000 }, null, 0), 'white', 0)).toBeNull();
  });
});
