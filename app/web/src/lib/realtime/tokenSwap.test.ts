// RealtimeClient.setToken: a renewed session token replaces the connection without a gap.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type Conn, type TestServer, startServer } from '../../test/protocolServer';
import { type SocketLike, RealtimeClient } from './client';
import type { Envelope } from './protocol';

let server: TestServer;
let client: RealtimeClient | null = null;

function makeClient(): RealtimeClient {
  client = new RealtimeClient({
    url: server.url,
    token: 'tok-1',
    socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
    firstAckId: 1,
    random: () => 0,
  });
  return client;
}

async function connected(c: RealtimeClient, n: number): Promise<Conn> {
  const conn = await server.conn(n);
  await conn.next((f) => f.t === 'ping', 0);
  expect(c.status).toBe('open');
  return conn;
}

const closed = (conn: Conn): Promise<void> =>
  conn.ws.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise((r) => conn.ws.once('close', () => r()));

const moveEvent = (game: string, v: number, ply: number) => ({
  t: 'move',
  v,
  d: { game, u: 'e2e4', san: 'e4', fen: 'x', ply, clock: { w: 60000, b: 60000 }, check: false },
});

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  server = await startServer();
});

afterEach(async () => {
  client?.close();
  client = null;
  vi.useRealTimers();
  await server.close();
});

describe('RealtimeClient.setToken', () => {
  it('opens a socket with the new token, moves watches and unacked sends to it, then closes the old one', async () => {
    const c = makeClient();
    const statuses: string[] = [];
    c.on('status', (s) => statuses.push(s));
    const got: Envelope[] = [];
    c.on('message', (e) => got.push(e));
    c.connect();
    const conn0 = await connected(c, 0);
    c.watch('g1');
    await conn0.next((f) => f.t === 'watch');
    conn0.send(moveEvent('g1', 1, 1));
    await vi.waitFor(() => expect(c.versionOf('g1')).toBe(1));
    const mv = c.move('g1', 'e7e5', 2);
    await conn0.next((f) => f.t === 'move');

    c.setToken('tok-2');
    const conn1 = await server.conn(1);
    // Make before break: the old connection is still up when the new one arrives, so the
    // server never sees the player without a connection (no opponentGone).
    expect(conn0.ws.readyState).toBe(WebSocket.OPEN);
    expect(conn1.url.searchParams.get('token')).toBe('tok-2');
    expect(await conn1.next((f) => f.t === 'watch')).toEqual({ t: 'watch', d: { game: 'g1', v: 1 } });
    expect(await conn1.next((f) => f.t === 'move')).toEqual({ t: 'move', d: { game: 'g1', u: 'e7e5', ply: 2, l: 0 }, a: 1 });
    await closed(conn0);

    conn1.send({ t: 'ack', d: 1 });
    await expect(mv).resolves.toEqual({ ok: true });
    conn1.send(moveEvent('g1', 2, 2));
    await vi.waitFor(() => expect(c.versionOf('g1')).toBe(2));
    expect(got.map((e) => e.v)).toEqual([1, 2]);
    expect(statuses).toEqual(['open']); // never "reconnecting"
    expect(server.conns).toHaveLength(2);
  });

  it('uses the new token on the next connect when it arrives while disconnected', async () => {
    const c = makeClient();
    c.connect();
    const conn0 = await connected(c, 0);
    conn0.kill();
    await vi.waitFor(() => expect(c.status).toBe('reconnecting'));
    c.setToken('tok-2');
    await vi.advanceTimersByTimeAsync(250); // backoff: 500 ms base, jitter 0
    const conn1 = await connected(c, 1);
    expect(conn1.url.searchParams.get('token')).toBe('tok-2');
    expect(server.conns).toHaveLength(2);
  });

  it('keeps the old connection when the new socket is refused, and reconnects later with the new token', async () => {
    server.onFrame = (conn, f) => {
      if (f.t === 'ping') conn.send({ t: 'pong' }); // a healthy connection stays up
    };
    const c = makeClient();
    c.connect();
    const conn0 = await connected(c, 0);
    server.refuseWith = 503;
    c.setToken('tok-2');
    await vi.waitFor(() => expect(server.refused).toBe(1));
    await vi.advanceTimersByTimeAsync(10_000); // past the connect timeout: nothing else happens
    expect(c.status).toBe('open');
    expect(conn0.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.conns).toHaveLength(1);

    server.refuseWith = null;
    conn0.kill();
    await vi.waitFor(() => expect(c.status).toBe('reconnecting'));
    await vi.advanceTimersByTimeAsync(250);
    const conn1 = await connected(c, 1);
    expect(conn1.url.searchParams.get('token')).toBe('tok-2');
  });
});
