'use client';

import { type FormEvent, useState } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from './AppProvider';

const USERNAME = /^[A-Za-z0-9_-]{3,20}$/;

function message(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Play as guest, log in, or register (protocol.md: username 3–20 of [A-Za-z0-9_-], password ≥ 10). */
export function LoginPanel() {
  const { loginAsGuest, login, register } = useApp();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(fn: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!USERNAME.test(username)) {
      setError('Username: 3 to 20 letters, digits, _ or -.');
      return;
    }
    if (mode === 'register' && password.length < 10) {
      setError('Password: at least 10 characters.');
      return;
    }
    void run(() => (mode === 'login' ? login(username, password) : register(username, password)));
  }

  return (
    <section className="card" aria-labelledby="login-heading">
      <h2 id="login-heading">Start playing</h2>
      <p>
        <button type="button" onClick={() => void run(loginAsGuest)} disabled={busy} data-testid="play-as-guest">
          Play as guest
        </button>
      </p>
      <form onSubmit={onSubmit} aria-label={mode === 'login' ? 'Log in' : 'Register'}>
        <div className="row" role="group" aria-label="Account">
          <button
            type="button"
            className={mode === 'login' ? '' : 'secondary'}
            aria-pressed={mode === 'login'}
            onClick={() => setMode('login')}
          >
            Log in
          </button>
          <button
            type="button"
            className={mode === 'register' ? '' : 'secondary'}
            aria-pressed={mode === 'register'}
            onClick={() => setMode('register')}
          >
            Register
          </button>
        </div>
        <label>
          Username{' '}
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            minLength={3}
            maxLength={20}
            pattern="[A-Za-z0-9_\-]{3,20}"
          />
        </label>
        <label>
          Password{' '}
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={mode === 'register' ? 10 : 1}
          />
        </label>
        <button type="submit" disabled={busy} data-testid="login-submit">
          {mode === 'login' ? 'Log in' : 'Create account'}
        </button>
      </form>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
