'use client';

// The lobby's challenge form: a named player, or, with the name left empty, an open challenge
// whose link anyone signed in may accept. What happens next is shown by the ChallengeBanner.
import { type FormEvent, useState } from 'react';
import { useApp } from '../AppProvider';
import { TIME_CONTROLS } from '../Lobby';
import { useChallenges } from './useChallenges';

export function ChallengeForm() {
  const { status, session } = useApp();
  const { center } = useChallenges();
  const [to, setTo] = useState('');
  const [tc, setTc] = useState<string>('5+3');
  const [color, setColor] = useState<'random' | 'white' | 'black'>('random');
  const [rated, setRated] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!center) return;
    const name = to.trim();
    if (name && !/^[A-Za-z0-9_-]{3,20}$/.test(name)) {
      setNote({ ok: false, text: 'Enter a valid player name, or leave it empty for a link.' });
      return;
    }
    if (name && name === session?.name) {
      setNote({ ok: false, text: 'You cannot challenge yourself.' });
      return;
    }
    setNote(null);
    const r = await center.challenge({ to: name || undefined, tc, color, rated });
    if (!r.ok) {
      setNote({ ok: false, text: r.error?.msg || r.error?.code || 'Failed' });
      return;
    }
    // What happens next is in the banner at the top, which follows the answer.
    setNote(name ? null : { ok: true, text: 'Challenge link created: share it from the box at the top.' });
    setTo('');
  }

  return (
    <section className="card" aria-labelledby="challenge-heading">
      <h2 id="challenge-heading">Challenge a player</h2>
      <form onSubmit={(e) => void onSubmit(e)}>
        <label>
          Player name <span className="muted">(empty: a link anyone can accept)</span>{' '}
          <input value={to} onChange={(e) => setTo(e.target.value)} data-testid="challenge-to" />
        </label>
        <div className="row">
          <label>
            Time control{' '}
            <select value={tc} onChange={(e) => setTc(e.target.value)} data-testid="challenge-tc">
              {TIME_CONTROLS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Your colour{' '}
            <select value={color} onChange={(e) => setColor(e.target.value as typeof color)} data-testid="challenge-color">
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
        <button type="submit" disabled={status !== 'open'} data-testid="challenge-send">
          {to.trim() ? 'Send challenge' : 'Create challenge link'}
        </button>
      </form>
      {note && (
        <p className={note.ok ? 'muted' : 'alert'} role={note.ok ? 'status' : 'alert'} data-testid="challenge-note">
          {note.text}
        </p>
      )}
    </section>
  );
}
