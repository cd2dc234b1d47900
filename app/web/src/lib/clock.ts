// Clock display: the server is the reference (protocol.md); between server messages the side to
// move's clock runs down locally from the last values the server sent.
import type { Color } from './realtime/protocol';

export interface ClockSnapshot {
  /** Remaining ms per side, as last sent by the server. */
  w: number;
  b: number;
  /** Local time (ms, same clock as `now`) at which those values were true. */
  at: number;
  /** The side whose clock runs, or null when none runs (before both sides moved, game over). */
  running: Color | null;
}

/** Which clock runs: the side to move, once both sides have moved once, while the game goes on. */
export function runningSide(status: 'started' | 'ended', plies: number, turn: Color): Color | null {
  return status === 'started' && plies >= 2 ? turn : null;
}

/**
 * Snapshot for values received at local time `receivedAt`. The server's values were true about
 * one network lag earlier, so a running clock starts that much further down.
 */
export function snapshot(
  clock: { w: number; b: number },
  running: Color | null,
  receivedAt: number,
  lagMs = 0,
): ClockSnapshot {
  return { w: clock.w, b: clock.b, at: receivedAt - Math.max(0, lagMs), running };
}

export function remainingMs(s: ClockSnapshot, color: Color, now: number): number {
  const base = color === 'white' ? s.w : s.b;
  if (s.running !== color) return Math.max(0, base);
  return Math.max(0, base - Math.max(0, now - s.at));
}

/** Freezes the clocks at `now` (game over): the running side keeps what it had left. */
export function freeze(s: ClockSnapshot, now: number): ClockSnapshot {
  return { w: remainingMs(s, 'white', now), b: remainingMs(s, 'black', now), at: now, running: null };
}

/** Time until the displayed text of the running clock changes, to schedule the next repaint. */
export function msUntilNextChange(s: ClockSnapshot, now: number): number | null {
  if (!s.running) return null;
  const ms = remainingMs(s, s.running, now);
  if (ms <= 0) return null;
  const step = ms < 10_000 ? 100 : 1000;
  const next = ms % step;
  return next === 0 ? step : next;
}

const pad = (n: number) => n.toString().padStart(2, '0');

/**
 * `h:mm:ss` from an hour up, `m:ss` down to 10 s, then `0:09.9` with tenths. Rounds down, so
 * the display reaches 0:00.0 exactly when the time is gone.
 */
export function formatClock(ms: number): string {
  const t = Math.max(0, Math.floor(ms));
  if (t < 10_000) {
    const tenths = Math.floor(t / 100);
    return `0:${pad(Math.floor(tenths / 10))}.${tenths % 10}`;
  }
  const totalS = Math.floor(t / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Spoken form for screen readers, e.g. "4 minutes 57 seconds". */
export function spokenClock(ms: number): string {
  const totalS = Math.floor(Math.max(0, ms) / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (s || parts.length === 0) parts.push(`${s} second${s === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** Parses a time control "5+3" into ms; null when malformed. */
export function parseTimeControl(tc: string): { baseMs: number; incMs: number } | null {
  const m = /^(\d{1,3})\+(\d{1,3})$/.exec(tc.trim());
  if (!m) return null;
  return { baseMs: Number(m[1]) * 60_000, incMs: Number(m[2]) * 1000 };
}

export type Speed = 'bullet' | 'blitz' | 'rapid' | 'classical';

/** lichess speed classes: estimated duration = minutes*60 + 40*increment seconds. */
export function speedOf(tc: string): Speed | null {
  const p = parseTimeControl(tc);
  if (!p) return null;
  const est = p.baseMs / 1000 + (40 * p.incMs) / 1000;
  if (est < 180) return 'bullet';
  if (est < 480) return 'blitz';
  if (est < 1500) return 'rapid';
  return 'classical';
}
