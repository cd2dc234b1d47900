'use client';

import { useEffect, useRef, useState } from 'react';
import { type ClockSnapshot, formatClock, msUntilNextChange, remainingMs, spokenClock } from '@/lib/clock';
import type { Color } from '@/lib/realtime/protocol';

/** Monotonic ms; the game model's snapshots use the same clock. */
export const monoNow = (): number => performance.now();

/**
 * One side's clock, repainted only when its text changes (each second, each tenth under 10 s).
 * `onZero` fires once when a running clock reaches zero (the page may send `flag`).
 */
export function ClockView({ clock, color, onZero }: { clock: ClockSnapshot; color: Color; onZero?: () => void }) {
  const [now, setNow] = useState(monoNow);
  const zeroFired = useRef<ClockSnapshot | null>(null);
  const running = clock.running === color;

  useEffect(() => {
    if (!running) return;
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const n = monoNow();
      setNow(n);
      const wait = msUntilNextChange(clock, n);
      if (wait === null) {
        if (zeroFired.current !== clock) {
          zeroFired.current = clock;
          onZero?.();
        }
        return;
      }
      timer = setTimeout(tick, wait + 2);
    };
    timer = setTimeout(tick, 0);
    return () => clearTimeout(timer);
  }, [clock, running, onZero]);

  const ms = remainingMs(clock, color, running ? Math.max(now, clock.at) : now);
  const low = running && ms < 10_000;
  return (
    <div
      className="clock"
      role="timer"
      aria-label={`${color === 'white' ? 'White' : 'Black'} clock, ${spokenClock(ms)}${running ? ', running' : ''}`}
      data-testid={`clock-${color}`}
      data-running={running}
      data-low={low}
      data-ms={Math.round(ms)}
    >
      {formatClock(ms)}
    </div>
  );
}
