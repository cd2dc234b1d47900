import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GET as gamesGET } from '@/app/api/games/[...path]/route';
import { POST as sessionsPOST } from '@/app/api/sessions/route';
import { forwardToBackend } from './backend';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let backend: http.Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url === '/api/sessions' && req.method === 'POST') {
        if (!body.includes('"guest":true')) {
          res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' });
          res.end('{"error":"bad credentials"}');
          return;
        }
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end('{"token":"t1","player":{"name":"guest_1"},"expiresAt":"2030-01-01T00:00:00Z"}');
        return;
      }
      if (req.url === '/api/games/g1/pgn') {
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Disposition': 'attachment; filename="g1.pgn"',
        });
        res.end('[Event "Casual"]\n\n1. e4 e5 *\n');
        return;
      }
      if (req.url?.startsWith('/api/games/missing')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"error":"not_found"}');
        return;
      }
      if (req.url === '/api/games/slow') {
        setTimeout(() => res.end('{}'), 2_000);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': 'x=1' });
      res.end(JSON.stringify({ echo: req.url, auth: req.headers.authorization ?? null }));
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});

afterAll(async () => {
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
});

const saved = process.env.BACKEND_URL;
afterEach(() => {
  seen.length = 0;
  if (saved === undefined) delete process.env.BACKEND_URL;
  else process.env.BACKEND_URL = saved;
});

describe('forwardToBackend', () => {
  it('keeps path, query, Authorization, status and JSON body', async () => {
    const res = await forwardToBackend(
      new Request('http://web.local/api/players/alice/games?limit=20&before=g_9', {
        headers: { Authorization: 'Bearer abc', Cookie: 'secret=1' },
      }),
      { backend: base },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ echo: '/api/players/alice/games?limit=20&before=g_9', auth: 'Bearer abc' });
    expect(seen[0]!.headers.cookie).toBeUndefined();
    expect(seen[0]!.headers['x-forwarded-host']).toBe('web.local');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('forwards a POST body and passes error statuses and WWW-Authenticate back', async () => {
    const res = await forwardToBackend(
      new Request('http://web.local/api/sessions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'wrongwrongwrong' }),
      }),
      { backend: base },
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'bad credentials' });
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ username: 'alice', password: 'wrongwrongwrong' });
  });

  it('keeps a text/plain PGN with its Content-Disposition', async () => {
    const res = await forwardToBackend(new Request('http://web.local/api/games/g1/pgn'), { backend: base });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="g1.pgn"');
    expect(await res.text()).toBe('[Event "Casual"]\n\n1. e4 e5 *\n');
  });

  it('answers 502 with JSON when the backend is down', async () => {
    const res = await forwardToBackend(new Request('http://web.local/api/leaderboard'), {
      backend: 'http://127.0.0.1:1',
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'backend unreachable' });
  });

  it('answers 504 when the backend does not answer in time', async () => {
    const res = await forwardToBackend(new Request('http://web.local/api/games/slow'), {
      backend: base,
      timeoutMs: 200,
    });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: 'backend timeout' });
  });

  it('refuses bodies over 64 KiB without calling the backend', async () => {
    const res = await forwardToBackend(
      new Request('http://web.local/api/accounts', { method: 'POST', body: 'x'.repeat(70_000) }),
      { backend: base },
    );
    expect(res.status).toBe(413);
    expect(seen).toHaveLength(0);
  });
});

describe('route handlers read BACKEND_URL at request time', () => {
  it('uses the value set after the module was loaded', async () => {
    process.env.BACKEND_URL = base;
    const res = await sessionsPOST(
      new Request('http://web.local/api/sessions', { method: 'POST', body: '{"guest":true}' }),
    );
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ token: 't1', player: { name: 'guest_1' } });

    const missing = await gamesGET(new Request('http://web.local/api/games/missing'));
    expect(missing.status).toBe(404);

    process.env.BACKEND_URL = 'http://127.0.0.1:1';
    expect((await gamesGET(new Request('http://web.local/api/games/g1'))).status).toBe(502);
  });
});
