// Framework-free real-time client for protocol v1 (docs/protocol.md).
//
// What it guarantees to its user:
//  - Messages sent with an ack id are retransmitted every `resendMs` until the server acks them
//    (or rejects them with an error whose `ref` is their id), and all of them again after every
//    reconnect. The server dedupes by ack id (and moves by ply), so retransmission is safe.
//  - Application-level ping every `pingIntervalMs` after each pong; no pong within
//    `pongTimeoutMs` closes the socket and reconnects with exponential backoff and jitter.
//  - Every watched game is re-watched on (re)connect with the last version seen. Versioned game
//    events are delivered exactly once and in order: v <= last is dropped, a gap (v > last + 1) is
//    not delivered and triggers a resync (re-watch with the last v; if that does not close the
//    gap within `resyncTimeoutMs`, the full state is loaded with `loadState`).
//  - When connecting keeps failing (`sessionCheckAfter` attempts in a row that never opened), it
//    asks `checkSession` whether the token is still valid, since a browser cannot see the 401 of
//    a refused WebSocket upgrade. An invalid token ends the client in status `expired` instead
//    of reconnecting forever; the user has to log in again.
//  - The same code speaks to the backend's direct `/ws?token=` endpoint and to an API Gateway
//    `wss://<api>/<stage>?token=` URL: only the URL differs.
//
// Timers and the clock come from `scheduler` (globals by default) so tests can use fake timers.

import {
  type Envelope,
  STATE_EVENTS,
  VERSIONED_EVENTS,
  gameOf,
  parseEnvelope,
  parseError,
  versionOf,
} from './protocol';
import {
  type ClientEvents,
  type ClientOptions,
  type ResolvedOptions,
  type ConnectionStatus,
  type Scheduler,
  type SendResult,
  type SessionCheck,
  type SocketLike,
  buildSocketUrl,
  defaultFirstAckId,
  frameText,
  globalScheduler,
  resolveOptions,
} from './connection';

export * from './connection';

type Listener<K extends keyof ClientEvents> = ClientEvents[K];

interface Pending {
  frame: string;
  env: Envelope;
  timer: unknown;
  resolve: (r: SendResult) => void;
}

interface Watched {
  v: number;
  /** A resync is in progress (re-watch sent, waiting for the gap to close). */
  resyncing: boolean;
  resyncTimer: unknown;
}

const OPEN = 1;

/** Messages that never get an ack id: they are idempotent, periodic, or replayed on reconnect. */
const NO_ACK: ReadonlySet<string> = new Set(['ping', 'watch', 'unwatch']);

export class RealtimeClient {
  private readonly opts: ResolvedOptions;
  private readonly sched: Scheduler;
  private socket: SocketLike | null = null;
  private statusValue: ConnectionStatus = 'connecting';
  private stopped = false;
  private started = false;
  private nextAck: number;
  private readonly pending = new Map<number, Pending>();
  private readonly watched = new Map<string, Watched>();
  private readonly listeners: { [K in keyof ClientEvents]: Set<Listener<K>> } = {
    status: new Set(),
    message: new Set(),
    error: new Set(),
    lag: new Set(),
  };
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private connectTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private pingSentAt: number | null = null;
  private rttSamples = 0;
  private rttAvg = 0;
  /** The current socket reached `open` (a refused upgrade never does). */
  private socketOpened = false;
  /** Connection attempts in a row that never opened, since the last open or session check. */
  private failedOpens = 0;
  private checkingSession = false;

  constructor(options: ClientOptions) {
    this.sched = options.scheduler ?? globalScheduler;
    this.opts = resolveOptions(options, this.sched);
    this.nextAck = options.firstAckId ?? defaultFirstAckId(this.sched.now());
    // Fail early on a bad URL rather than in a reconnect loop.
    buildSocketUrl(this.opts.url, this.opts.token);
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** One-way lag estimate in ms: half the smoothed ping round trip, 0 before the first pong. */
  get lagMs(): number {
    return Math.min(10_000, Math.max(0, Math.round(this.rttAvg / 2)));
  }

  /** Number of sent messages still waiting for their ack. */
  get unacked(): number {
    return this.pending.size;
  }

  /** Last version seen for a watched game (0 if none yet), undefined if not watched. */
  versionOf(game: string): number | undefined {
    return this.watched.get(game)?.v;
  }

  on<K extends keyof ClientEvents>(event: K, fn: ClientEvents[K]): () => void {
    (this.listeners[event] as Set<ClientEvents[K]>).add(fn);
    return () => {
      (this.listeners[event] as Set<ClientEvents[K]>).delete(fn);
    };
  }

  connect(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.open();
  }

  /** Closes for good: no reconnect; unacked sends resolve with `closed`. */
  close(): void {
    this.shutdown('closed', 'closed', 'client closed');
  }

  /** Stops for good, settling every unacked send with the given error. */
  private shutdown(status: 'closed' | 'expired', code: string, msg: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    for (const w of this.watched.values()) this.sched.clearTimeout(w.resyncTimer);
    for (const [id, p] of this.pending) {
      this.sched.clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code, msg, ref: id } });
    }
    this.pending.clear();
    const s = this.socket;
    this.socket = null;
    if (s) {
      this.detach(s);
      try {
        s.close(1000, 'bye');
      } catch {
        // already closing
      }
    }
    this.setStatus(status);
  }

  /**
   * Sends a client message. Everything except ping/watch/unwatch gets an ack id and is
   * retransmitted until acked; the promise resolves (never rejects) when the server acks or
   * rejects it. While disconnected the message waits and goes out on the next connect.
   */
  send(t: string, d?: unknown): Promise<SendResult> {
    if (this.stopped) {
      const error =
        this.statusValue === 'expired'
          ? { code: 'unauthorized', msg: 'session expired: log in again', ref: null }
          : { code: 'closed', msg: 'client closed', ref: null };
      return Promise.resolve({ ok: false, error });
    }
    if (NO_ACK.has(t)) {
      this.transmitRaw({ t, ...(d === undefined ? {} : { d }) });
      return Promise.resolve({ ok: true });
    }
    const a = this.nextAck++;
    const env: Envelope = { t, ...(d === undefined ? {} : { d }), a };
    const frame = JSON.stringify(env);
    return new Promise<SendResult>((resolve) => {
      const p: Pending = { frame, env, timer: null, resolve };
      this.pending.set(a, p);
      if (this.isOpen()) this.transmitPending(a, p);
    });
  }

  /** Plays a move; `l` (lag compensation request) is half the measured ping round trip. */
  move(game: string, uci: string, ply: number): Promise<SendResult> {
    return this.send('move', { game, u: uci, ply, l: this.lagMs });
  }

  /**
   * Subscribes to a game; re-sent with the last seen version after every reconnect. For a game
   * already watched the known version is kept, unless `reset` (the caller just loaded the full
   * state at `sinceV`, e.g. over HTTP, and wants every event after it).
   */
  watch(game: string, sinceV = 0, reset = false): void {
    let w = this.watched.get(game);
    if (!w) {
      w = { v: sinceV, resyncing: false, resyncTimer: null };
      this.watched.set(game, w);
    } else if (reset) {
      w.v = sinceV;
      this.endResync(w);
    }
    this.transmitRaw({ t: 'watch', d: { game, v: w.v } });
  }

  unwatch(game: string): void {
    const w = this.watched.get(game);
    if (!w) return;
    this.sched.clearTimeout(w.resyncTimer);
    this.watched.delete(game);
    this.transmitRaw({ t: 'unwatch', d: { game } });
  }

  /**
   * Moves to a renewed token of the same player (session renewal). Later connects use it; an
   * open connection is replaced without a gap: a second socket opens with the new token and
   * takes over once open (watches re-sent, unacked sends retransmitted, as after any reconnect),
   * then the old one closes. Closing first would tell opponents the player left; keeping the old
   * socket would see it cut when the token it opened with expires.
   */
  setToken(token: string): void {
    if (this.stopped || token === this.opts.token) return;
    this.opts.token = token;
    const old = this.socket;
    if (!old || !this.isOpen()) return; // the next (re)connect uses it
    let next: SocketLike;
    try {
      next = this.opts.socketFactory(buildSocketUrl(this.opts.url, token));
    } catch {
      return;
    }
    const abandon = () => {
      this.sched.clearTimeout(timer);
      this.detach(next);
      next.onerror = () => {}; // closing a socket that is still connecting reports an error
      try {
        next.close(1000, 'not needed');
      } catch {
        // already closing
      }
    };
    // A socket that does not open in time is dropped; the old one carries on until a reconnect.
    const timer = this.sched.setTimeout(abandon, this.opts.connectTimeoutMs);
    next.onclose = abandon;
    next.onerror = () => {};
    next.onopen = () => {
      if (this.stopped || this.socket !== old || this.opts.token !== token || !this.isOpen()) return abandon();
      this.sched.clearTimeout(timer);
      this.detach(old);
      this.clearTimers();
      this.socket = next;
      next.onmessage = (ev) => this.onFrame(next, ev.data);
      next.onclose = () => this.onSocketGone(next);
      this.onOpen(next);
      try {
        old.close(1000, 'token renewed');
      } catch {
        // already closing
      }
    };
  }

  // --- connection lifecycle -------------------------------------------------------------

  private open(): void {
    if (this.stopped) return;
    this.setStatus(this.attempt === 0 && this.rttSamples === 0 ? 'connecting' : 'reconnecting');
    let s: SocketLike;
    try {
      s = this.opts.socketFactory(buildSocketUrl(this.opts.url, this.opts.token));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    this.socketOpened = false;
    s.onopen = () => this.onOpen(s);
    s.onmessage = (ev) => this.onFrame(s, ev.data);
    s.onclose = () => this.onSocketGone(s);
    s.onerror = () => {
      // A close event follows an error; a socket that never opens is handled by connectTimer.
    };
    this.connectTimer = this.sched.setTimeout(() => {
      if (this.socket === s && s.readyState !== OPEN) this.drop(s);
    }, this.opts.connectTimeoutMs);
  }

  private onOpen(s: SocketLike): void {
    if (this.socket !== s || this.stopped) return;
    this.sched.clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.socketOpened = true;
    this.failedOpens = 0;
    this.setStatus('open');
    // Re-subscribe first so replayed events flow, then retransmit what was never acked.
    for (const [game, w] of this.watched) this.transmitRaw({ t: 'watch', d: { game, v: w.v } });
    for (const [a, p] of [...this.pending].sort((x, y) => x[0] - y[0])) this.transmitPending(a, p);
    this.ping();
  }

  private onSocketGone(s: SocketLike): void {
    if (this.socket !== s) return;
    this.detach(s);
    this.socket = null;
    this.clearTimers();
    // Pending resend timers stop; everything pending goes out again on the next open.
    for (const p of this.pending.values()) {
      this.sched.clearTimeout(p.timer);
      p.timer = null;
    }
    if (!this.socketOpened) this.failedOpens++;
    this.scheduleReconnect();
    this.maybeCheckSession();
  }

  /**
   * After `sessionCheckAfter` failed attempts in a row, asks whether the token still works.
   * Reconnecting goes on meanwhile; only a definite `invalid` (and no socket that opened since)
   * stops it. Any other answer waits for another run of failures before asking again.
   */
  private maybeCheckSession(): void {
    const check = this.opts.checkSession;
    if (!check || this.checkingSession || this.failedOpens < this.opts.sessionCheckAfter) return;
    this.checkingSession = true;
    this.failedOpens = 0;
    let answer: Promise<SessionCheck>;
    try {
      answer = check();
    } catch {
      answer = Promise.resolve('unknown');
    }
    void answer
      .catch((): SessionCheck => 'unknown')
      .then((r) => {
        this.checkingSession = false;
        if (r !== 'invalid' || this.stopped || this.statusValue === 'open') return;
        this.shutdown('expired', 'unauthorized', 'session expired: log in again');
      });
  }

  /** Abandons a socket that is stuck (no pong, never opened) and reconnects. */
  private drop(s: SocketLike): void {
    try {
      s.close(4000, 'timeout');
    } catch {
      // ignore
    }
    this.onSocketGone(s);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setStatus('reconnecting');
    const base = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** this.attempt);
    // Full jitter on the upper half so many clients do not reconnect in lockstep.
    const delay = Math.round(base / 2 + (base / 2) * this.opts.random());
    this.attempt++;
    this.sched.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.sched.setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  private detach(s: SocketLike): void {
    s.onopen = null;
    s.onmessage = null;
    s.onclose = null;
    s.onerror = null;
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.connectTimer, this.pingTimer, this.pongTimer]) {
      this.sched.clearTimeout(t);
    }
    this.reconnectTimer = this.connectTimer = this.pingTimer = this.pongTimer = null;
    this.pingSentAt = null;
  }

  private isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN && this.statusValue === 'open';
  }

  private setStatus(s: ConnectionStatus): void {
    if (this.statusValue === s) return;
    this.statusValue = s;
    for (const fn of this.listeners.status) fn(s);
  }

  // --- sending ---------------------------------------------------------------------------

  private transmitRaw(env: Envelope): void {
    if (!this.isOpen()) return; // watch is replayed on open; ping restarts on open
    this.socket!.send(JSON.stringify(env));
  }

  private transmitPending(a: number, p: Pending): void {
    this.sched.clearTimeout(p.timer);
    p.timer = this.sched.setTimeout(() => {
      p.timer = null;
      if (this.pending.get(a) === p && this.isOpen()) this.transmitPending(a, p);
    }, this.opts.resendMs);
    this.socket!.send(p.frame);
  }

  // --- ping ------------------------------------------------------------------------------

  private ping(): void {
    if (!this.isOpen()) return;
    const s = this.socket!;
    this.pingSentAt = this.sched.now();
    this.transmitRaw({ t: 'ping' });
    this.sched.clearTimeout(this.pongTimer);
    this.pongTimer = this.sched.setTimeout(() => {
      this.pongTimer = null;
      if (this.socket === s) this.drop(s);
    }, this.opts.pongTimeoutMs);
  }

  private onPong(): void {
    if (this.pingSentAt === null) return; // unsolicited pong
    const rtt = Math.max(0, this.sched.now() - this.pingSentAt);
    this.pingSentAt = null;
    this.sched.clearTimeout(this.pongTimer);
    this.pongTimer = null;
    this.attempt = 0; // the connection proved healthy; the next outage starts at the short delay
    // lichess: plain mean of the first 4 samples, then an exponential average (mix 0.1).
    this.rttSamples++;
    this.rttAvg = this.rttSamples <= 4 ? this.rttAvg + (rtt - this.rttAvg) / this.rttSamples : this.rttAvg * 0.9 + rtt * 0.1;
    for (const fn of this.listeners.lag) fn(this.lagMs);
    this.sched.clearTimeout(this.pingTimer);
    this.pingTimer = this.sched.setTimeout(() => {
      this.pingTimer = null;
      this.ping();
    }, this.opts.pingIntervalMs);
  }

  // --- receiving -------------------------------------------------------------------------

  private onFrame(s: SocketLike, data: unknown): void {
    if (this.socket !== s) return;
    const text = frameText(data);
    const env = text === null ? null : parseEnvelope(text);
    if (!env) return; // not ours to interpret; the server never sends this
    switch (env.t) {
      case 'pong':
        this.onPong();
        return;
      case 'ack':
        this.onAck(env.d);
        return;
      case 'error':
        this.onError(env);
        return;
    }
    if (VERSIONED_EVENTS.has(env.t)) {
      this.onVersioned(env);
      return;
    }
    if (STATE_EVENTS.has(env.t)) {
      this.onState(env);
      return;
    }
    this.emit(env);
  }

  private onAck(d: unknown): void {
    if (typeof d !== 'number') return;
    const p = this.pending.get(d);
    if (!p) return; // duplicate ack of a retransmission: already done
    this.sched.clearTimeout(p.timer);
    this.pending.delete(d);
    p.resolve({ ok: true });
  }

  private onError(env: Envelope): void {
    const err = parseError(env.d);
    if (err.ref !== null) {
      const p = this.pending.get(err.ref);
      // `unavailable`: not applied, a dependency is down. Keep it; the resend timer retries.
      if (p && err.code !== 'unavailable') {
        this.sched.clearTimeout(p.timer);
        this.pending.delete(err.ref);
        p.resolve({ ok: false, error: err });
      }
    }
    for (const fn of this.listeners.error) fn(err);
    this.emit(env);
  }

  private onVersioned(env: Envelope): void {
    const game = gameOf(env);
    const v = versionOf(env);
    const w = game === undefined ? undefined : this.watched.get(game);
    if (!w || v === undefined) {
      this.emit(env); // not a game we track versions for
      return;
    }
    if (v <= w.v) return; // already seen (replay overlap or duplicate)
    if (v > w.v + 1) {
      this.startResync(game!, w);
      return;
    }
    w.v = v;
    this.endResync(w);
    this.emit(env);
  }

  private onState(env: Envelope): void {
    const game = gameOf(env);
    const v = versionOf(env);
    if (game === undefined || v === undefined) {
      this.emit(env);
      return;
    }
    let w = this.watched.get(game);
    if (!w) {
      if (env.t !== 'gameStart') {
        this.emit(env);
        return;
      }
      // A game we play just started: track it from here and make sure we are subscribed.
      w = { v, resyncing: false, resyncTimer: null };
      this.watched.set(game, w);
      this.transmitRaw({ t: 'watch', d: { game, v } });
      this.emit(env);
      return;
    }
    if (v < w.v) return; // older than what we already have
    w.v = v;
    this.endResync(w);
    this.emit(env);
  }

  private startResync(game: string, w: Watched): void {
    if (w.resyncing) return; // a replay is on its way; later events fill in behind it
    w.resyncing = true;
    this.transmitRaw({ t: 'watch', d: { game, v: w.v } });
    w.resyncTimer = this.sched.setTimeout(() => {
      w.resyncTimer = null;
      if (!w.resyncing || this.watched.get(game) !== w) return;
      void this.loadOverHttp(game, w);
    }, this.opts.resyncTimeoutMs);
  }

  private endResync(w: Watched): void {
    w.resyncing = false;
    this.sched.clearTimeout(w.resyncTimer);
    w.resyncTimer = null;
  }

  private async loadOverHttp(game: string, w: Watched): Promise<void> {
    const load = this.opts.loadState;
    if (!load) {
      // No HTTP fallback: ask again over the socket; the server answers with events or a state.
      w.resyncing = false;
      this.startResync(game, w);
      return;
    }
    let d: unknown;
    try {
      d = await load(game);
    } catch {
      d = undefined;
    }
    if (this.stopped || this.watched.get(game) !== w) return;
    w.resyncing = false;
    if (d === undefined) {
      this.startResync(game, w);
      return;
    }
    this.onState({ t: 'state', d });
    // Re-subscribe from the loaded version so events after it are replayed, not lost.
    this.transmitRaw({ t: 'watch', d: { game, v: w.v } });
  }

  private emit(env: Envelope): void {
    for (const fn of this.listeners.message) fn(env);
  }
}
