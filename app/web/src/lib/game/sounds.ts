// Game sounds, generated with Web Audio (no files to license): a short tone per kind. Which
// sound a move makes is decided from its SAN. Every sound that plays, or would play if the
// page were not muted, is listed on <html data-sounds="move,capture,..."> (muted ones on
// data-sounds-muted) so browser tests can check them without listening.
import { type ClockSnapshot, remainingMs } from '../clock';
import type { Color } from '../realtime/protocol';

export type SoundKind = 'move' | 'capture' | 'check' | 'lowTime';

export const MUTE_KEY = 'chess.sound.muted';

/** The sound of a move from its SAN: check (and mate) over capture over a plain move. */
export function soundForSan(san: string): SoundKind {
  if (/[+#]$/.test(san)) return 'check';
  if (san.includes('x')) return 'capture';
  return 'move';
}

/** Low-time warning threshold: the player's own running clock under this many ms, once a game. */
export const LOW_TIME_MS = 10_000;

export function isMuted(storage: Pick<Storage, 'getItem'> | null): boolean {
  try {
    return storage?.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

export function setMuted(storage: Pick<Storage, 'setItem'> | null, muted: boolean): void {
  try {
    storage?.setItem(MUTE_KEY, muted ? '1' : '0');
  } catch {
    // storage unavailable (private mode quota): the choice lasts for this page only
  }
}

const TONES: Record<SoundKind, Array<[number, number, number]>> = {
  // [frequency Hz, start s, duration s]
  move: [[520, 0, 0.07]],
  capture: [
    [330, 0, 0.06],
    [220, 0.05, 0.09],
  ],
  check: [
    [660, 0, 0.08],
    [880, 0.09, 0.1],
  ],
  lowTime: [
    [990, 0, 0.06],
    [990, 0.12, 0.06],
    [990, 0.24, 0.06],
  ],
};

/** Plays a sound (unless muted) and records it for tests on document.documentElement. */
export class SoundPlayer {
  private ctx: AudioContext | null = null;

  constructor(private readonly muted: () => boolean) {}

  play(kind: SoundKind): void {
    const muted = this.muted();
    if (typeof document !== 'undefined') {
      const el = document.documentElement;
      const key = muted ? 'soundsMuted' : 'sounds';
      el.dataset[key] = el.dataset[key] ? `${el.dataset[key]},${kind}` : kind;
    }
    if (muted) return;
    try {
      const AC = globalThis.AudioContext;
      if (!AC) return;
      this.ctx ??= new AC();
      const ctx = this.ctx;
      if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
      const t0 = ctx.currentTime;
      for (const [freq, start, dur] of TONES[kind]) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = kind === 'capture' ? 'triangle' : 'sine';
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t0 + start);
        gain.gain.exponentialRampToValueAtTime(0.2, t0 + start + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + start + dur);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t0 + start);
        osc.stop(t0 + start + dur + 0.02);
      }
    } catch {
      // no audio output (autoplay policy, no device): silence is fine
    }
  }

  close(): void {
    void this.ctx?.close().catch(() => undefined);
    this.ctx = null;
  }
}

/**
 * Ms until the player's own running clock drops under LOW_TIME_MS (0: already under), or null
 * while that clock does not run.
 */
export function msUntilLowTime(clock: ClockSnapshot, seat: Color, now: number): number | null {
  if (clock.running !== seat) return null;
  return Math.max(0, remainingMs(clock, seat, now) - LOW_TIME_MS);
}
