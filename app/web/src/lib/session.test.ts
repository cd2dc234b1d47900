// lib/session.ts: one session per browser (localStorage), every tab told of changes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session } from './session';

class MemStorage {
  private m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, String(v));
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  clear() {
    this.m.clear();
  }
}

interface FakeWindow extends EventTarget {
  localStorage: MemStorage;
  sessionStorage: MemStorage;
}

let win: FakeWindow;

/** A fresh copy of the module: what one more tab (or a reload) starts with. */
const tab = async () => {
  vi.resetModules();
  return import('./session');
};

/** What the browser does in every *other* tab when one tab writes localStorage. */
const storageEvent = (key: string | null) => win.dispatchEvent(Object.assign(new Event('storage'), { key }));

const future = (ms: number) => new Date(Date.now() + ms).toISOString();

const alice: Session = { token: 'tok.alice', name: 'alice', guest: false, expiresAt: future(3_600_000), renewAt: future(60_000) };

beforeEach(() => {
  win = Object.assign(new EventTarget(), { localStorage: new MemStorage(), sessionStorage: new MemStorage() });
  vi.stubGlobal('window', win);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('session storage', () => {
  it('keeps the session for the whole browser: another tab and a reload read the same player', async () => {
    const a = await tab();
    a.saveSession(alice);
    expect(win.localStorage.getItem(a.SESSION_KEY)).not.toBeNull();
    expect(win.sessionStorage.getItem(a.SESSION_KEY)).toBeNull(); // not per tab any more
    const b = await tab();
    expect(b.loadSession()).toEqual(alice);
  });

  it('tells a subscriber of a change made in another tab, and of nothing else', async () => {
    const b = await tab();
    const seen = vi.fn();
    const off = b.subscribeSession(seen);
    win.localStorage.setItem(b.SESSION_KEY, JSON.stringify(alice)); // tab A logs in
    storageEvent(b.SESSION_KEY);
    expect(seen).toHaveBeenCalledTimes(1);
    expect(b.loadSession()?.name).toBe('alice');

    storageEvent('some.other.key');
    expect(seen).toHaveBeenCalledTimes(1);

    win.localStorage.clear(); // tab A clears everything: key null
    storageEvent(null);
    expect(seen).toHaveBeenCalledTimes(2);
    expect(b.loadSession()).toBeNull();

    off();
    storageEvent(b.SESSION_KEY);
    expect(seen).toHaveBeenCalledTimes(2);
  });

  it('tells subscribers of this tab on save and clear (the storage event fires only elsewhere)', async () => {
    const a = await tab();
    const seen = vi.fn();
    a.subscribeSession(seen);
    a.saveSession(alice);
    a.clearSession();
    expect(seen).toHaveBeenCalledTimes(2);
    expect(a.loadSession()).toBeNull();
  });

  it('returns the same object while the stored session is unchanged, and null once expired', async () => {
    const a = await tab();
    a.saveSession(alice);
    expect(a.loadSession()).toBe(a.loadSession());
    expect(a.loadSession(Date.parse(alice.expiresAt!) + 1)).toBeNull();
    win.localStorage.setItem(a.SESSION_KEY, '{not json');
    expect(a.loadSession()).toBeNull();
  });

  it('reads a session stored before renewal existed as due for renewal (renewAt null)', async () => {
    const a = await tab();
    const { renewAt: _, ...old } = alice;
    win.localStorage.setItem(a.SESSION_KEY, JSON.stringify(old));
    expect(a.loadSession()).toEqual({ ...old, renewAt: null });
  });

  it('moves a per-tab session of an earlier release into the browser-wide store', async () => {
    win.sessionStorage.setItem('chess.session.v1', JSON.stringify(alice));
    const a = await tab();
    expect(a.loadSession()).toEqual(alice);
    expect(win.sessionStorage.getItem(a.SESSION_KEY)).toBeNull();
    expect(JSON.parse(win.localStorage.getItem(a.SESSION_KEY)!)).toEqual(alice);
  });

  it('keeps the browser-wide session when a tab of an earlier release had another one', async () => {
    const bob = { ...alice, token: 'tok.bob', name: 'bob' };
    win.localStorage.setItem('chess.session.v1', JSON.stringify(alice));
    win.sessionStorage.setItem('chess.session.v1', JSON.stringify(bob));
    const a = await tab();
    expect(a.loadSession()?.name).toBe('alice');
    expect(win.sessionStorage.getItem(a.SESSION_KEY)).toBeNull();
  });

  it('replaceSession changes only the session it expects', async () => {
    const a = await tab();
    a.saveSession(alice);
    const renewed = { ...alice, token: 'tok.alice.2' };
    expect(a.replaceSession('tok.someone.else', renewed)).toBe(false);
    expect(a.loadSession()?.token).toBe('tok.alice');
    expect(a.replaceSession('tok.alice', renewed)).toBe(true);
    expect(a.loadSession()?.token).toBe('tok.alice.2');
    expect(a.replaceSession('tok.alice', null)).toBe(false); // a stale renewal cannot log out
    expect(a.replaceSession('tok.alice.2', null)).toBe(true);
    expect(a.loadSession()).toBeNull();
  });

  it('works without storage (disabled by the user): nobody is signed in', async () => {
    vi.stubGlobal('window', {
      get localStorage(): Storage {
        throw new Error('SecurityError');
      },
      addEventListener() {},
      removeEventListener() {},
    });
    const a = await tab();
    a.saveSession(alice);
    expect(a.loadSession()).toBeNull();
  });
});
