// Forwards the backend's HTTP API paths to BACKEND_URL at request time.
//
// Why not `rewrites` in next.config: next.config is evaluated by `next build`, and for
// `output: 'standalone'` the resolved rewrites are frozen into routes-manifest.json and the
// serialized config in server.js; a BACKEND_URL set when the container starts would be ignored.
// In AWS the ALB sends these paths to the backend before they ever reach this service; the
// forwarder makes the same paths work on a developer machine (`make dev`) and in tests.
import { backendUrl } from './runtimeConfig';

/** Request headers passed through; everything else (cookies, hop-by-hop) stays here. */
const FORWARD_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'authorization',
  'content-type',
  'if-none-match',
  'user-agent',
  'x-request-id',
] as const;

/** Response headers passed back. Content-Length/-Encoding are dropped: fetch already decoded the body. */
const FORWARD_RESPONSE_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-type',
  'etag',
  'location',
  'retry-after',
  'www-authenticate',
  'x-request-id',
] as const;

const MAX_BODY_BYTES = 64 * 1024;
const TIMEOUT_MS = 10_000;

export interface ForwardOptions {
  backend?: string;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

function jsonError(status: number, error: string, detail: string): Response {
  return new Response(JSON.stringify({ error, detail }), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/**
 * Forwards `req` to the backend, keeping method, path, query, body, status code, body and the
 * relevant headers (Authorization in; Content-Type, Content-Disposition, WWW-Authenticate out).
 */
export async function forwardToBackend(req: Request, opts: ForwardOptions = {}): Promise<Response> {
  const incoming = new URL(req.url);
  const base = opts.backend ?? backendUrl();
  const target = new URL(incoming.pathname + incoming.search, `${base}/`);

  const headers = new Headers();
  for (const h of FORWARD_REQUEST_HEADERS) {
    const v = req.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  const fwdFor = req.headers.get('x-forwarded-for');
  if (fwdFor) headers.set('x-forwarded-for', fwdFor);
  headers.set('x-forwarded-host', incoming.host);
  headers.set('x-forwarded-proto', incoming.protocol.replace(':', ''));

  let body: ArrayBuffer | undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    body = await req.arrayBuffer();
    if (body.byteLength > MAX_BODY_BYTES) {
      return jsonError(413, 'request too large', `bodies over ${MAX_BODY_BYTES} bytes are refused`);
    }
  }

  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(target, {
      method: req.method,
      headers,
      body,
      redirect: 'manual',
      cache: 'no-store',
      signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    return jsonError(
      timedOut ? 504 : 502,
      timedOut ? 'backend timeout' : 'backend unreachable',
      `${req.method} ${target.pathname} via ${base}: ${e.message}`,
    );
  }

  const out = new Headers();
  for (const h of FORWARD_RESPONSE_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) out.set(h, v);
  }
  if (!out.has('cache-control')) out.set('cache-control', 'no-store');
  const payload = req.method === 'HEAD' || res.status === 204 || res.status === 304 ? null : await res.arrayBuffer();
  return new Response(payload, { status: res.status, statusText: res.statusText, headers: out });
}
