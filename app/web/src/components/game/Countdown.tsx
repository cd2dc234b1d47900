'use client';

import { useEffect, useState } from 'react';
import { FIRST_MOVE_WINDOW_MS, type GameModel } from '@/lib/game/model';
import { monoNow } from '../ClockView';

/** "White must move within 23 s": the first-move deadline, for players and spectators alike. */
export function FirstMoveCountdown({ model }: { model: GameModel }) {
  const deadline = model.status === 'started' ? model.firstMoveBy : null;
  const [now, setNow] = useState(monoNow);
  useEffect(() => {
    if (deadline === null) return;
    const t = setInterval(() => setNow(monoNow()), 250);
    return () => clearInterval(t);
  }, [deadline]);
  if (deadline === null) return null;
  // `now` is the last tick's (up to 250 ms old, more on a busy page), so a deadline set a moment
  // ago may lie more than the window ahead of it: never show more than the window.
  const s = Math.min(FIRST_MOVE_WINDOW_MS / 1000, Math.max(0, Math.ceil((deadline - now) / 1000)));
  const side = model.turn === 'white' ? 'White' : 'Black';
  return (
    <p className="notice first-move" role="timer" aria-live="off" data-testid="first-move-countdown" data-side={model.turn} data-seconds={s}>
      {side} must move within {s} s
    </p>
  );
}
