'use client';

// The page of a challenge link (/challenge/c_…): who challenges, on what terms, and Accept for
// anyone signed in but the creator. Accepting starts the game; AppProvider takes both players
// to it on `gameStart`. An expired or taken challenge says so.
import { useEffect, useState } from 'react';
import { ApiError, apiJson } from '@/lib/api';
import { type ChallengeInfo, goneText, parseChallengeInfo, yourColour } from '@/lib/realtime/challenges';
import { useApp } from '../AppProvider';
import { LoginPanel } from '../LoginPanel';
import { useChallenges } from './useChallenges';

type Load = { state: 'loading' } | { state: 'ok'; c: ChallengeInfo } | { state: 'gone' } | { state: 'error'; msg: string };

const GONE = 'This challenge has expired or was already taken.';

export function ChallengePage({ id }: { id: string }) {
  const { session, status } = useApp();
  const { center, snap } = useChallenges();
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    apiJson(`/api/challenges/${encodeURIComponent(id)}`, { signal: ac.signal }).then(
      (d) => {
        const c = parseChallengeInfo(d);
        setLoad(c ? { state: 'ok', c } : { state: 'error', msg: 'The server sent a challenge this page cannot read.' });
      },
      (err: unknown) => {
        if (ac.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) setLoad({ state: 'gone' });
        else setLoad({ state: 'error', msg: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => ac.abort();
  }, [id]);

  const gone = snap.gone[id];
  let body;
  if (load.state === 'loading' || session === undefined) {
    body = <p className="muted">Loading…</p>;
  } else if (load.state === 'error') {
    body = (
      <p className="alert" role="alert">
        Cannot load the challenge: {load.msg}
      </p>
    );
  } else if (load.state === 'gone' || gone) {
    body = (
      <p className="notice" role="status" data-testid="challenge-gone">
        {gone ? goneText(gone) : GONE}
      </p>
    );
  } else {
    const c = load.c;
    const mine = session?.name === c.from;
    const accept = async () => {
      if (!center) return;
      setBusy(true);
      setError(null);
      const r = await center.accept(c.id);
      setBusy(false);
      if (!r.ok) {
        if (r.error?.code === 'not_found') setLoad({ state: 'gone' });
        else setError(r.error?.msg || r.error?.code || 'The server refused.');
      }
    };
    const cancel = async () => {
      if (!center) return;
      const r = await center.cancel(c.id);
      if (!r.ok) setError(r.error?.msg || r.error?.code || 'The server refused.');
    };
    body = (
      <section className="card" aria-labelledby="challenge-page-heading" data-testid="challenge-card">
        <h2 id="challenge-page-heading">
          {mine ? 'Your challenge' : `${c.from} challenges ${c.to ? c.to : 'anyone with this link'}`}
        </h2>
        <dl className="challenge-terms">
          <dt>From</dt>
          <dd data-testid="challenge-from">{c.from}</dd>
          <dt>Time control</dt>
          <dd data-testid="challenge-terms">{c.tc}</dd>
          <dt>Rated</dt>
          <dd data-testid="challenge-rated">{c.rated ? 'Rated: the result counts for both ratings' : 'Casual: no rating change'}</dd>
          <dt>Colour</dt>
          <dd data-testid="challenge-colour">
            {mine ? `you play ${c.color === 'random' ? 'a random colour' : c.color}` : `you play ${yourColour(c.color)}`}
          </dd>
        </dl>
        {!session ? (
          <>
            <p>Sign in or play as a guest to accept.</p>
            <LoginPanel />
          </>
        ) : mine ? (
          <>
            <p>Send this page&apos;s address to someone; the game starts when they accept.</p>
            <button type="button" className="secondary" onClick={() => void cancel()} data-testid="challenge-page-cancel">
              Cancel challenge
            </button>
          </>
        ) : c.to && c.to !== session.name ? (
          <p className="notice">This challenge is addressed to {c.to}.</p>
        ) : (
          <button type="button" onClick={() => void accept()} disabled={busy || status !== 'open'} data-testid="challenge-page-accept">
            Accept
          </button>
        )}
        {error && (
          <p className="alert" role="alert" data-testid="challenge-page-error">
            {error}
          </p>
        )}
      </section>
    );
  }
  return (
    <>
      <h1>Challenge</h1>
      {body}
    </>
  );
}
