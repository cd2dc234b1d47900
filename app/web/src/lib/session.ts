// Session token storage in the browser: one identity per browser, in every tab, until logout.
// The threat model is in docs/design/backend.md, "Browser sessions".
//
// The backend issues a bearer token (POST /api/sessions) that the client puts in the WebSocket
// URL (`?token=`, also to an API Gateway stage on another origin, which a cookie of this site
// never reaches) and in `Authorization: Bearer` headers, so script has to read it: an httpOnly
// cookie could not carry it, and a cookie sent automatically would also need the CSRF
// protection that a bearer header does not. localStorage keeps it for the whole browser (every
// tab, reloads, a closed and reopened tab), and the `storage` event tells every other tab at
// once when it changes: a login, a logout and a renewal reach all of them. The token is renewed
// ahead of its expiry by one tab (sessionRenewal.ts). The strict nonce-based CSP is the XSS
// mitigation that keeps other scripts from reading it; "Log out" removes it from the browser.

export interface Session {
  token: string;
  name: string;
  guest: boolean;
  expiresAt: string | null;
  /** When a tab should renew the token (sessionRenewal.ts); null: at once. */
  renewAt: string | null;
}

export const SESSION_KEY = 'chess.session.v1';
const listeners = new Set<() => void>();
let cachedRaw: string | null | undefined;
let cachedSession: Session | null = null;
let migrated = false;

function storage(): Storage | null {
  try {
    if (typeof window === 'undefined') return null;
    const s = window.localStorage;
    if (!migrated) {
      migrated = true;
      migrateFromTab(s);
    }
    return s;
  } catch {
    return null; // storage disabled
  }
}

/**
 * Earlier releases kept the session per tab (sessionStorage): a tab open across the upgrade
 * keeps its player by moving it to the browser-wide store, unless that already has one.
 */
function migrateFromTab(local: Storage): void {
  try {
    const tab = window.sessionStorage;
    const raw = tab.getItem(SESSION_KEY);
    if (raw === null) return;
    tab.removeItem(SESSION_KEY);
    if (local.getItem(SESSION_KEY) === null && parse(raw, Date.now())) local.setItem(SESSION_KEY, raw);
  } catch {
    // sessionStorage unavailable: nothing to move
  }
}

function parse(raw: string | null, now: number): Session | null {
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.name !== 'string') return null;
    const expiresAt = typeof s.expiresAt === 'string' ? s.expiresAt : null;
    if (expiresAt && Date.parse(expiresAt) <= now) return null;
    const renewAt = typeof s.renewAt === 'string' ? s.renewAt : null;
    return { token: s.token, name: s.name, guest: s.guest === true, expiresAt, renewAt };
  } catch {
    return null;
  }
}

/** The current session (stable object identity while unchanged, for useSyncExternalStore). */
export function loadSession(now: number = Date.now()): Session | null {
  const raw = storage()?.getItem(SESSION_KEY) ?? null;
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    cachedSession = parse(raw, now);
  } else if (cachedSession?.expiresAt && Date.parse(cachedSession.expiresAt) <= now) {
    cachedSession = null;
  }
  return cachedSession;
}

function notify(): void {
  for (const fn of listeners) fn();
}

export function saveSession(s: Session): void {
  storage()?.setItem(SESSION_KEY, JSON.stringify(s));
  notify();
}

export function clearSession(): void {
  storage()?.removeItem(SESSION_KEY);
  notify();
}

/**
 * Replaces the session only if its token is still `expected` (null clears it): a renewal that
 * answers after a logout or a new login in another tab must not bring the old player back.
 * Returns whether it replaced.
 */
export function replaceSession(expected: string, next: Session | null): boolean {
  if (loadSession()?.token !== expected) return false;
  if (next) saveSession(next);
  else clearSession();
  return true;
}

/**
 * Calls fn when the session changes in this tab or in any other tab of the browser (the
 * `storage` event fires only in the others; key null is a `localStorage.clear()`).
 */
export function subscribeSession(fn: () => void): () => void {
  listeners.add(fn);
  const onStorage = (e: StorageEvent) => {
    if (e.key === SESSION_KEY || e.key === null) fn();
  };
  if (typeof window !== 'undefined') window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(fn);
    if (typeof window !== 'undefined') window.removeEventListener('storage', onStorage);
  };
}
