// A player driven over the backend's WebSocket protocol from the test process, without a
// browser: for the many quick rated games a rating needs to stop being provisional, which would
// take minutes through the board. Same frames as app/internal/devtools/wsclient.
import WebSocket from 'ws';
import { platform } from './helpers';

interface Frame {
  t: string;
  d?: unknown;
  a?: number;
}

const PASSWORD = 'correct horse battery';

export class ProtocolPlayer {
  private readonly frames: Frame[] = [];
  private wake: (() => void) | null = null;
  private seq = 0;

  private constructor(
    readonly name: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      this.wake?.();
    });
  }

  /** Creates the account, logs in and opens the WebSocket. */
  static async register(name: string): Promise<ProtocolPlayer> {
    const { backend, ws, web } = platform();
    const post = async (path: string, body: unknown) => {
      const res = await fetch(backend + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as { token?: string };
    };
    await post('/api/accounts', { username: name, password: PASSWORD });
    const { token } = await post('/api/sessions', { username: name, password: PASSWORD });
    const socket = new WebSocket(`${ws}?token=${encodeURIComponent(token ?? '')}`, { origin: web });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new ProtocolPlayer(name, socket);
  }

  /** The first received frame matching pred (removed from the buffer), within timeoutMs. */
  async next(pred: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no matching frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Sends an ackable message and waits for its ack (an error answer throws). */
  async act(t: string, d: unknown): Promise<void> {
    const a = ++this.seq;
    this.ws.send(JSON.stringify({ t, d, a }));
    const m = await this.next(
      (f) => (f.t === 'ack' && f.d === a) || (f.t === 'error' && (f.d as { ref?: unknown } | undefined)?.ref === a),
    );
    if (m.t === 'error') throw new Error(`${this.name} ${t}: ${JSON.stringify(m.d)}`);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Plays n rated games of tc between a and b through quick pairing: two moves each, then a draw
 * by agreement. Returns once the last game has ended.
 */
export async function playDraws(a: ProtocolPlayer, b: ProtocolPlayer, tc: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await a.act('seek', { tc, rated: true });
    await b.act('seek', { tc, rated: true });
    const start = (await a.next((f) => f.t === 'gameStart')).d as { game: string; white: { name: string } };
    await b.next((f) => f.t === 'gameStart');
    const game = start.game;
    const [white, black] = start.white.name === a.name ? [a, b] : [b, a];
    await white.act('move', { game, u: 'e2e4', ply: 1 });
    await black.act('move', { game, u: 'e7e5', ply: 2 });
    await white.act('drawOffer', { game });
    await black.act('drawAccept', { game });
  }
}
