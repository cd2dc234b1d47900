'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { speedOf } from '@/lib/clock';
import { useApp } from './AppProvider';
import { ChallengeForm } from './challenges/ChallengeForm';
import { LoginPanel } from './LoginPanel';
import { LiveGames } from './lobby/LiveGames';
import { YourGames } from './lobby/YourGames';

export const TIME_CONTROLS = ['1+0', '2+1', '3+0', '3+2', '5+0', '5+3', '10+0', '10+5', '15+10', '30+0'] as const;

const speedLabel = (tc: string) => {
  const s = speedOf(tc);
  return s ? s[0]!.toUpperCase() + s.slice(1) : '';
};

export function Lobby() {
  const app = useApp();
  const { session } = app;
  if (session === undefined) return <p className="muted">Loading…</p>;
  return (
    <>
      <h1>Play chess</h1>
      {app.configError && (
        <p className="alert" role="alert">
          Cannot load the runtime configuration: {app.configError}
        </p>
      )}
      {!session ? (
        <LoginPanel />
      ) : (
        <>
          <p>
            Signed in as <strong data-testid="signed-in-as">{session.name}</strong>
            {session.guest ? ' (guest)' : ''}.
          </p>
          <ServerError />
          <YourGames name={session.name} />
          <div className="grid-2">
            <QuickPair />
            <div>
              <ChallengeForm />
              <WatchForm />
            </div>
          </div>
        </>
      )}
      <LiveGames viewer={session?.name ?? null} />
    </>
  );
}

function ServerError() {
  const { lastError, dismissError } = useApp();
  if (!lastError) return null;
  return (
    <div className="alert row" role="alert" data-testid="server-error">
      <span>
        {lastError.msg || lastError.code} <span className="muted">({lastError.code})</span>
      </span>
      <button type="button" className="link-button" onClick={dismissError}>
        Dismiss
      </button>
    </div>
  );
}

function QuickPair() {
  const { seek, cancelSeek, seeking, status, session } = useApp();
  const [rated, setRated] = useState(false);
  const connected = status === 'open';
  return (
    <section className="card" aria-labelledby="quick-heading">
      <h2 id="quick-heading">Quick pairing</h2>
      <fieldset className="row" style={{ border: 'none', padding: 0, margin: 0 }}>
        <legend className="sr-only">Game type</legend>
        <label>
          <input
            type="radio"
            name="rated"
            checked={!rated}
            onChange={() => setRated(false)}
            data-testid="casual"
          />{' '}
          Casual
        </label>
        <label>
          <input
            type="radio"
            name="rated"
            checked={rated}
            onChange={() => setRated(true)}
            disabled={session?.guest}
            data-testid="rated"
          />{' '}
          Rated{session?.guest ? ' (accounts only)' : ''}
        </label>
      </fieldset>
      <div className="tc-grid">
        {TIME_CONTROLS.map((tc) => (
          <button
            key={tc}
            type="button"
            onClick={() => seek(tc, rated)}
            disabled={!connected || seeking !== null}
            aria-label={`Quick pair ${tc} ${speedLabel(tc)}${rated ? ' rated' : ' casual'}`}
            data-testid={`seek-${tc}`}
          >
            {tc}{' '}
            <small>{speedLabel(tc)}</small>
          </button>
        ))}
      </div>
      {!connected && <p className="muted">Waiting for the connection…</p>}
      {seeking && (
        <div className="notice row" role="status" data-testid="seeking">
          <span>
            Seeking an opponent for {seeking.tc} {seeking.rated ? 'rated' : 'casual'}…
          </span>
          <button type="button" className="secondary" onClick={cancelSeek} data-testid="cancel-seek">
            Cancel
          </button>
        </div>
      )}
    </section>
  );
}

function WatchForm() {
  const router = useRouter();
  const [id, setId] = useState('');
  return (
    <section className="card" aria-labelledby="watch-heading">
      <h2 id="watch-heading">Watch a game</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          const g = id.trim();
          if (g) router.push(`/game/${encodeURIComponent(g)}`);
        }}
      >
        <label>
          Game id <input value={id} onChange={(e) => setId(e.target.value)} />
        </label>
        <button type="submit" className="secondary">
          Watch
        </button>
      </form>
    </section>
  );
}
