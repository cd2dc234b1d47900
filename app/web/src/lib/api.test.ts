import { describe, expect, it } from 'vitest';
import { errorFrom, parseSessionResponse, renewSessionToken, sessionStatus } from './api';

describe('errorFrom', () => {
  it('reads the backend error shape', async () => {
    const e = await errorFrom(
      Response.json({ error: { code: 'unauthorized', message: 'wrong username or password' } }, { status: 401 }),
    );
    expect(e.status).toBe(401);
    expect(e.code).toBe('unauthorized');
    expect(e.message).toBe('wrong username or password');
  });
  it('reads the web routes’ error shape', async () => {
    const e = await errorFrom(Response.json({ error: 'backend unreachable', detail: 'ECONNREFUSED' }, { status: 502 }));
    expect(e.message).toBe('backend unreachable: ECONNREFUSED');
    expect(e.code).toBe('backend unreachable');
  });
  it('falls back to the status line for non-JSON bodies', async () => {
    const e = await errorFrom(new Response('oops', { status: 500, statusText: 'Internal Server Error' }));
    expect(e.message).toBe('500 Internal Server Error');
  });
});

describe('parseSessionResponse', () => {
  it('accepts the backend session answer', () => {
    const r = parseSessionResponse({
      token: 't',
      player: { id: 'p1', name: 'guest-ab12cd34', guest: true },
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect(r.player.name).toBe('guest-ab12cd34');
  });
  it('rejects anything else', () => {
    expect(() => parseSessionResponse({ player: {} })).toThrow(/unexpected/);
  });
});

describe('sessionStatus', () => {
  const answering = (res: Response | Error) => {
    const seen: Array<{ url: string; auth: string | null }> = [];
    const f = (async (url: string, init?: RequestInit) => {
      seen.push({ url, auth: new Headers(init?.headers).get('authorization') });
      if (res instanceof Error) throw res;
      return res;
    }) as unknown as typeof fetch;
    return { f, seen };
  };

  it('sends the token as a bearer header to /api/session', async () => {
    const { f, seen } = answering(Response.json({ player: { name: 'a' }, expiresAt: '2030-01-01T00:00:00Z' }));
    await expect(sessionStatus('tok.1', f)).resolves.toBe('valid');
    expect(seen).toEqual([{ url: '/api/session', auth: 'Bearer tok.1' }]);
  });
  it('is invalid on 401 only', async () => {
    const body = { error: { code: 'unauthorized', message: 'expired' } };
    await expect(sessionStatus('t', answering(Response.json(body, { status: 401 })).f)).resolves.toBe('invalid');
    await expect(sessionStatus('t', answering(Response.json(body, { status: 403 })).f)).resolves.toBe('unknown');
  });
  it('is unknown when the backend is down or the request fails', async () => {
    const down = Response.json({ error: 'backend unreachable' }, { status: 502 });
    await expect(sessionStatus('t', answering(down).f)).resolves.toBe('unknown');
    await expect(sessionStatus('t', answering(new TypeError('fetch failed')).f)).resolves.toBe('unknown');
  });
});

describe('renewSessionToken', () => {
  const answering = (res: Response | Error) => {
    const seen: Array<{ url: string; method?: string; auth: string | null }> = [];
    const f = (async (url: string, init?: RequestInit) => {
      seen.push({ url, method: init?.method, auth: new Headers(init?.headers).get('authorization') });
      if (res instanceof Error) throw res;
      return res;
    }) as unknown as typeof fetch;
    return { f, seen };
  };

  it('posts the token as a bearer header and returns the new session', async () => {
    const body = { token: 'tok.2', player: { id: 'p1', name: 'alice', guest: false }, expiresAt: '2030-01-02T00:00:00Z' };
    const { f, seen } = answering(Response.json(body));
    await expect(renewSessionToken('tok.1', f)).resolves.toEqual(body);
    expect(seen).toEqual([{ url: '/api/session/renew', method: 'POST', auth: 'Bearer tok.1' }]);
  });
  it('is invalid on 401', async () => {
    const refused = Response.json({ error: { code: 'unauthorized', message: 'expired' } }, { status: 401 });
    await expect(renewSessionToken('t', answering(refused).f)).resolves.toBe('invalid');
  });
  it('throws on anything else, so the caller retries later', async () => {
    const limited = Response.json({ error: { code: 'rate_limited', message: 'too many attempts' } }, { status: 429 });
    await expect(renewSessionToken('t', answering(limited).f)).rejects.toThrow(/too many attempts/);
    await expect(renewSessionToken('t', answering(new TypeError('fetch failed')).f)).rejects.toThrow(/fetch failed/);
    await expect(renewSessionToken('t', answering(Response.json({ nope: 1 })).f)).rejects.toThrow(/unexpected/);
  });
});
