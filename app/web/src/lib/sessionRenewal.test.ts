// lib/sessionRenewal.ts: the token is renewed ahead of expiry, once per token across tabs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session } from './session';
import {
  BUSY_RETRY_MS,
  CHECK_EVERY_MS,
  HOLD_MS,
  LOCK_NAME,
  MIN_RENEW_MS,
  RENEW_AFTER_MS,
  RETRY_MS,
  type RenewalDeps,
  renewDueAt,
  sessionFrom,
  startRenewal,
} from './sessionRenewal';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-06T12:00:00Z');

/** The browser's localStorage, shared by every tab. */
class Store {
  session: Session | null = null;
  replace = (expected: string, next: Session | null): boolean => {
    if (this.session?.token !== expected) return false;
    this.session = next;
    return true;
  };
}

/**
 * A tab's view of the store as Chromium gives it: each renderer process keeps its own copy of
 * localStorage, and another tab's write reaches it only after `lagMs`.
 */
function laggingView(store: Store, lagMs: number): Pick<RenewalDeps, 'load' | 'replace'> {
  let seen = store.session;
  let seenAt = Date.now();
  return {
    load: () => {
      if (Date.now() - seenAt >= lagMs) {
        seen = store.session;
        seenAt = Date.now();
      }
      return seen;
    },
    replace: (expected, next) => {
      const ok = store.replace(expected, next);
      seen = store.session; // a tab sees its own writes at once
      seenAt = Date.now() + lagMs; // ... and other tabs' only later
      return ok;
    },
  };
}

/** A Web Lock taken only if free (navigator.locks.request with ifAvailable). */
function webLock(): NonNullable<RenewalDeps['withLock']> {
  let held = false;
  return async (name, fn) => {
    expect(name).toBe(LOCK_NAME);
    if (held) return false;
    held = true;
    try {
      await fn();
    } finally {
      held = false;
    }
    return true;
  };
}

let serial = 0;
/** What the server answers: a fresh token of the same player, valid 24 h, after `delayMs`. */
function server(delayMs = 200) {
  const calls: string[] = [];
  const renew = vi.fn(async (token: string): Promise<Session | 'invalid'> => {
    calls.push(token);
    await new Promise((r) => setTimeout(r, delayMs));
    return sessionFrom({ token: `tok.${++serial}`, player: { name: 'alice' }, expiresAt: new Date(Date.now() + 24 * HOUR).toISOString() }, Date.now());
  });
  return { calls, renew };
}

function tabDeps(store: Store, renew: RenewalDeps['renew'], extra: Partial<RenewalDeps> = {}): RenewalDeps {
  return {
    load: () => store.session,
    renew,
    replace: store.replace,
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    ...extra,
  };
}

const stops: Array<() => void> = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(T0);
  serial = 0;
});

afterEach(() => {
  while (stops.length) stops.pop()!();
  vi.useRealTimers();
});

const fresh = (token = 'tok.0') =>
  sessionFrom({ token, player: { name: 'alice', guest: true }, expiresAt: new Date(Date.now() + 24 * HOUR).toISOString() }, Date.now());

describe('sessionFrom', () => {
  it('schedules the renewal an hour after a 24 h token arrives', () => {
    const s = fresh();
    expect(s).toMatchObject({ token: 'tok.0', name: 'alice', guest: true });
    expect(renewDueAt(s)).toBe(T0 + RENEW_AFTER_MS);
  });
  it('renews a short-lived token at half its lifetime, but never sooner than 30 s', () => {
    const short = sessionFrom({ token: 't', player: { name: 'a' }, expiresAt: new Date(T0 + 10 * 60_000).toISOString() }, T0);
    expect(renewDueAt(short)).toBe(T0 + 5 * 60_000);
    const tiny = sessionFrom({ token: 't', player: { name: 'a' }, expiresAt: new Date(T0 + 2_000).toISOString() }, T0);
    expect(renewDueAt(tiny)).toBe(T0 + MIN_RENEW_MS);
  });
  it('treats a session without renewAt (an earlier release) as due now', () => {
    expect(renewDueAt({ token: 't', name: 'a', guest: false, expiresAt: null, renewAt: null })).toBe(0);
  });
});

describe('startRenewal', () => {
  it('renews once when due, stores the new token, and waits for the next due time', async () => {
    const store = new Store();
    store.session = fresh();
    const srv = server();
    stops.push(startRenewal(tabDeps(store, srv.renew)));

    await vi.advanceTimersByTimeAsync(RENEW_AFTER_MS - 1000);
    expect(srv.calls).toEqual([]); // not due yet
    await vi.advanceTimersByTimeAsync(CHECK_EVERY_MS + 1000);
    expect(srv.calls).toEqual(['tok.0']);
    expect(store.session?.token).toBe('tok.1');
    expect(store.session?.name).toBe('alice');

    await vi.advanceTimersByTimeAsync(RENEW_AFTER_MS - 2 * CHECK_EVERY_MS);
    expect(srv.calls).toEqual(['tok.0']);
    await vi.advanceTimersByTimeAsync(3 * CHECK_EVERY_MS);
    expect(srv.calls).toEqual(['tok.0', 'tok.1']);
  });

  it('makes one renewal for three tabs at once; the others pick the new token up from storage', async () => {
    const store = new Store();
    store.session = { ...fresh(), renewAt: null }; // due now in every tab
    const srv = server();
    const lock = webLock();
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      stops.push(startRenewal(tabDeps(store, srv.renew, { withLock: lock, onRenewed: (o) => outcomes.push(o) })));
    }
    await vi.advanceTimersByTimeAsync(5_000);
    expect(srv.calls).toEqual(['tok.0']);
    expect(outcomes.sort()).toEqual(['busy', 'busy', 'renewed']);
    expect(store.session?.token).toBe('tok.1');
    await vi.advanceTimersByTimeAsync(BUSY_RETRY_MS + HOLD_MS);
    expect(srv.calls).toEqual(['tok.0']); // the busy tabs looked again and found the new token
  });

  it('makes one renewal even when the other tabs see the new token seconds late', async () => {
    const store = new Store();
    store.session = { ...fresh(), renewAt: null };
    const srv = server(100);
    const lock = webLock();
    // The second tab's copy of the storage lags 3 s behind the first tab's writes, and it
    // wakes just after the first tab stored the new token: it still reads the old one.
    const secondView = laggingView(store, 3000);
    stops.push(startRenewal(tabDeps(store, srv.renew, { withLock: lock, ...laggingView(store, 0) })));
    await vi.advanceTimersByTimeAsync(150); // the first tab has renewed
    expect(srv.calls).toEqual(['tok.0']);
    expect(secondView.load()?.token).toBe('tok.0');
    stops.push(startRenewal(tabDeps(store, srv.renew, { withLock: lock, ...secondView })));
    await vi.advanceTimersByTimeAsync(HOLD_MS + BUSY_RETRY_MS + 5000);
    expect(srv.calls).toEqual(['tok.0']);
    expect(store.session?.token).toBe('tok.1');
  });

  it('clears the session everywhere when the server refuses the token (401)', async () => {
    const store = new Store();
    store.session = { ...fresh(), renewAt: null };
    const renew = vi.fn(async () => 'invalid' as const);
    stops.push(startRenewal(tabDeps(store, renew)));
    await vi.advanceTimersByTimeAsync(10);
    expect(renew).toHaveBeenCalledTimes(1);
    expect(store.session).toBeNull();
  });

  it('keeps the session after a failed attempt and retries a minute later', async () => {
    const store = new Store();
    store.session = { ...fresh(), renewAt: null };
    let fail = true;
    const srv = server(0);
    const renew = vi.fn(async (t: string) => {
      if (fail) throw new TypeError('fetch failed');
      return srv.renew(t);
    });
    stops.push(startRenewal(tabDeps(store, renew)));
    await vi.advanceTimersByTimeAsync(10);
    expect(renew).toHaveBeenCalledTimes(1);
    expect(store.session?.token).toBe('tok.0');
    fail = false;
    await vi.advanceTimersByTimeAsync(RETRY_MS - 1000);
    expect(renew).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(renew).toHaveBeenCalledTimes(2);
    expect(store.session?.token).not.toBe('tok.0');
  });

  it('does not bring a player back who logged out while the renewal was in flight', async () => {
    const store = new Store();
    store.session = { ...fresh(), renewAt: null };
    const srv = server(1000);
    stops.push(startRenewal(tabDeps(store, srv.renew)));
    await vi.advanceTimersByTimeAsync(10);
    expect(srv.calls).toEqual(['tok.0']);
    store.session = null; // "Log out" in some tab
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.session).toBeNull();
  });

  it('looks again at once when woken (a tab becomes visible after the laptop slept)', async () => {
    const store = new Store();
    store.session = fresh();
    const srv = server(0);
    let wake = () => {};
    stops.push(
      startRenewal(
        tabDeps(store, srv.renew, {
          onWake: (fn) => {
            wake = fn;
            return () => {};
          },
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(10);
    // The clock jumps past the due time without any timer firing (the machine was asleep).
    vi.setSystemTime(T0 + 2 * HOUR);
    wake();
    await vi.advanceTimersByTimeAsync(10);
    expect(srv.calls).toEqual(['tok.0']);
  });

  it('stops renewing when stopped', async () => {
    const store = new Store();
    store.session = fresh();
    const srv = server(0);
    const stop = startRenewal(tabDeps(store, srv.renew));
    stop();
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    expect(srv.calls).toEqual([]);
  });
});
