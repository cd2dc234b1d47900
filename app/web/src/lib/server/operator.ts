// Operator access to the service listing and the full health report (docs/reports.md, "Who
// sees what"). The credential is one shared secret, OPERATOR_SECRET, which ECS injects from
// Secrets Manager. Scripts send it as `Authorization: Bearer <secret>`; a browser signs in once
// (/operator) and then holds a cookie with an expiry and an HMAC of it, never the secret.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { FailureLimiter } from './failureLimiter';

/** `__Host-`: the browser accepts it only with Secure, Path=/ and no Domain. */
export const OPERATOR_COOKIE = '__Host-chess-operator';
/** How long a browser sign-in lasts. */
export const OPERATOR_SESSION_MS = 8 * 60 * 60 * 1000;
/** Shorter secrets are refused: the generated one has 88 characters (64 from `make dev`). */
export const MIN_SECRET_LENGTH = 32;

export type OperatorConfig = { kind: 'on'; secret: string } | { kind: 'off'; reason: string };

export function operatorConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const secret = env.OPERATOR_SECRET ?? '';
  if (secret === '') return { kind: 'off', reason: 'OPERATOR_SECRET is not set' };
  if (secret.length < MIN_SECRET_LENGTH) {
    return { kind: 'off', reason: `OPERATOR_SECRET must have at least ${MIN_SECRET_LENGTH} characters` };
  }
  return { kind: 'on', secret };
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Compares in time independent of where the strings differ (hashes first: equal lengths). */
export function secretMatches(given: string, secret: string): boolean {
  return timingSafeEqual(sha256(given), sha256(secret));
}

// The cookie MAC key is derived from the secret, so a rotated secret ends every sign-in.
const cookieKey = (secret: string): Buffer => createHmac('sha256', secret).update('chess-operator-cookie/v1').digest();

function mac(secret: string, payload: string): string {
  return createHmac('sha256', cookieKey(secret)).update(payload).digest('base64url');
}

/** The cookie value for a sign-in at `now`: `v1.<expiry ms>.<HMAC>`. */
export function signSession(secret: string, now: number): string {
  const payload = `v1.${now + OPERATOR_SESSION_MS}`;
  return `${payload}.${mac(secret, payload)}`;
}

export function verifySession(value: string, secret: string, now: number): boolean {
  const m = /^(v1\.(\d{1,15}))\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const [, payload = '', expiry = '', given = ''] = m;
  const expires = Number(expiry);
  if (!(expires > now && expires <= now + OPERATOR_SESSION_MS)) return false;
  const want = Buffer.from(mac(secret, payload));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Set-Cookie for a sign-in: httpOnly (no script reads it), Secure, SameSite=Strict. */
export function sessionCookie(secret: string, now: number): string {
  return `${OPERATOR_COOKIE}=${signSession(secret, now)}; Path=/; Max-Age=${OPERATOR_SESSION_MS / 1000}; HttpOnly; Secure; SameSite=Strict`;
}

export const clearedCookie = `${OPERATOR_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;

export function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The client address failures are counted against. Behind CloudFront and the ALB each appends
 * the address it received the request from to X-Forwarded-For, so with TRUSTED_PROXY_HOPS=2 the
 * second entry from the right is the viewer; entries further left are the client's own claim.
 * Without trusted proxies (local runs) every request counts as one client.
 */
export function clientAddress(headers: Headers, env: NodeJS.ProcessEnv = process.env): string {
  const hops = Number.parseInt(env.TRUSTED_PROXY_HOPS ?? '0', 10);
  if (!Number.isInteger(hops) || hops <= 0) return 'direct';
  const chain = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return chain[chain.length - hops] ?? 'direct';
}

// One limiter per server process; globalThis because Next may load this module once per route.
const LIMITER = Symbol.for('chess.operatorFailureLimiter');
export function operatorLimiter(): FailureLimiter {
  const g = globalThis as { [LIMITER]?: FailureLimiter };
  g[LIMITER] ??= new FailureLimiter();
  return g[LIMITER];
}

/** Starts the process's counts afresh (unit tests of the route handlers). */
export function resetOperatorLimiter(): void {
  delete (globalThis as { [LIMITER]?: FailureLimiter })[LIMITER];
}

export type OperatorCheck =
  | { ok: true }
  | { ok: false; status: 401 | 403 | 429; error: string; retryAfterSeconds?: number };

/**
 * Decides whether a request is the operator's: a Bearer secret or a valid sign-in cookie.
 * A wrong secret or a bad cookie counts as a failure for the client; a client (or everyone,
 * see FailureLimiter) over its limit is refused before the credential is even looked at.
 */
export function checkOperator(
  request: Request,
  opts: { env?: NodeJS.ProcessEnv; limiter?: FailureLimiter; now?: number } = {},
): OperatorCheck {
  const env = opts.env ?? process.env;
  const limiter = opts.limiter ?? operatorLimiter();
  const now = opts.now ?? Date.now();
  const cfg = operatorConfig(env);
  if (cfg.kind === 'off') return { ok: false, status: 403, error: 'operator access is not configured on this server' };
  const client = clientAddress(request.headers, env);
  const wait = limiter.retryAfter(client, now);
  if (wait > 0) return { ok: false, status: 429, error: 'too many failed operator sign-ins; try again later', retryAfterSeconds: wait };

  const auth = request.headers.get('authorization');
  if (auth !== null) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    if (m?.[1] !== undefined && secretMatches(m[1], cfg.secret)) return { ok: true };
    limiter.fail(client, now);
    return { ok: false, status: 401, error: 'operator credential required' };
  }
  const cookie = cookieValue(request.headers.get('cookie'), OPERATOR_COOKIE);
  if (cookie !== undefined) {
    if (verifySession(cookie, cfg.secret, now)) return { ok: true };
    limiter.fail(client, now);
  }
  return { ok: false, status: 401, error: 'operator credential required' };
}

/** Whether a page request carries a valid sign-in cookie (pages count no failures). */
export function hasOperatorSession(cookie: string | undefined, env: NodeJS.ProcessEnv = process.env, now = Date.now()): boolean {
  const cfg = operatorConfig(env);
  return cfg.kind === 'on' && cookie !== undefined && verifySession(cookie, cfg.secret, now);
}

const NO_STORE = { 'Cache-Control': 'no-store, max-age=0', 'Content-Type': 'application/json; charset=utf-8' };

/** The JSON refusal for a failed check: no report data, only why. */
export function refusal(check: Extract<OperatorCheck, { ok: false }>): Response {
  const headers: Record<string, string> = { ...NO_STORE };
  if (check.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="chess-operator"';
  if (check.retryAfterSeconds) headers['Retry-After'] = String(check.retryAfterSeconds);
  return new Response(JSON.stringify({ error: check.error }), { status: check.status, headers });
}
