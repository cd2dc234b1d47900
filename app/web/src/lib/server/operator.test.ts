// Who may read the operator data (docs/reports.md, "Who sees what"): the credential checks, the
// cookie, the failure limiter, and the route handlers that apply them.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GET as healthGET } from '@/app/api/health/route';
import { POST as signInPOST } from '@/app/api/operator/session/route';
import { POST as signOutPOST } from '@/app/api/operator/sign-out/route';
import { GET as servicesGET } from '@/app/api/services/route';
import { FailureLimiter } from './failureLimiter';
import {
  OPERATOR_COOKIE,
  OPERATOR_SESSION_MS,
  checkOperator,
  clientAddress,
  cookieValue,
  hasOperatorSession,
  operatorConfig,
  resetOperatorLimiter,
  secretMatches,
  sessionCookie,
  signSession,
  verifySession,
} from './operator';

const SECRET = 'operator-test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const env = (e: Record<string, string>) => e as unknown as NodeJS.ProcessEnv;
const fixtures = path.resolve(__dirname, '../../../../../scripts/fixtures');

describe('operatorConfig', () => {
  it('is off without a secret, with a named reason for a short one, on with a long one', () => {
    expect(operatorConfig(env({}))).toEqual({ kind: 'off', reason: 'OPERATOR_SECRET is not set' });
    expect(operatorConfig(env({ OPERATOR_SECRET: 'short' }))).toEqual({
      kind: 'off',
      reason: 'OPERATOR_SECRET must have at least 32 characters',
    });
    expect(operatorConfig(env({ OPERATOR_SECRET: SECRET }))).toEqual({ kind: 'on', secret: SECRET });
  });
});

describe('secretMatches', () => {
  it('accepts only the exact secret', () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    expect(secretMatches(SECRET.slice(0, -1), SECRET)).toBe(false);
    expect(secretMatches(SECRET + 'x', SECRET)).toBe(false);
    expect(secretMatches('', SECRET)).toBe(false);
  });
});

describe('session cookie', () => {
  const now = 1_800_000_000_000;

  it('verifies until it expires, never after', () => {
    const v = signSession(SECRET, now);
    expect(verifySession(v, SECRET, now)).toBe(true);
    expect(verifySession(v, SECRET, now + OPERATOR_SESSION_MS - 1)).toBe(true);
    expect(verifySession(v, SECRET, now + OPERATOR_SESSION_MS)).toBe(false);
  });

  it('refuses a changed expiry, a changed MAC, another secret and garbage', () => {
    const v = signSession(SECRET, now);
    const [ver, exp, mac = ''] = v.split('.');
    expect(verifySession(`${ver}.${Number(exp) + 1000}.${mac}`, SECRET, now)).toBe(false);
    expect(verifySession(`${ver}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, SECRET, now)).toBe(false);
    expect(verifySession(v, SECRET.replace('0', '1'), now)).toBe(false);
    for (const bad of ['', 'v1', `v1.${exp}`, `v2.${exp}.${mac}`, `${v}.x`, SECRET]) expect(verifySession(bad, SECRET, now)).toBe(false);
  });

  it('refuses an expiry further ahead than one session (a forged long-lived cookie)', () => {
    const later = signSession(SECRET, now + 60_000);
    expect(verifySession(later, SECRET, now)).toBe(false);
  });

  it('is set httpOnly, Secure, SameSite=Strict under a __Host- name, without the secret', () => {
    const c = sessionCookie(SECRET, now);
    expect(c.startsWith(`${OPERATOR_COOKIE}=`)).toBe(true);
    expect(OPERATOR_COOKIE.startsWith('__Host-')).toBe(true);
    for (const attr of ['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict', `Max-Age=${OPERATOR_SESSION_MS / 1000}`]) {
      expect(c.split('; ')).toContain(attr);
    }
    expect(c).not.toContain(SECRET);
    expect(c).not.toMatch(/Domain=/i);
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; __Host-chess-operator=v1.2.x; b=3', OPERATOR_COOKIE)).toBe('v1.2.x');
    expect(cookieValue('a=1', OPERATOR_COOKIE)).toBeUndefined();
    expect(cookieValue(null, OPERATOR_COOKIE)).toBeUndefined();
  });
});

describe('clientAddress', () => {
  const h = (xff?: string) => new Headers(xff === undefined ? {} : { 'x-forwarded-for': xff });
  it('counts everyone as one client without trusted proxies', () => {
    expect(clientAddress(h('1.2.3.4'), env({}))).toBe('direct');
    expect(clientAddress(h('1.2.3.4'), env({ TRUSTED_PROXY_HOPS: 'x' }))).toBe('direct');
  });
  it('takes the address the first trusted proxy saw, not what the client claims', () => {
    const two = env({ TRUSTED_PROXY_HOPS: '2' });
    // viewer 198.51.100.7 (added by CloudFront), CloudFront edge 203.0.113.9 (added by the ALB)
    expect(clientAddress(h('198.51.100.7, 203.0.113.9'), two)).toBe('198.51.100.7');
    expect(clientAddress(h('6.6.6.6, 198.51.100.7, 203.0.113.9'), two)).toBe('198.51.100.7');
    expect(clientAddress(h(), two)).toBe('direct');
  });
});

describe('FailureLimiter', () => {
  const limits = { perClient: 3, total: 5, windowMs: 60_000, maxClients: 3 };
  it('blocks a client after its failures until the window ends, not the others', () => {
    const l = new FailureLimiter(limits);
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('a', 1000)).toBe(0);
      l.fail('a', 1000);
    }
    expect(l.retryAfter('a', 1000)).toBe(59);
    expect(l.retryAfter('b', 1000)).toBe(0);
    expect(l.retryAfter('a', 60_000)).toBe(0);
  });
  it('blocks everyone once the total is reached', () => {
    const l = new FailureLimiter(limits);
    for (const c of ['a', 'b', 'c', 'd', 'e']) l.fail(c, 0);
    expect(l.retryAfter('new', 10)).toBe(60);
  });
  it('puts clients beyond maxClients into one shared bucket', () => {
    const l = new FailureLimiter({ ...limits, total: 100 });
    for (const c of ['a', 'b', 'c']) l.fail(c, 0);
    for (const c of ['x', 'y', 'z']) l.fail(c, 0);
    expect(l.retryAfter('w', 0)).toBeGreaterThan(0);
    expect(l.retryAfter('a', 0)).toBe(0);
  });
});

describe('checkOperator', () => {
  const on = env({ OPERATOR_SECRET: SECRET });
  const req = (headers: Record<string, string>) => new Request('http://web.test/api/services', { headers });

  it('accepts the Bearer secret and a valid cookie; refuses everything else with 401', () => {
    const limiter = new FailureLimiter();
    const now = Date.now();
    expect(checkOperator(req({ Authorization: `Bearer ${SECRET}` }), { env: on, limiter })).toEqual({ ok: true });
    expect(checkOperator(req({ Cookie: `${OPERATOR_COOKIE}=${signSession(SECRET, now)}` }), { env: on, limiter, now })).toEqual({ ok: true });
    for (const h of [{} as Record<string, string>, { Authorization: 'Bearer nope' }, { Authorization: `Basic ${SECRET}` }, { Cookie: `${OPERATOR_COOKIE}=v1.1.x` }]) {
      expect(checkOperator(req(h), { env: on, limiter, now })).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('answers 403 when no secret is configured, whatever is presented', () => {
    expect(checkOperator(req({ Authorization: `Bearer ${SECRET}` }), { env: env({}), limiter: new FailureLimiter() })).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses even the right secret with 429 after too many wrong ones from that client', () => {
    const limiter = new FailureLimiter({ perClient: 2, total: 100, windowMs: 60_000, maxClients: 100 });
    const e = env({ OPERATOR_SECRET: SECRET, TRUSTED_PROXY_HOPS: '1' });
    const from = (ip: string, secret: string) => req({ Authorization: `Bearer ${secret}`, 'X-Forwarded-For': ip });
    checkOperator(from('10.0.0.1', 'wrong'), { env: e, limiter, now: 0 });
    checkOperator(from('10.0.0.1', 'wrong'), { env: e, limiter, now: 0 });
    expect(checkOperator(from('10.0.0.1', SECRET), { env: e, limiter, now: 1000 })).toMatchObject({ status: 429, retryAfterSeconds: 59 });
    expect(checkOperator(from('10.0.0.2', SECRET), { env: e, limiter, now: 1000 })).toEqual({ ok: true });
    expect(checkOperator(from('10.0.0.1', SECRET), { env: e, limiter, now: 60_000 })).toEqual({ ok: true });
  });

  it('hasOperatorSession (pages) checks the cookie only', () => {
    const now = Date.now();
    expect(hasOperatorSession(signSession(SECRET, now), on, now)).toBe(true);
    expect(hasOperatorSession(signSession(SECRET, now), env({}), now)).toBe(false);
    expect(hasOperatorSession(undefined, on, now)).toBe(false);
  });
});

describe('route handlers', () => {
  let dir: string;
  const saved = { REPORTS_DIR: process.env.REPORTS_DIR, OPERATOR_SECRET: process.env.OPERATOR_SECRET, TRUSTED_PROXY_HOPS: process.env.TRUSTED_PROXY_HOPS };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'operator-'));
    for (const f of ['health.json', 'services.json']) await copyFile(path.join(fixtures, f), path.join(dir, f));
    process.env.REPORTS_DIR = dir;
    process.env.OPERATOR_SECRET = SECRET;
    delete process.env.TRUSTED_PROXY_HOPS;
    resetOperatorLimiter();
  });

  afterEach(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetOperatorLimiter();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) => new Request(`http://web.test${url}`, { headers });
  const form = (secret: string, headers: Record<string, string> = { 'Sec-Fetch-Site': 'same-origin' }) =>
    new Request('http://web.test/api/operator/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ secret }).toString(),
    });
  const cookieOf = (res: Response) => /^([^=]+)=([^;]*)/.exec(res.headers.get('set-cookie') ?? '');

  it('/api/services refuses a guest and a player with 401 and no data', async () => {
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer some-player-session-token' }]) {
      const res = await servicesGET(get('/api/services', headers));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="chess-operator"');
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: 'operator credential required' });
      expect(text).not.toContain('123456789012');
    }
  });

  it('/api/services serves the listing to the Bearer secret and to a signed-in cookie', async () => {
    const bearer = await servicesGET(get('/api/services', { Authorization: `Bearer ${SECRET}` }));
    expect(bearer.status).toBe(200);
    expect(((await bearer.json()) as { account: string }).account).toBe('123456789012');
    const cookie = await servicesGET(get('/api/services', { Cookie: `${OPERATOR_COOKIE}=${signSession(SECRET, Date.now())}` }));
    expect(cookie.status).toBe(200);
  });

  it('/api/services answers 403 when the server has no operator secret', async () => {
    delete process.env.OPERATOR_SECRET;
    const res = await servicesGET(get('/api/services', { Authorization: `Bearer ${SECRET}` }));
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('123456789012');
  });

  it('/api/services answers 429 with Retry-After after 10 wrong secrets, even to the right one', async () => {
    for (let i = 0; i < 10; i++) expect((await servicesGET(get('/api/services', { Authorization: `Bearer wrong-${i}` }))).status).toBe(401);
    const res = await servicesGET(get('/api/services', { Authorization: `Bearer ${SECRET}` }));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('/api/health gives everyone the overall status only, whatever they send', async () => {
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer a-player-token' }, { Authorization: `Bearer ${SECRET}` }]) {
      const pub = await healthGET(get('/api/health', headers));
      expect(pub.status).toBe(200);
      const text = await pub.text();
      expect(JSON.parse(text)).toEqual({ schema: 'chess.health-summary/v1', status: 'degraded', generatedAt: expect.any(String) });
      expect(text).not.toMatch(/https?:|targets|url/);
    }
  });

  it('/api/health?detail=full is the full report for the operator only', async () => {
    const full = await healthGET(get('/api/health?detail=full', { Authorization: `Bearer ${SECRET}` }));
    expect(full.status).toBe(200);
    expect(((await full.json()) as { targets: unknown[] }).targets).toHaveLength(3);
    const cookie = await healthGET(get('/api/health?detail=full', { Cookie: `${OPERATOR_COOKIE}=${signSession(SECRET, Date.now())}` }));
    expect(cookie.status).toBe(200);
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong' }]) {
      const res = await healthGET(get('/api/health?detail=full', headers));
      expect(res.status).toBe(401);
      expect(await res.text()).not.toMatch(/https?:/);
    }
  });

  it('/api/health without a report tells players only that there is none', async () => {
    await rm(path.join(dir, 'health.json'));
    const res = await healthGET(get('/api/health'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'no report yet', report: 'health' });
  });

  it('sign-in with the secret sets the cookie and goes to /status; the cookie opens the listing', async () => {
    const res = await signInPOST(form(SECRET));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/status');
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/Secure/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toContain(SECRET);
    const [, name, value] = cookieOf(res)!;
    expect(name).toBe(OPERATOR_COOKIE);
    expect((await servicesGET(get('/api/services', { Cookie: `${name}=${value}` }))).status).toBe(200);
  });

  it('sign-in with a wrong secret sets no cookie and goes back to the form; 10 of them lock it', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await signInPOST(form(`wrong-${i}`));
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/operator?error=wrong');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const res = await signInPOST(form(SECRET));
    expect(res.headers.get('location')).toBe('/operator?error=limited');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('sign-in refuses a cross-site form post', async () => {
    const res = await signInPOST(form(SECRET, { 'Sec-Fetch-Site': 'cross-site' }));
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const noFetchMeta = await signInPOST(form(SECRET, { Origin: 'https://evil.example', Host: 'web.test' }));
    expect(noFetchMeta.status).toBe(403);
  });

  it('sign-in says so when the server has no operator secret', async () => {
    delete process.env.OPERATOR_SECRET;
    expect((await signInPOST(form(SECRET))).headers.get('location')).toBe('/operator?error=off');
  });

  it('sign-out clears the cookie', async () => {
    const res = signOutPOST(new Request('http://web.test/api/operator/sign-out', { method: 'POST', headers: { 'Sec-Fetch-Site': 'same-origin' } }));
    expect(res.status).toBe(303);
    const [, name, value] = cookieOf(res)!;
    expect([name, value]).toEqual([OPERATOR_COOKIE, '']);
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});
