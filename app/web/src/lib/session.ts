// Session token storage in the browser.
//
// The backend issues a bearer token (POST /api/sessions) that the client must put in the
// WebSocket URL (`?token=`) and in `Authorization: Bearer` headers, so JavaScript has to read
// it: an httpOnly cookie would not work, and a cookie sent automatically would also need CSRF
// protection that a bearer header does not. sessionStorage keeps it per tab: it survives a
// reload (a reload must restore the game), is gone when the tab closes (short exposure, guests
// are disposable), and lets two tabs be two different players. The strict nonce-based CSP is
// the XSS mitigation that keeps other scripts from reading it.

export interface Session {
  token: string;
  name: string;
  guest: boolean;
  expiresAt: string | null;
}

const KEY = 'chess.session.v1';
const listeners = new Set<() => void>();
let cachedRaw: string | null | undefined;
let cachedSession: Session | null = null;

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null; // storage disabled
  }
}

function parse(raw: string | null, now: number): Session | null {
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.name !== 'string') return null;
    const expiresAt = typeof s.expiresAt === 'string' ? s.expiresAt : null;
    if (expiresAt && Date.parse(expiresAt) <= now) return null;
    return { token: s.token, name: s.name, guest: s.guest === true, expiresAt };
  } catch {
    return null;
  }
}

/** The current session (stable object identity while unchanged, for useSyncExternalStore). */
export function loadSession(now: number = Date.now()): Session | null {
  const raw = storage()?.getItem(KEY) ?? null;
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    cachedSession = parse(raw, now);
  } else if (cachedSession?.expiresAt && Date.parse(cachedSession.expiresAt) <= now) {
    cachedSession = null;
  }
  return cachedSession;
}

export function saveSession(s: Session): void {
  storage()?.setItem(KEY, JSON.stringify(s));
  for (const fn of listeners) fn();
}

export function clearSession(): void {
  storage()?.removeItem(KEY);
  for (const fn of listeners) fn();
}

export function subscribeSession(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
