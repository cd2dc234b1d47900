'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { speedOf } from '@/lib/clock';
import { useApp } from './AppProvider';
import { LoginPanel } from './LoginPanel';

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
          <div className="grid-2">
            <QuickPair />
            <div>
              <IncomingChallenges />
              <ChallengeForm />
              <WatchForm />
            </div>
          </div>
        </>
      )}
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

function IncomingChallenges() {
  const { challenges, answerChallenge } = useApp();
  return (
    <section className="card" aria-labelledby="incoming-heading">
      <h2 id="incoming-heading">Incoming challenges</h2>
      {challenges.length === 0 ? (
        <p className="muted">None right now.</p>
      ) : (
        <ul aria-live="polite" data-testid="challenges">
          {challenges.map((c) => (
            <li key={c.id} className="row" data-testid={`challenge-${c.id}`}>
              <span>
                <strong>{c.from}</strong> challenges you: {c.tc} {c.rated ? 'rated' : 'casual'}, you play{' '}
                {c.color === 'random' ? 'a random colour' : c.color === 'white' ? 'black' : 'white'}
              </span>
              <button type="button" onClick={() => answerChallenge(c.id, true)} aria-label={`Accept challenge from ${c.from}`}>
                Accept
              </button>
              <button
                type="button"
                className="secondary"
                onClick={() => answerChallenge(c.id, false)}
                aria-label={`Decline challenge from ${c.from}`}
              >
                Decline
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ChallengeForm() {
  const { client, status, session } = useApp();
  const [to, setTo] = useState('');
  const [tc, setTc] = useState<string>('5+3');
  const [color, setColor] = useState<'random' | 'white' | 'black'>('random');
  const [rated, setRated] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!client) return;
    const name = to.trim();
    if (!/^[A-Za-z0-9_-]{3,20}$/.test(name)) {
      setNote({ ok: false, text: 'Enter a valid player name.' });
      return;
    }
    if (name === session?.name) {
      setNote({ ok: false, text: 'You cannot challenge yourself.' });
      return;
    }
    setNote(null);
    const r = await client.send('challenge', { to: name, tc, color, rated });
    setNote(r.ok ? { ok: true, text: `Challenge sent to ${name}.` } : { ok: false, text: r.error?.msg || r.error?.code || 'Failed' });
  }

  return (
    <section className="card" aria-labelledby="challenge-heading">
      <h2 id="challenge-heading">Challenge a player</h2>
      <form onSubmit={(e) => void onSubmit(e)}>
        <label>
          Player name <input value={to} onChange={(e) => setTo(e.target.value)} data-testid="challenge-to" required />
        </label>
        <div className="row">
          <label>
            Time control{' '}
            <select value={tc} onChange={(e) => setTc(e.target.value)}>
              {TIME_CONTROLS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Your colour{' '}
            <select value={color} onChange={(e) => setColor(e.target.value as typeof color)}>
              <option value="random">Random</option>
              <option value="white">White</option>
              <option value="black">Black</option>
            </select>
          </label>
          <label>
            <input type="checkbox" checked={rated} onChange={(e) => setRated(e.target.checked)} disabled={session?.guest} />{' '}
            Rated
          </label>
        </div>
        <button type="submit" disabled={status !== 'open'}>
          Send challenge
        </button>
      </form>
      {note && (
        <p className={note.ok ? 'muted' : 'alert'} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </p>
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
