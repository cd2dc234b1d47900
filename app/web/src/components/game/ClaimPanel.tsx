'use client';

// After the opponent has been gone for the server's abandon timeout, the remaining player may
// claim the win or call a draw (claimAbandoned); until then a countdown says when.
import { useEffect, useState } from 'react';
import { claimSecondsLeft } from '@/lib/presence';
import type { RealtimeClient } from '@/lib/realtime/client';
import { monoNow } from '../ClockView';

export function ClaimPanel({ client, id, claimAt }: { client: RealtimeClient | null; id: string; claimAt: number | null }) {
  const [now, setNow] = useState(() => monoNow());
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  useEffect(() => {
    if (claimAt === null) return;
    const t = setInterval(() => setNow(monoNow()), 250);
    return () => clearInterval(t);
  }, [claimAt]);
  if (claimAt === null || Number.isNaN(claimAt)) return null;
  const left = claimSecondsLeft(claimAt, now);
  const claim = (result: 'win' | 'draw') => {
    if (!client) return;
    setSending(true);
    setError(null);
    void client.send('claimAbandoned', { game: id, result }).then((r) => {
      setSending(false);
      if (!r.ok) setError(r.error?.msg || r.error?.code || 'The claim failed.');
    });
  };
  return (
    <div className="notice" role="group" aria-label="Opponent left" data-testid="claim-panel">
      {left > 0 ? (
        <p role="status" data-testid="claim-countdown">
          If they do not come back, you can claim victory in {left} s.
        </p>
      ) : (
        <>
          <p>They did not come back in time: you may end the game.</p>
          <div className="controls">
            <button type="button" onClick={() => claim('win')} disabled={sending} data-testid="claim-win">
              Claim victory
            </button>
            <button type="button" className="secondary" onClick={() => claim('draw')} disabled={sending} data-testid="claim-draw">
              Call draw
            </button>
          </div>
        </>
      )}
      {error && (
        <p className="alert" role="alert" data-testid="claim-error">
          {error}
        </p>
      )}
    </div>
  );
}
