// Browser-side calls to the backend's HTTP API (same origin: the ALB in AWS, the Next server's
// forwarder locally). Responses are untrusted JSON; callers parse what they use.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The backend answers errors as {"error":{"code","message"}}; the web's own routes as
 * {"error":"text","detail":"..."}. Both become an ApiError with a readable message.
 */
export async function errorFrom(res: Response): Promise<ApiError> {
  let msg = `${res.status} ${res.statusText}`.trim();
  let code: string | undefined;
  try {
    const body = (await res.json()) as { error?: unknown; detail?: unknown };
    const e = body.error;
    if (typeof e === 'object' && e !== null) {
      const o = e as { code?: unknown; message?: unknown };
      if (typeof o.message === 'string' && o.message) msg = o.message;
      if (typeof o.code === 'string') code = o.code;
    } else if (typeof e === 'string') {
      msg = typeof body.detail === 'string' && body.detail ? `${e}: ${body.detail}` : e;
      code = e;
    }
  } catch {
    // not JSON
  }
  return new ApiError(res.status, msg, code);
}

export async function apiJson<T = unknown>(
  path: string,
  init: { method?: string; body?: unknown; token?: string | null; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  const res = await fetch(path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    cache: 'no-store',
    signal: init.signal,
  });
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

export interface SessionResponse {
  token: string;
  player: { name: string; guest?: boolean };
  expiresAt?: string;
}

export function parseSessionResponse(x: unknown): SessionResponse {
  const o = x as Partial<SessionResponse> | null;
  if (!o || typeof o.token !== 'string' || !o.player || typeof o.player.name !== 'string') {
    throw new ApiError(502, 'unexpected answer from /api/sessions');
  }
  return o as SessionResponse;
}

/**
 * Renews a session token that is still valid (POST /api/session/renew): the fresh session of
 * the same player, or 'invalid' when the server refuses the token (401). Anything else throws
 * (no network, 429, 5xx): the caller tries again later.
 */
export async function renewSessionToken(token: string, fetchImpl: typeof fetch = fetch): Promise<SessionResponse | 'invalid'> {
  const res = await fetchImpl('/api/session/renew', {
    method: 'POST',
    headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
    cache: 'no-store',
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 401) return 'invalid';
  if (!res.ok) throw await errorFrom(res);
  return parseSessionResponse(await res.json());
}

export interface ClientConfig {
  wsUrl: string;
  transport: 'direct' | 'apigw';
}

export async function fetchConfig(signal?: AbortSignal): Promise<ClientConfig> {
  const c = await apiJson<Partial<ClientConfig>>('/api/config', { signal });
  if (typeof c.wsUrl !== 'string' || (c.transport !== 'direct' && c.transport !== 'apigw')) {
    throw new ApiError(500, 'bad /api/config answer');
  }
  return { wsUrl: c.wsUrl, transport: c.transport };
}

/**
 * Asks the backend whether a session token still works (GET /api/session): 200 valid, 401
 * invalid (expired, revoked, signed with a retired key), anything else or no answer unknown.
 * The real-time client calls it when its WebSocket keeps failing to open.
 */
export async function sessionStatus(
  token: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 5000,
): Promise<'valid' | 'invalid' | 'unknown'> {
  try {
    const res = await fetchImpl('/api/session', {
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.ok) return 'valid';
    return res.status === 401 ? 'invalid' : 'unknown';
  } catch {
    return 'unknown';
  }
}
