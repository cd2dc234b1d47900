import { afterEach, describe, expect, it } from 'vitest';
import { GET as configGET } from '@/app/api/config/route';
import { backendUrl, derivedWsUrl, runtimeConfig, wsOrigin } from './runtimeConfig';
import { assetOriginOf, contentSecurityPolicy } from './securityHeaders';

const env = (e: Record<string, string>) => e as unknown as NodeJS.ProcessEnv;

describe('runtimeConfig', () => {
  it('defaults to the local backend /ws, direct', () => {
    expect(runtimeConfig(env({}))).toEqual({ wsUrl: 'ws://127.0.0.1:8080/ws', transport: 'direct' });
  });
  it('derives the WebSocket URL from BACKEND_URL', () => {
    expect(backendUrl(env({ BACKEND_URL: 'https://api.example.com/' }))).toBe('https://api.example.com');
    expect(derivedWsUrl(env({ BACKEND_URL: 'https://api.example.com' }))).toBe('wss://api.example.com/ws');
    expect(derivedWsUrl(env({ BACKEND_URL: 'http://10.0.0.1:9000' }))).toBe('ws://10.0.0.1:9000/ws');
  });
  it('takes CHESS_WS_URL and recognises API Gateway', () => {
    expect(runtimeConfig(env({ CHESS_WS_URL: 'wss://abc.execute-api.eu-west-1.amazonaws.com/prod' }))).toEqual({
      wsUrl: 'wss://abc.execute-api.eu-west-1.amazonaws.com/prod',
      transport: 'apigw',
    });
    expect(
      runtimeConfig(env({ CHESS_WS_URL: 'wss://ws.chess.example.com/live', CHESS_WS_TRANSPORT: 'apigw' })).transport,
    ).toBe('apigw');
    expect(runtimeConfig(env({ CHESS_WS_URL: 'wss://chess.example.com/ws' })).transport).toBe('direct');
  });
  it('rejects bad values with a clear message', () => {
    expect(() => runtimeConfig(env({ CHESS_WS_URL: 'https://x/ws' }))).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => runtimeConfig(env({ CHESS_WS_URL: 'nope' }))).toThrow(/not a URL/);
    expect(() => runtimeConfig(env({ CHESS_WS_URL: 'ws://x/ws?token=abc' }))).toThrow(/token/);
    expect(() => runtimeConfig(env({ CHESS_WS_TRANSPORT: 'sse' }))).toThrow(/direct.*apigw/);
  });
  it('gives the origin for CSP connect-src', () => {
    expect(wsOrigin(env({ CHESS_WS_URL: 'wss://abc.execute-api.eu-west-1.amazonaws.com/prod' }))).toBe(
      'wss://abc.execute-api.eu-west-1.amazonaws.com',
    );
    expect(wsOrigin(env({ CHESS_WS_URL: 'bad' }))).toBeNull();
  });
});

describe('/api/config', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  it('answers from the environment at request time, uncached', async () => {
    process.env.CHESS_WS_URL = 'wss://abc.execute-api.us-east-1.amazonaws.com/dev';
    const res = configGET();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ wsUrl: 'wss://abc.execute-api.us-east-1.amazonaws.com/dev', transport: 'apigw' });
    process.env.CHESS_WS_URL = 'ws://127.0.0.1:9999/ws';
    expect(await configGET().json()).toEqual({ wsUrl: 'ws://127.0.0.1:9999/ws', transport: 'direct' });
  });
  it('answers 500 for a misconfigured URL', async () => {
    process.env.CHESS_WS_URL = 'http://x/ws';
    const res = configGET();
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: 'bad runtime configuration' });
  });
});

describe('contentSecurityPolicy', () => {
  it('allows the WebSocket origin, the nonce and the asset CDN, and forbids framing', () => {
    const csp = contentSecurityPolicy({
      nonce: 'n0nce',
      wsOrigin: 'wss://abc.execute-api.eu-west-1.amazonaws.com',
      assetOrigin: 'https://d1.cloudfront.net',
      dev: false,
      https: true,
    });
    expect(csp).toContain("connect-src 'self' wss://abc.execute-api.eu-west-1.amazonaws.com");
    expect(csp).toContain("script-src 'self' 'nonce-n0nce' 'strict-dynamic' https://d1.cloudfront.net");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain('upgrade-insecure-requests');
  });
  it('does not upgrade requests on plain-http runs (local ws:// must keep working)', () => {
    const csp = contentSecurityPolicy({ nonce: 'x', wsOrigin: 'ws://127.0.0.1:8080', assetOrigin: null, dev: false, https: false });
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:8080");
  });
  it('allows eval only in development', () => {
    expect(contentSecurityPolicy({ nonce: 'x', wsOrigin: null, assetOrigin: null, dev: true, https: false })).toContain(
      "'unsafe-eval'",
    );
  });
  it('takes the origin of an assetPrefix URL only', () => {
    expect(assetOriginOf('https://d1.cloudfront.net/web')).toBe('https://d1.cloudfront.net');
    expect(assetOriginOf('/static')).toBeNull();
    expect(assetOriginOf(undefined)).toBeNull();
  });
});
