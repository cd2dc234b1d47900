'use client';

import { useEffect, useState } from 'react';
import type { GameModel } from '@/lib/game/model';
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
  const s = Math.max(0, Math.ceil((deadline - now) / 1000));
  const side = model.turn === 'white' ? 'White' : 'Black';
  return (
    <p className="notice first-move" role="timer" aria-live="off" data-testid="first-move-countdown" data-side={model.turn} data-seconds={s}>
      {side} must move within {s} s
    </p>
  );
}
