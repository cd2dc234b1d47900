// Runtime configuration for the browser, read from the environment on every request (never
// inlined at build time), so one image serves every stage: the WebSocket URL points at the
// backend's /ws (direct) or at the API Gateway stage (apigw).

export type Transport = 'direct' | 'apigw';

export interface RuntimeConfig {
  wsUrl: string;
  transport: Transport;
}

export const DEFAULT_BACKEND_URL = 'http://127.0.0.1:8080';

export function backendUrl(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.BACKEND_URL?.trim();
  return v ? v.replace(/\/+$/, '') : DEFAULT_BACKEND_URL;
}

/** ws(s)://<backend>/ws derived from BACKEND_URL: the local default when CHESS_WS_URL is unset. */
export function derivedWsUrl(env: NodeJS.ProcessEnv = process.env): string {
  const u = new URL(backendUrl(env));
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/ws`;
  u.search = '';
  return u.toString();
}

export function runtimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const raw = env.CHESS_WS_URL?.trim() || derivedWsUrl(env);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`CHESS_WS_URL is not a URL: ${raw}`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new Error(`CHESS_WS_URL must start with ws:// or wss://, got ${raw}`);
  }
  if (u.searchParams.has('token')) {
    throw new Error('CHESS_WS_URL must not contain a token; the client adds its own');
  }
  const t = env.CHESS_WS_TRANSPORT?.trim();
  let transport: Transport;
  if (t === 'direct' || t === 'apigw') transport = t;
  else if (!t) transport = u.hostname.includes('.execute-api.') ? 'apigw' : 'direct';
  else throw new Error(`CHESS_WS_TRANSPORT must be "direct" or "apigw", got ${t}`);
  return { wsUrl: u.toString(), transport };
}

/** The origin to allow in CSP connect-src for the configured WebSocket URL, or null if invalid. */
export function wsOrigin(env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    const u = new URL(runtimeConfig(env).wsUrl);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}
