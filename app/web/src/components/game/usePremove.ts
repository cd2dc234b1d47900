'use client';

// One queued premove per game page: set from the board while the opponent is to move, played
// as soon as the position lets the player move (if still legal), cancelled with Escape.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { GameModel } from '@/lib/game/model';
import { resolvePremove } from '@/lib/game/premove';
import type { Color } from '@/lib/realtime/protocol';
import type { PremoveInput } from '../Board';

export function usePremove(
  model: GameModel | null,
  seat: Color | null,
  /** The player's own move is still on its way: wait for it before playing the premove. */
  waiting: boolean,
  /** False while the board shows a past position: no premove input then. */
  enabled: boolean,
  onMove: (uci: string) => void,
): PremoveInput | null {
  const [queued, setQueued] = useState<string | null>(null);
  const cancel = useCallback(() => setQueued(null), []);

  // The opponent's move arrived (it is the player's turn again): play or drop the premove.
  const due = !!queued && !!model && !!seat && (model.status !== 'started' || (model.turn === seat && !waiting));
  useEffect(() => {
    if (!due || !queued || !model || !seat) return;
    const uci = model.status === 'started' ? resolvePremove(model.fen, seat, queued) : null;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- consuming the queue exactly once per arrival
    setQueued(null);
    if (uci) onMove(uci);
  }, [due, queued, model, seat, onMove]);

  useEffect(() => {
    if (!queued) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setQueued(null);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [queued]);

  return useMemo(
    () =>
      seat && enabled && model?.status === 'started'
        ? { color: seat, queued, onQueue: setQueued, onCancel: cancel }
        : null,
    [seat, enabled, model?.status, queued, cancel],
  );
}
