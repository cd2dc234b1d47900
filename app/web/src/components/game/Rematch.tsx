'use client';

// Rematch after a game (docs/protocol.md `rematch`): offer one, see the opponent's offer and
// accept or decline it, and read what became of one's own offer. Accepting starts a new game
// with the colours swapped; AppProvider takes both players to it on `gameStart`.
import { useState } from 'react';
import { outgoingText, terms, withdrawnText, yourColour } from '@/lib/realtime/challenges';
import type { SendResult } from '@/lib/realtime/client';
import { useChallenges } from '../challenges/useChallenges';

export function Rematch({ game }: { game: string }) {
  const { center, snap } = useChallenges();
  const [error, setError] = useState<string | null>(null);
  if (!center) return null;
  const theirs = snap.incoming.find((c) => c.rematch === game);
  const mine = [...snap.outgoing].reverse().find((o) => o.rematch === game);
  const withdrawn = [...snap.withdrawn].reverse().find((w) => w.rematch === game);
  const report = (r: Promise<SendResult>) => {
    setError(null);
    void r.then((res) => {
      if (!res.ok) setError(res.error?.msg || res.error?.code || 'The server refused.');
    });
  };
  return (
    <section className="card rematch" aria-label="Rematch" data-testid="rematch">
      {theirs ? (
        <div className="row">
          <span role="status" data-testid="rematch-offer">
            {theirs.from} offers a rematch: {terms(theirs)}, you play {yourColour(theirs.color)}.
          </span>
          <button type="button" onClick={() => report(center.accept(theirs.id))} data-testid="rematch-accept">
            Accept rematch
          </button>
          <button type="button" className="secondary" onClick={() => report(center.decline(theirs.id))} data-testid="rematch-decline">
            Decline
          </button>
        </div>
      ) : mine ? (
        <div className="row">
          <span role="status" data-testid="rematch-status" data-status={mine.status}>
            {outgoingText(mine)}
          </span>
          {mine.status === 'waiting' ? (
            <button type="button" className="secondary" onClick={() => report(center.cancel(mine.id))} data-testid="rematch-cancel">
              Cancel
            </button>
          ) : (
            mine.status !== 'accepted' && (
              <button type="button" onClick={() => report(center.rematch(game))} data-testid="rematch-button">
                Offer again
              </button>
            )
          )}
        </div>
      ) : (
        <div className="row">
          {withdrawn && (
            <span role="status" data-testid="rematch-withdrawn">
              {withdrawnText(withdrawn)}
            </span>
          )}
          <button type="button" onClick={() => report(center.rematch(game))} data-testid="rematch-button">
            Rematch
          </button>
        </div>
      )}
      {error && (
        <p className="alert" role="alert" data-testid="rematch-error">
          {error}
        </p>
      )}
    </section>
  );
}
