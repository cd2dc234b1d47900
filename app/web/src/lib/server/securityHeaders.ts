// Security headers. The CSP is built per request in proxy.ts because it names the WebSocket
// origin from runtime config (CHESS_WS_URL) and carries a fresh script nonce; the rest are static.

export const STATIC_SECURITY_HEADERS: ReadonlyArray<{ key: string; value: string }> = [
  { key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains; preload' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  {
    key: 'Permissions-Policy',
    value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
  },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
];

export interface CspInput {
  nonce: string;
  /** Origin of the configured WebSocket endpoint (ws://host:port or wss://host), if valid. */
  wsOrigin: string | null;
  /** Origin of the static asset CDN (assetPrefix), if any. */
  assetOrigin: string | null;
  dev: boolean;
  /** The page was requested over HTTPS (directly or via the ALB/CloudFront). */
  https: boolean;
}

export function contentSecurityPolicy({ nonce, wsOrigin, assetOrigin, dev, https }: CspInput): string {
  const asset = assetOrigin ? ` ${assetOrigin}` : '';
  const connect = ["'self'", wsOrigin, dev ? 'ws:' : null].filter(Boolean).join(' ');
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts loaded by the nonced Next.js bootstrap (from the CDN too) may run.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}${asset}`,
    // react-chessboard positions pieces with inline style attributes, which nonces cannot cover.
    `style-src 'self' 'unsafe-inline'${asset}`,
    `img-src 'self' data: blob:${asset}`,
    `font-src 'self' data:${asset}`,
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    // Only behind TLS: on plain-http local runs it would turn ws:// into wss:// and break them.
    ...(https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** The origin part of an assetPrefix like https://d123.cloudfront.net/web, or null for a path. */
export function assetOriginOf(prefix: string | undefined): string | null {
  if (!prefix) return null;
  try {
    const u = new URL(prefix);
    return u.protocol === 'https:' || u.protocol === 'http:' ? `${u.protocol}//${u.host}` : null;
  } catch {
    return null;
  }
}
