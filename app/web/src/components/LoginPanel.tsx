'use client';

import { type FormEvent, useId, useState } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from './AppProvider';

const USERNAME = /^[A-Za-z0-9_-]{3,20}$/;
// The backend's account rules (internal/httpapi: minPassword, maxPassword; protocol.ValidUsername).
const PASSWORD_MIN = 10;
const PASSWORD_MAX = 200;
const PASSWORD_RULE = `${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`;
const USERNAME_RULE = '3 to 20 letters, digits, _ or -.';

function message(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Play as guest, log in, or register (protocol.md: username 3–20 of [A-Za-z0-9_-], password 10–200). */
export function LoginPanel() {
  const { loginAsGuest, login, register } = useApp();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const usernameHint = useId();
  const passwordHint = useId();

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
      setError(`Username: ${USERNAME_RULE}`);
      return;
    }
    if (mode === 'register' && (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)) {
      setError(`Password: ${PASSWORD_RULE}`);
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
            aria-describedby={mode === 'register' ? usernameHint : undefined}
          />
        </label>
        {mode === 'register' && (
          <p id={usernameHint} className="field-hint muted" data-testid="username-rule">
            {USERNAME_RULE}
          </p>
        )}
        <label>
          Password{' '}
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={mode === 'register' ? PASSWORD_MIN : 1}
            maxLength={mode === 'register' ? PASSWORD_MAX : undefined}
            aria-describedby={mode === 'register' ? passwordHint : undefined}
          />
        </label>
        {mode === 'register' && (
          <p id={passwordHint} className="field-hint muted" data-testid="password-rule">
            {PASSWORD_RULE}
          </p>
        )}
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
