// The connection side of the real-time client (client.ts): the socket and scheduler seams that
// tests replace, the client's options and events, and the small helpers that build socket URLs
// and read frames.

import type { Envelope, ServerError } from './protocol';

/** The subset of the browser WebSocket API the client uses (the npm `ws` client fits too). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'expired' | 'closed';

/** Answer of a session check: the token works, is refused (expired, revoked, bad), or no answer. */
export type SessionCheck = 'valid' | 'invalid' | 'unknown';

export interface SendResult {
  ok: boolean;
  error?: ServerError;
}

export interface ClientOptions {
  /** Base WebSocket URL from runtime config (direct `/ws` or API Gateway stage URL), without token. */
  url: string;
  token: string;
  socketFactory?: SocketFactory;
  scheduler?: Scheduler;
  resendMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  connectTimeoutMs?: number;
  resyncTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  /** First ack id; see defaultFirstAckId. */
  firstAckId?: number;
  /** HTTP fallback for resync: resolves to the full state of a game (GET /api/games/{id}). */
  loadState?: (game: string) => Promise<unknown>;
  /** Is the token still valid? (GET /api/session). Without it the client retries forever. */
  checkSession?: () => Promise<SessionCheck>;
  /** Consecutive connection attempts that never opened before the session is checked (default 3). */
  sessionCheckAfter?: number;
}

/** The options with their defaults filled in (`loadState` and `checkSession` stay optional). */
export type ResolvedOptions = Required<Omit<ClientOptions, 'loadState' | 'firstAckId' | 'checkSession'>> &
  Pick<ClientOptions, 'loadState' | 'checkSession'>;

export function resolveOptions(options: ClientOptions, scheduler: Scheduler): ResolvedOptions {
  return {
    url: options.url,
    token: options.token,
    socketFactory: options.socketFactory ?? browserSocket,
    scheduler,
    resendMs: options.resendMs ?? 2500,
    pingIntervalMs: options.pingIntervalMs ?? 2500,
    pongTimeoutMs: options.pongTimeoutMs ?? 9000,
    connectTimeoutMs: options.connectTimeoutMs ?? 9000,
    resyncTimeoutMs: options.resyncTimeoutMs ?? 5000,
    backoffInitialMs: options.backoffInitialMs ?? 500,
    backoffMaxMs: options.backoffMaxMs ?? 10_000,
    random: options.random ?? Math.random,
    loadState: options.loadState,
    checkSession: options.checkSession,
    sessionCheckAfter: Math.max(1, options.sessionCheckAfter ?? 3),
  };
}

export interface ClientEvents {
  status: (status: ConnectionStatus) => void;
  /** Every server message except `ack` and `pong`, after version filtering. */
  message: (env: Envelope) => void;
  /** A message the client sent was rejected (error with a matching `ref`), or any other server error. */
  error: (err: ServerError) => void;
  /** New one-way lag estimate in ms (half the smoothed ping round trip). */
  lag: (ms: number) => void;
}

export const globalScheduler: Scheduler = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
  now: () => Date.now(),
};

/**
 * Ack ids must not repeat within a game for the same player, or the server would take a new
 * message for a duplicate of an old one. A page reload restarts the counter, so it starts from
 * the wall clock in ms (mod 2e9, to stay a 32-bit positive integer): a collision would need more
 * than one acked message per millisecond between two page loads.
 */
export function defaultFirstAckId(now: number): number {
  return (Math.floor(now) % 2_000_000_000) + 1;
}

/**
 * Adds the session token to a WebSocket URL. Works for `ws://host:8080/ws` and for
 * `wss://<api>.execute-api.<region>.amazonaws.com/<stage>` (with or without an existing query).
 */
export function buildSocketUrl(base: string, token: string): string {
  const u = new URL(base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new Error(`WebSocket URL must be ws:// or wss://, got ${u.protocol}`);
  }
  u.searchParams.set('token', token);
  return u.toString();
}

export function browserSocket(url: string): SocketLike {
  return new WebSocket(url) as unknown as SocketLike;
}

export function frameText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return null;
}
