'use client';

// What the game page hears about presence over the real-time connection: the spectator count
// and, for the players, when the game can be claimed because the opponent left. Subscribed from
// the first render, so an `opponentGone` sent right after the page's watch is not missed.
import { useEffect, useState } from 'react';
import { claimAtOf, spectatorsOf } from '@/lib/presence';
import type { RealtimeClient } from '@/lib/realtime/client';
import { monoNow } from '../ClockView';

export interface GamePresence {
  spectators: number | null;
  /** monoNow() time from which the claim is allowed; null while the opponent is here. */
  claimAt: number | null;
}

export function useGamePresence(client: RealtimeClient | null, id: string): GamePresence {
  const [spectators, setSpectators] = useState<number | null>(null);
  const [claimAt, setClaimAt] = useState<number | null>(null);
  useEffect(() => {
    if (!client) return;
    return client.on('message', (env) => {
      const n = spectatorsOf(env, id);
      if (n !== null) setSpectators(n);
      const at = claimAtOf(env, id, monoNow());
      if (at !== undefined) setClaimAt(at);
    });
  }, [client, id]);
  return { spectators, claimAt };
}
