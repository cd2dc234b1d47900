'use client';

// Challenges announced on every page (mounted in the layout): incoming ones with Accept and
// Decline, and the ones this player sent, with Cancel while they wait and, once answered, what
// became of them in words. A rematch offer of the game on screen is left to that page's
// Rematch box, and an accepted challenge is not repeated over a game.
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState } from 'react';
import { type ChallengeInfo, outgoingText, terms, withdrawnText, yourColour } from '@/lib/realtime/challenges';
import type { SendResult } from '@/lib/realtime/client';
import { useChallenges } from './useChallenges';

/** An answered challenge of one's own stays on screen this long, then goes away by itself. */
const FINISHED_MS = 20_000;

export function ChallengeBanner() {
  const pathname = usePathname();
  const { center, snap } = useChallenges();
  const [error, setError] = useState<string | null>(null);

  // The server announces expiries; this drops what a tab that was offline missed.
  useEffect(() => {
    if (!center) return;
    const t = setInterval(() => center.expire(), 1000);
    return () => clearInterval(t);
  }, [center]);

  const finished = [...snap.outgoing.filter((o) => o.status !== 'waiting'), ...snap.withdrawn].map((o) => o.id).join(',');
  useEffect(() => {
    if (!center || !finished) return;
    const ids = finished.split(',');
    const t = setTimeout(() => ids.forEach((id) => center.dismiss(id)), FINISHED_MS);
    return () => clearTimeout(t);
  }, [center, finished]);

  if (!center) return null;
  const onGamePage = (c: ChallengeInfo) => c.rematch !== undefined && pathname === `/game/${encodeURIComponent(c.rematch)}`;
  const onLinkPage = (c: ChallengeInfo) => pathname === `/challenge/${encodeURIComponent(c.id)}`;
  const incoming = snap.incoming.filter((c) => !onGamePage(c));
  // On a game page an accepted challenge needs no words: its game is on screen (or was).
  const playing = pathname.startsWith('/game/');
  const outgoing = snap.outgoing.filter((o) => !onGamePage(o) && !onLinkPage(o) && !(playing && o.status === 'accepted'));
  const withdrawn = snap.withdrawn.filter((w) => !(w.rematch && pathname === `/game/${encodeURIComponent(w.rematch)}`));
  if (incoming.length === 0 && outgoing.length === 0 && withdrawn.length === 0 && !error) return null;

  const report = (r: Promise<SendResult>) => {
    setError(null);
    void r.then((res) => {
      if (!res.ok) setError(res.error?.msg || res.error?.code || 'The server refused.');
    });
  };

  return (
    <section className="challenge-banner" aria-label="Challenges" data-testid="challenge-banner">
      <ul>
        {incoming.map((c) => (
          <li key={c.id} className="challenge-toast row" data-testid="incoming-challenge" data-id={c.id}>
            <span>
              <strong>{c.from}</strong> {c.rematch ? 'offers you a rematch' : 'challenges you'}: {terms(c)}, you play{' '}
              {yourColour(c.color)}.
            </span>
            <span className="row">
              <button type="button" onClick={() => report(center.accept(c.id))} aria-label={`Accept challenge from ${c.from}`} data-testid="challenge-accept">
                Accept
              </button>
              <button
                type="button"
                className="secondary"
                onClick={() => report(center.decline(c.id))}
                aria-label={`Decline challenge from ${c.from}`}
                data-testid="challenge-decline"
              >
                Decline
              </button>
            </span>
          </li>
        ))}
        {outgoing.map((o) => (
          <li key={o.id} className="challenge-toast row" data-testid="outgoing-challenge" data-id={o.id} data-status={o.status}>
            <span role="status" data-testid="outgoing-text">
              {outgoingText(o)}
            </span>
            {o.status === 'waiting' && !o.to && (
              <Link href={`/challenge/${encodeURIComponent(o.id)}`} data-testid="challenge-link">
                Link to share
              </Link>
            )}
            {o.status === 'waiting' ? (
              <button type="button" className="secondary" onClick={() => report(center.cancel(o.id))} data-testid="challenge-cancel">
                Cancel
              </button>
            ) : (
              <button type="button" className="link-button" onClick={() => center.dismiss(o.id)} data-testid="challenge-dismiss">
                Dismiss
              </button>
            )}
          </li>
        ))}
        {withdrawn.map((w) => (
          <li key={w.id} className="challenge-toast row" data-testid="challenge-withdrawn" data-id={w.id} data-reason={w.reason}>
            <span role="status">{withdrawnText(w)}</span>
            <button type="button" className="link-button" onClick={() => center.dismiss(w.id)}>
              Dismiss
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p className="alert row" role="alert" data-testid="challenge-error">
          <span>{error}</span>
          <button type="button" className="link-button" onClick={() => setError(null)}>
            Dismiss
          </button>
        </p>
      )}
    </section>
  );
}
