import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type Conn, type Frame, type TestServer, startServer } from '../../test/protocolServer';
import {
  type ClientOptions,
  type SocketLike,
  RealtimeClient,
  buildSocketUrl,
  defaultFirstAckId,
} from './client';
import type { Envelope } from './protocol';

const nodeSocket = (url: string) => new WebSocket(url) as unknown as SocketLike;

let server: TestServer;
let client: RealtimeClient | null = null;
let barrierSeq = 0;

function makeClient(extra: Partial<ClientOptions> = {}): RealtimeClient {
  client = new RealtimeClient({
    url: server.url,
    token: 'tok-1',
    socketFactory: nodeSocket,
    firstAckId: 1,
    random: () => 0, // deterministic backoff: half the base delay
    ...extra,
  });
  return client;
}

/** Everything the client sent before this call has reached the server (TCP keeps order). */
async function barrier(c: RealtimeClient, conn: Conn): Promise<void> {
  const g = `__barrier${barrierSeq++}`;
  c.watch(g);
  c.unwatch(g);
  await conn.next((f) => f.t === 'unwatch' && (f.d as { game: string }).game === g);
}

function collect(c: RealtimeClient): Envelope[] {
  const got: Envelope[] = [];
  c.on('message', (e) => got.push(e));
  return got;
}

function nextMessage(c: RealtimeClient, pred: (e: Envelope) => boolean): Promise<Envelope> {
  return new Promise((resolve) => {
    const off = c.on('message', (e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** Waits for the client to be open; the first frame it sends on open is a ping. */
async function connected(c: RealtimeClient, n: number): Promise<Conn> {
  const conn = await server.conn(n);
  await conn.next((f) => f.t === 'ping', 0);
  expect(c.status).toBe('open');
  return conn;
}

const moveEvent = (game: string, v: number, ply: number, u = 'e2e4') => ({
  t: 'move',
  v,
  d: { game, u, san: u, fen: 'x', ply, clock: { w: 60000, b: 60000 }, check: false },
});

const frames = (conn: Conn, t: string): Frame[] => conn.frames.filter((f) => f.t === t);

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

describe('buildSocketUrl', () => {
  it('adds the token to the direct /ws URL', () => {
    expect(buildSocketUrl('ws://127.0.0.1:8080/ws', 'a.b+c')).toBe('ws://127.0.0.1:8080/ws?token=a.b%2Bc');
  });
  it('adds the token to an API Gateway stage URL and keeps its query', () => {
    expect(buildSocketUrl('wss://abc123.execute-api.eu-west-1.amazonaws.com/prod?x=1', 't')).toBe(
      'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod?x=1&token=t',
    );
  });
  it('replaces a stale token and maps http(s) to ws(s)', () => {
    expect(buildSocketUrl('https://h/ws?token=old', 'new')).toBe('wss://h/ws?token=new');
  });
  it('rejects other schemes', () => {
    expect(() => buildSocketUrl('ftp://h/ws', 't')).toThrow(/ws:\/\/ or wss:\/\//);
  });
});

describe('defaultFirstAckId', () => {
  it('is a positive 32-bit integer that moves with the clock', () => {
    const a = defaultFirstAckId(1_760_000_000_123);
    expect(a).toBeGreaterThanOrEqual(1);
    expect(a).toBeLessThan(2 ** 31);
    expect(defaultFirstAckId(1_760_000_000_124)).toBe(a + 1);
  });
});

describe('RealtimeClient', () => {
  it('connects with the token in the query and pings first', async () => {
    const c = makeClient();
    c.connect();
    const conn = await connected(c, 0);
    expect(conn.url.pathname).toBe('/ws');
    expect(conn.url.searchParams.get('token')).toBe('tok-1');
    expect(conn.frames[0]).toEqual({ t: 'ping' });
  });

  it('works against an API Gateway style stage URL with the same messages', async () => {
    await server.close();
    server = await startServer('/prod');
    const c = makeClient({ url: `${server.url}?stage=1` });
    c.connect();
    const conn = await connected(c, 0);
    expect(conn.url.pathname).toBe('/prod');
    expect(conn.url.searchParams.get('stage')).toBe('1');
    expect(conn.url.searchParams.get('token')).toBe('tok-1');
    const done = c.send('seek', { tc: '3+2', rated: false });
    const seek = await conn.next((f) => f.t === 'seek');
    expect(seek).toEqual({ t: 'seek', d: { tc: '3+2', rated: false }, a: 1 });
    conn.send({ t: 'ack', d: 1 });
    await expect(done).resolves.toEqual({ ok: true });
  });

  it('pings 2.5 s after each pong and measures lag as half the round trip', async () => {
    const c = makeClient();
    const lags: number[] = [];
    c.on('lag', (l) => lags.push(l));
    c.connect();
    const conn = await connected(c, 0);
    await vi.advanceTimersByTimeAsync(200); // 200 ms round trip
    conn.send({ t: 'pong' });
    await new Promise<void>((r) => c.on('lag', () => r()));
    expect(lags).toEqual([100]);
    expect(c.lagMs).toBe(100);

    await vi.advanceTimersByTimeAsync(2499);
    await barrier(c, conn);
    expect(frames(conn, 'ping')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await conn.next((f) => f.t === 'ping', conn.frames.indexOf(frames(conn, 'ping')[0]!) + 1);
    expect(frames(conn, 'ping')).toHaveLength(2);
  });

  it('sends move with ply and l = half the measured ping round trip, and resolves on ack', async () => {
    const c = makeClient();
    c.connect();
    const conn = await connected(c, 0);
    await vi.advanceTimersByTimeAsync(80);
    conn.send({ t: 'pong' });
    await new Promise<void>((r) => c.on('lag', () => r()));
    const done = c.move('g1', 'e2e4', 1);
    const mv = await conn.next((f) => f.t === 'move');
    expect(mv).toEqual({ t: 'move', d: { game: 'g1', u: 'e2e4', ply: 1, l: 40 }, a: 1 });
    expect(c.unacked).toBe(1);
    conn.send({ t: 'ack', d: 1 });
    await expect(done).resolves.toEqual({ ok: true });
    expect(c.unacked).toBe(0);
  });

  it('resends an unacked message every 2.5 s with the same ack id, and stops after the ack', async () => {
    const c = makeClient();
    c.connect();
    const conn = await connected(c, 0);
    const done = c.move('g1', 'e2e4', 1);
    await conn.next((f) => f.t === 'move');

    await vi.advanceTimersByTimeAsync(2499);
    await barrier(c, conn);
    expect(frames(conn, 'move')).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1);
    await barrier(c, conn);
    expect(frames(conn, 'move')).toHaveLength(2);
    expect(frames(conn, 'move')[1]).toEqual(frames(conn, 'move')[0]);

    await vi.advanceTimersByTimeAsync(2500);
    await barrier(c, conn);
    expect(frames(conn, 'move')).toHaveLength(3);

    conn.send({ t: 'ack', d: 1 });
    await expect(done).resolves.toEqual({ ok: true });
    // Keep the connection alive (answer pings) and let 10 s pass: no more retransmissions.
    server.onFrame = (cn, f) => {
      if (f.t === 'ping') cn.send({ t: 'pong' });
    };
    conn.send({ t: 'pong' });
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(500);
      await barrier(c, conn);
    }
    expect(c.status).toBe('open');
    expect(server.conns).toHaveLength(1);
    expect(frames(conn, 'move')).toHaveLength(3);
  });

  it('ignores a duplicate ack (the server acks each retransmission)', async () => {
    const c = makeClient();
    c.connect();
    const conn = await connected(c, 0);
    const first = c.send('resign', { game: 'g1' });
    await conn.next((f) => f.t === 'resign');
    const second = c.send('drawOffer', { game: 'g1' });
    await conn.next((f) => f.t === 'drawOffer');
    conn.send({ t: 'ack', d: 1 });
    conn.send({ t: 'ack', d: 1 });
    await expect(first).resolves.toEqual({ ok: true });
    await barrier(c, conn);
    // The duplicate did not settle the other pending message.
    expect(c.unacked).toBe(1);
    conn.send({ t: 'ack', d: 2 });
    await expect(second).resolves.toEqual({ ok: true });
    expect(c.unacked).toBe(0);
  });

  it('settles a rejected message with the error, but keeps retrying after `unavailable`', async () => {
    const c = makeClient();
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    c.connect();
    const conn = await connected(c, 0);
    const bad = c.move('g1', 'e2e5', 1);
    await conn.next((f) => f.t === 'move' && f.a === 1);
    conn.send({ t: 'error', d: { code: 'illegal_move', msg: 'illegal', ref: 1 } });
    await expect(bad).resolves.toEqual({
      ok: false,
      error: { code: 'illegal_move', msg: 'illegal', ref: 1 },
    });

    const retry = c.move('g1', 'e2e4', 1);
    await conn.next((f) => f.t === 'move' && f.a === 2);
    conn.send({ t: 'error', d: { code: 'unavailable', msg: 'redis down', ref: 2 } });
    await barrier(c, conn);
    expect(c.unacked).toBe(1);
    await vi.advanceTimersByTimeAsync(2500);
    await barrier(c, conn);
    expect(frames(conn, 'move').filter((f) => f.a === 2)).toHaveLength(2);
    conn.send({ t: 'ack', d: 2 });
    await expect(retry).resolves.toEqual({ ok: true });
    expect(errors).toEqual(['illegal_move', 'unavailable']);
  });

  it('queues messages while disconnected and sends them on connect', async () => {
    const c = makeClient();
    const done = c.send('seek', { tc: '1+0', rated: true });
    c.connect();
    const conn = await server.conn(0);
    const seek = await conn.next((f) => f.t === 'seek');
    expect(seek.a).toBe(1);
    conn.send({ t: 'ack', d: 1 });
    await expect(done).resolves.toEqual({ ok: true });
  });

  it('delivers versioned events once and in order, dropping v <= last', async () => {
    const c = makeClient();
    const got = collect(c);
    c.connect();
    const conn = await connected(c, 0);
    c.watch('g1');
    await conn.next((f) => f.t === 'watch');
    conn.send(moveEvent('g1', 1, 1));
    conn.send(moveEvent('g1', 1, 1)); // duplicate
    conn.send(moveEvent('g1', 2, 2, 'e7e5'));
    await nextMessage(c, (e) => e.v === 2);
    conn.send({ t: 'drawOffered', v: 2, d: { game: 'g1', by: 'white' } }); // stale
    conn.send({ t: 'opponentGone', d: { game: 'g1' } });
    await nextMessage(c, (e) => e.t === 'opponentGone');
    expect(got.map((e) => [e.t, e.v])).toEqual([
      ['move', 1],
      ['move', 2],
      ['opponentGone', undefined],
    ]);
    expect(c.versionOf('g1')).toBe(2);
  });

  it('reconnects after the server drops, re-watches with the last v and resends unacked messages', async () => {
    const c = makeClient();
    const statuses: string[] = [];
    c.on('status', (s) => statuses.push(s));
    c.connect();
    const conn0 = await connected(c, 0);
    c.watch('g1');
    await conn0.next((f) => f.t === 'watch');
    conn0.send(moveEvent('g1', 1, 1));
    conn0.send(moveEvent('g1', 2, 2, 'e7e5'));
    await nextMessage(c, (e) => e.v === 2);
    const mv = c.move('g1', 'g1f3', 3);
    await conn0.next((f) => f.t === 'move');

    conn0.kill();
    await new Promise<void>((r) => {
      const off = c.on('status', (s) => {
        if (s === 'reconnecting') {
          off();
          r();
        }
      });
    });
    await vi.advanceTimersByTimeAsync(250); // backoff: 500 ms base, jitter 0 => 250 ms
    const conn1 = await server.conn(1);
    const watch = await conn1.next((f) => f.t === 'watch');
    expect(watch).toEqual({ t: 'watch', d: { game: 'g1', v: 2 } });
    const resent = await conn1.next((f) => f.t === 'move');
    expect(resent).toEqual({ t: 'move', d: { game: 'g1', u: 'g1f3', ply: 3, l: 0 }, a: 1 });
    // Order on the new socket: watch before the retransmission.
    expect(conn1.frames.findIndex((f) => f.t === 'watch')).toBeLessThan(
      conn1.frames.findIndex((f) => f.t === 'move'),
    );
    conn1.send({ t: 'ack', d: 1 });
    await expect(mv).resolves.toEqual({ ok: true });
    expect(statuses).toEqual(['open', 'reconnecting', 'open']);
  });

  it('backs off exponentially (capped) while the server is unreachable', async () => {
    // A socket that fails right away, like a refused TCP connection, without real I/O.
    const opened: number[] = [];
    const failingSocket = (): SocketLike => {
      opened.push(Date.now());
      const s: SocketLike = {
        readyState: 3,
        send: () => {},
        close: () => {},
        onopen: null,
        onmessage: null,
        onclose: null,
        onerror: null,
      };
      queueMicrotask(() => {
        s.onerror?.({});
        s.onclose?.({});
      });
      return s;
    };
    const c = makeClient({ socketFactory: failingSocket, random: () => 1 });
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(opened).toHaveLength(1);
    // random=1 => the full base delay: 500, 1000, 2000, 4000, 8000, then capped at 10 s.
    for (const delay of [500, 1000, 2000, 4000, 8000, 10_000, 10_000]) {
      const before = opened.length;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(opened).toHaveLength(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(opened).toHaveLength(before + 1);
    }
    expect(c.status).toBe('reconnecting');
  });

  it('reconnects when no pong arrives within 9 s', async () => {
    const c = makeClient();
    c.connect();
    const conn0 = await connected(c, 0);
    await vi.advanceTimersByTimeAsync(8999);
    await barrier(c, conn0);
    expect(server.conns).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(250);
    const conn1 = await connected(c, 1);
    expect(conn1).not.toBe(conn0);
  });

  it('on a version gap, withholds the event and re-watches from the last v; the replay fills in', async () => {
    const c = makeClient();
    const got = collect(c);
    c.connect();
    const conn = await connected(c, 0);
    c.watch('g1');
    await conn.next((f) => f.t === 'watch');
    conn.send(moveEvent('g1', 1, 1));
    await nextMessage(c, (e) => e.v === 1);
    const watchesBefore = frames(conn, 'watch').length;
    conn.send(moveEvent('g1', 3, 3, 'g1f3')); // v=2 was lost
    const rewatch = await conn.next((f) => f.t === 'watch', conn.frames.length);
    expect(rewatch).toEqual({ t: 'watch', d: { game: 'g1', v: 1 } });
    expect(frames(conn, 'watch')).toHaveLength(watchesBefore + 1);
    // The server replays everything after v=1.
    conn.send(moveEvent('g1', 2, 2, 'e7e5'));
    conn.send(moveEvent('g1', 3, 3, 'g1f3'));
    await nextMessage(c, (e) => e.v === 3);
    expect(got.filter((e) => e.t === 'move').map((e) => e.v)).toEqual([1, 2, 3]);
  });

  it('accepts a full state as the answer to a resync and continues from its v', async () => {
    const c = makeClient();
    const got = collect(c);
    c.connect();
    const conn = await connected(c, 0);
    c.watch('g1', 4);
    const w = await conn.next((f) => f.t === 'watch');
    expect(w).toEqual({ t: 'watch', d: { game: 'g1', v: 4 } });
    conn.send({ t: 'state', d: { game: 'g1', v: 9, moves: [] } });
    await nextMessage(c, (e) => e.t === 'state');
    expect(c.versionOf('g1')).toBe(9);
    conn.send({ t: 'state', d: { game: 'g1', v: 8, moves: [] } }); // stale
    conn.send(moveEvent('g1', 10, 10));
    await nextMessage(c, (e) => e.v === 10);
    expect(got.map((e) => [e.t, versionOf(e)])).toEqual([
      ['state', 9],
      ['move', 10],
    ]);
  });

  it('falls back to loading the state over HTTP when the re-watch does not close the gap', async () => {
    const loads: string[] = [];
    const c = makeClient({
      loadState: async (game) => {
        loads.push(game);
        return { game, v: 7, moves: ['e2e4'] };
      },
    });
    const got = collect(c);
    c.connect();
    const conn = await connected(c, 0);
    c.watch('g1');
    await conn.next((f) => f.t === 'watch');
    conn.send(moveEvent('g1', 1, 1));
    conn.send(moveEvent('g1', 5, 5)); // gap; the server will not replay
    await conn.next((f) => f.t === 'watch' && (f.d as { v: number }).v === 1);
    conn.send({ t: 'pong' });
    const state = nextMessage(c, (e) => e.t === 'state');
    await vi.advanceTimersByTimeAsync(4999);
    expect(loads).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await state;
    expect(loads).toEqual(['g1']);
    expect(c.versionOf('g1')).toBe(7);
    // It re-watches from the loaded version so nothing after it is lost.
    await conn.next((f) => f.t === 'watch' && (f.d as { v: number }).v === 7);
    conn.send(moveEvent('g1', 8, 8));
    await nextMessage(c, (e) => e.v === 8);
    expect(got.map((e) => [e.t, versionOf(e)])).toEqual([
      ['move', 1],
      ['state', 7],
      ['move', 8],
    ]);
  });

  it('watch with reset moves the known version back to a freshly loaded state', async () => {
    const c = makeClient();
    const got = collect(c);
    c.connect();
    const conn = await connected(c, 0);
    c.watch('g1');
    conn.send(moveEvent('g1', 1, 1));
    conn.send(moveEvent('g1', 2, 2, 'e7e5'));
    await nextMessage(c, (e) => e.v === 2);
    c.watch('g1', 0); // no reset: keeps v=2
    await conn.next((f) => f.t === 'watch' && (f.d as { v: number }).v === 2);
    c.watch('g1', 1, true);
    await conn.next((f) => f.t === 'watch' && (f.d as { v: number }).v === 1);
    expect(c.versionOf('g1')).toBe(1);
    conn.send(moveEvent('g1', 2, 2, 'e7e5')); // replayed after v=1: delivered again
    await nextMessage(c, (e) => e.v === 2);
    expect(got.map((e) => e.v)).toEqual([1, 2, 2]);
  });

  it('tracks a game from gameStart and subscribes to it', async () => {
    const c = makeClient();
    c.connect();
    const conn = await connected(c, 0);
    conn.send({ t: 'gameStart', d: { game: 'g9', v: 1, moves: [] } });
    const w = await conn.next((f) => f.t === 'watch');
    expect(w).toEqual({ t: 'watch', d: { game: 'g9', v: 1 } });
    expect(c.versionOf('g9')).toBe(1);
  });

  describe('when connecting keeps failing', () => {
    /** Advances fake time until the server has refused `n` upgrades in all. */
    async function untilRefused(n: number): Promise<void> {
      for (let i = 0; i < 400 && server.refused < n; i++) await vi.advanceTimersByTimeAsync(50);
      expect(server.refused).toBe(n);
    }

    it('checks the session after 3 refused upgrades and ends as `expired` when the token is refused', async () => {
      server.refuseWith = 401;
      let checks = 0;
      const c = makeClient({
        checkSession: async () => {
          checks++;
          return 'invalid';
        },
      });
      const statuses: string[] = [];
      c.on('status', (s) => statuses.push(s));
      const pending = c.send('seek', { tc: '3+2', rated: false });
      c.connect();
      await untilRefused(2);
      expect(checks).toBe(0);
      await untilRefused(3);
      await vi.waitFor(() => expect(c.status).toBe('expired'));
      expect(checks).toBe(1);
      await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      await expect(c.send('seek', { tc: '3+2' })).resolves.toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      // No more attempts, no more checks: the user has to log in again.
      await vi.advanceTimersByTimeAsync(60_000);
      expect(server.refused).toBe(3);
      expect(checks).toBe(1);
      expect(statuses.at(-1)).toBe('expired');
      expect(statuses).not.toContain('open');
    });

    it('keeps reconnecting when the session is valid or the check fails, and asks again after 3 more failures', async () => {
      server.refuseWith = 503; // e.g. a proxy in front of a restarting backend
      const answers: Array<() => Promise<'valid' | 'unknown'>> = [
        async () => 'valid',
        () => Promise.reject(new Error('network down')),
        async () => 'unknown',
      ];
      let checks = 0;
      const c = makeClient({ checkSession: () => answers[checks++]!() });
      c.connect();
      await untilRefused(3);
      await vi.waitFor(() => expect(checks).toBe(1));
      await untilRefused(5);
      expect(checks).toBe(1);
      await untilRefused(6);
      await vi.waitFor(() => expect(checks).toBe(2));
      await untilRefused(9);
      await vi.waitFor(() => expect(checks).toBe(3));
      expect(c.status).toBe('reconnecting');

      // The backend is back: the same client connects and works.
      server.refuseWith = null;
      await vi.advanceTimersByTimeAsync(10_000);
      const conn = await connected(c, 0);
      const done = c.send('seek', { tc: '3+2', rated: false });
      const seek = await conn.next((f) => f.t === 'seek');
      conn.send({ t: 'ack', d: seek.a });
      await expect(done).resolves.toEqual({ ok: true });
    });

    it('counts only failures in a row: a connection that opened starts the count again', async () => {
      let checks = 0;
      const c = makeClient({
        checkSession: async () => {
          checks++;
          return 'invalid';
        },
      });
      server.refuseWith = 401;
      c.connect();
      await untilRefused(2);
      server.refuseWith = null;
      await vi.advanceTimersByTimeAsync(2_000);
      const conn0 = await connected(c, 0);
      server.refuseWith = 401;
      conn0.kill();
      await untilRefused(4);
      expect(checks).toBe(0);
      expect(c.status).toBe('reconnecting');
      await untilRefused(5);
      await vi.waitFor(() => expect(c.status).toBe('expired'));
      expect(checks).toBe(1);
    });

    it('ignores an `invalid` answer that arrives after a connection opened', async () => {
      let answer!: (r: 'invalid') => void;
      const c = makeClient({ checkSession: () => new Promise((r) => (answer = r)) });
      server.refuseWith = 401;
      c.connect();
      await untilRefused(3);
      server.refuseWith = null;
      await vi.advanceTimersByTimeAsync(2_000);
      await connected(c, 0);
      answer('invalid');
      await vi.advanceTimersByTimeAsync(0);
      expect(c.status).toBe('open');
    });
  });

  it('close() stops reconnecting and settles pending sends', async () => {
    const c = makeClient();
    c.connect();
    const conn = await connected(c, 0);
    const p = c.send('resign', { game: 'g1' });
    await conn.next((f) => f.t === 'resign');
    c.close();
    await expect(p).resolves.toMatchObject({ ok: false, error: { code: 'closed' } });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.conns).toHaveLength(1);
    expect(c.status).toBe('closed');
  });
});

function versionOf(e: Envelope): number | undefined {
  return e.v ?? (e.d as { v?: number } | undefined)?.v;
}
