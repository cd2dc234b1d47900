import { describe, expect, it } from 'vitest';
import { errorFrom, parseSessionResponse } from './api';

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
