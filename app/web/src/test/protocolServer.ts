// In-test WebSocket server that speaks the wire format of protocol.md. Each test scripts what
// the server answers; by default it answers nothing, so a test sees exactly the client's frames.
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface Frame {
  t: string;
  d?: unknown;
  a?: number;
}

export interface Conn {
  ws: WebSocket;
  url: URL;
  frames: Frame[];
  send(msg: object): void;
  /** Resolves with the first frame (already received or future) after `from` that matches. */
  next(pred: (f: Frame) => boolean, from?: number): Promise<Frame>;
  /** Drops the TCP connection without a close handshake (a network failure). */
  kill(): void;
}

export interface TestServer {
  url: string;
  conns: Conn[];
  /** Resolves when the n-th connection (0-based) has been accepted. */
  conn(n: number): Promise<Conn>;
  /** Called for every frame on every connection, before waiters; may reply through conn. */
  onFrame: ((conn: Conn, f: Frame) => void) | null;
  /** When set, upgrades are refused with this HTTP status (401: an expired token). */
  refuseWith: number | null;
  /** Upgrades refused so far. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startServer(path = '/ws'): Promise<TestServer> {
  // Refusal settings live outside `server` so the upgrade check can read them before it exists.
  const refusal = { status: null as number | null, count: 0 };
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, cb) => {
      if (refusal.status === null) return cb(true);
      refusal.count++;
      cb(false, refusal.status);
    },
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const conns: Conn[] = [];
  const connWaiters: Array<{ n: number; resolve: (c: Conn) => void }> = [];

  const server: TestServer = {
    url: `ws://127.0.0.1:${port}${path}`,
    conns,
    onFrame: null,
    get refuseWith() {
      return refusal.status;
    },
    set refuseWith(v: number | null) {
      refusal.status = v;
    },
    get refused() {
      return refusal.count;
    },
    conn(n) {
      if (conns[n]) return Promise.resolve(conns[n]);
      return new Promise((resolve) => connWaiters.push({ n, resolve }));
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  wss.on('connection', (ws, req) => {
    const waiters: Array<{ pred: (f: Frame) => boolean; from: number; resolve: (f: Frame) => void }> = [];
    const conn: Conn = {
      ws,
      url: new URL(req.url ?? '/', `http://127.0.0.1:${port}`),
      frames: [],
      send(msg) {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
      },
      next(pred, from = 0) {
        const found = conn.frames.slice(from).find(pred);
        if (found) return Promise.resolve(found);
        return new Promise((resolve) => waiters.push({ pred, from, resolve }));
      },
      kill() {
        ws.terminate();
      },
    };
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Frame;
      conn.frames.push(f);
      server.onFrame?.(conn, f);
      const idx = conn.frames.length - 1;
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if (idx >= w.from && w.pred(f)) {
          waiters.splice(i, 1);
          w.resolve(f);
        }
      }
    });
    conns.push(conn);
    const n = conns.length - 1;
    for (let i = connWaiters.length - 1; i >= 0; i--) {
      if (connWaiters[i]!.n === n) {
        connWaiters[i]!.resolve(conn);
        connWaiters.splice(i, 1);
      }
    }
  });
  return server;
}
