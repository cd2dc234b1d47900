// docs/protocol.md "Versions of the protocol": server message types a client does not know are
// ignored, which is what makes challengeSent and challengeGone v1 additions. This checks the
// real client against a real WebSocket server.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type TestServer, startServer } from '../../test/protocolServer';
import { type SocketLike, RealtimeClient } from './client';
import type { Envelope } from './protocol';

let server: TestServer;
let client: RealtimeClient | null = null;

beforeEach(async () => {
  server = await startServer();
});

afterEach(async () => {
  client?.close();
  client = null;
  await server.close();
});

it('passes an unknown server message type through without failing', async () => {
  client = new RealtimeClient({
    url: server.url,
    token: 'tok-1',
    socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
    firstAckId: 1,
  });
  const got: Envelope[] = [];
  client.on('message', (e) => got.push(e));
  client.connect();
  const conn = await server.conn(0);
  await conn.next((f) => f.t === 'ping', 0);
  conn.send({ t: 'challengeGone', d: { id: 'c_abcd1234', reason: 'declined' } });
  conn.send({ t: 'someFutureType', d: { anything: [1, 2] } });
  // The connection still works afterwards: a message is sent and acknowledged.
  const done = client.send('seek', { tc: '3+2', rated: false });
  await conn.next((f) => f.t === 'seek');
  conn.send({ t: 'ack', d: 1 });
  await expect(done).resolves.toEqual({ ok: true });
  expect(got.map((e) => e.t)).toEqual(['challengeGone', 'someFutureType']);
  expect(client.status).toBe('open');
});
