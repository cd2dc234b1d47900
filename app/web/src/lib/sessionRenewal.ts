// Renews the session token ahead of its expiry, so a browser that keeps playing is never
// logged out by TOKEN_TTL (24 h): POST /api/session/renew answers a fresh token for the same
// player (docs/design/backend.md, "Browser sessions").
//
// Every tab runs the loop, but one renewal is made per token: a tab renews only while holding
// the browser-wide Web Lock `chess.session.renew`, taken only if free. It re-reads the stored
// session inside it, renews if that is still due, and keeps the lock HOLD_MS longer: Chromium
// carries a localStorage write to the other tabs' processes asynchronously, so a tab that took
// the lock right after the renewal could still read the old token and renew it again. A tab
// that finds the lock taken looks again BUSY_RETRY_MS later, by when the new token has reached
// it (and the `storage` event has told it). Without Web Locks two tabs may both renew, which is
// harmless: both tokens are valid, the last one stored wins.

import { type SessionResponse, renewSessionToken } from './api';
import { type Session, loadSession, replaceSession, subscribeSession } from './session';

/** A token is renewed once it is this old (or half its lifetime, if that is shorter). */
export const RENEW_AFTER_MS = 60 * 60 * 1000;
/** Longest sleep between two looks at the stored session (a laptop may sleep through a timer). */
export const CHECK_EVERY_MS = 60 * 1000;
/** Shortest time before a new token is renewed again (a clock far off must not spin). */
export const MIN_RENEW_MS = 30 * 1000;
/** Wait after a failed renewal (no network, 429, 5xx) before the next attempt. */
export const RETRY_MS = 60 * 1000;
export const LOCK_NAME = 'chess.session.renew';
/** How long the renewing tab keeps the lock after storing the new token. */
export const HOLD_MS = 10 * 1000;
/** When a tab that found the lock taken looks again. */
export const BUSY_RETRY_MS = 15 * 1000;

/** The session a login, registration or renewal answer stands for, received at `now`. */
export function sessionFrom(r: SessionResponse, now: number): Session {
  const expires = r.expiresAt ? Date.parse(r.expiresAt) : NaN;
  const half = Number.isFinite(expires) ? (expires - now) / 2 : RENEW_AFTER_MS;
  const renewAt = now + Math.max(MIN_RENEW_MS, Math.min(RENEW_AFTER_MS, half));
  return {
    token: r.token,
    name: r.player.name,
    guest: r.player.guest === true,
    expiresAt: r.expiresAt ?? null,
    renewAt: new Date(renewAt).toISOString(),
  };
}

/** When `s` is due for renewal (ms since the epoch); a session without renewAt is due now. */
export function renewDueAt(s: Session): number {
  const at = s.renewAt ? Date.parse(s.renewAt) : NaN;
  return Number.isFinite(at) ? at : 0;
}

export interface RenewalDeps {
  /** The stored session (null when logged out or expired). */
  load(): Session | null;
  /** POST /api/session/renew: the new session, 'invalid' on 401, throws on anything else. */
  renew(token: string): Promise<Session | 'invalid'>;
  /** Compare-and-set of the stored session (session.ts replaceSession). */
  replace(expected: string, next: Session | null): boolean;
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Runs fn holding the browser-wide lock if it is free (navigator.locks, ifAvailable) and
   * resolves true, or resolves false at once when another tab holds it. Absent: fn runs directly.
   */
  withLock?: (name: string, fn: () => Promise<void>) => Promise<boolean>;
  /** Subscribes to "look again now" hints (session changed, tab visible, back online). */
  onWake?: (fn: () => void) => () => void;
  /** Reports each renewal made by this tab and its outcome (tests, logs). */
  onRenewed?: (outcome: 'renewed' | 'invalid' | 'failed' | 'skipped' | 'busy') => void;
}

/** Starts the renewal loop; returns its stop function. */
export function startRenewal(deps: RenewalDeps): () => void {
  let timer: unknown = null;
  let stopped = false;
  let running = false;
  let retryAfter = 0;

  const schedule = (ms: number) => {
    deps.clearTimeout(timer);
    timer = stopped ? null : deps.setTimeout(check, Math.max(0, Math.min(ms, CHECK_EVERY_MS)));
  };

  const renewOnce = async (token: string): Promise<void> => {
    // Inside the lock: another tab may have renewed (or someone logged out) meanwhile.
    const cur = deps.load();
    if (!cur || cur.token !== token || deps.now() < renewDueAt(cur)) {
      deps.onRenewed?.('skipped');
      return;
    }
    let renewed = false;
    try {
      const r = await deps.renew(cur.token);
      if (r === 'invalid') {
        // The server refuses the token (expired, signed with a retired key, player gone): the
        // session is over in every tab.
        deps.replace(cur.token, null);
        deps.onRenewed?.('invalid');
      } else {
        renewed = deps.replace(cur.token, r);
        deps.onRenewed?.('renewed');
      }
    } catch {
      retryAfter = deps.now() + RETRY_MS;
      deps.onRenewed?.('failed');
    }
    // Keep the lock until the new token has reached the other tabs.
    if (renewed && deps.withLock) await new Promise<void>((r) => deps.setTimeout(r, HOLD_MS));
  };

  function check(): void {
    timer = null;
    if (stopped || running) return;
    const s = deps.load();
    const now = deps.now();
    if (!s) return schedule(CHECK_EVERY_MS);
    const due = Math.max(renewDueAt(s), retryAfter);
    if (now < due) return schedule(due - now);
    running = true;
    const run = () => renewOnce(s.token);
    void (deps.withLock ? deps.withLock(LOCK_NAME, run) : run().then(() => true))
      .then((ran) => {
        if (ran) return;
        retryAfter = deps.now() + BUSY_RETRY_MS; // another tab is renewing, or just did
        deps.onRenewed?.('busy');
      })
      .catch(() => {
        retryAfter = deps.now() + RETRY_MS; // the lock itself failed
      })
      .finally(() => {
        running = false;
        if (!stopped) schedule(0);
      });
  }

  const offWake = deps.onWake?.(() => {
    if (!running) schedule(0);
  });
  schedule(0);
  return () => {
    stopped = true;
    deps.clearTimeout(timer);
    timer = null;
    offWake?.();
  };
}

/** The loop of a browser tab: localStorage, the HTTP API, Web Locks, and wake-up hints. */
export function startBrowserRenewal(): () => void {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return startRenewal({
    load: () => loadSession(),
    renew: async (token) => {
      const r = await renewSessionToken(token);
      return r === 'invalid' ? r : sessionFrom(r, Date.now());
    },
    replace: replaceSession,
    now: () => Date.now(),
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (h) => window.clearTimeout(h as number),
    withLock: locks
      ? async (name, fn) => {
          let ran = false;
          await locks.request(name, { ifAvailable: true }, async (lock) => {
            if (!lock) return; // another tab holds it
            ran = true;
            await fn();
          });
          return ran;
        }
      : undefined,
    onWake: (fn) => {
      // Timers stall while a laptop sleeps and are throttled in background tabs.
      const onVisible = () => {
        if (document.visibilityState === 'visible') fn();
      };
      const offSession = subscribeSession(fn);
      document.addEventListener('visibilitychange', onVisible);
      window.addEventListener('online', fn);
      return () => {
        offSession();
        document.removeEventListener('visibilitychange', onVisible);
        window.removeEventListener('online', fn);
      };
    },
  });
}
