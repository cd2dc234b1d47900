// Per-request Content-Security-Policy with a nonce (Next applies it to its own scripts) and the
// WebSocket origin from the runtime environment. Proxy runs on the Node.js runtime in Next 16,
// so process.env is read when the request arrives, not when the image was built.
import { type NextRequest, NextResponse } from 'next/server';
import { assetOriginOf, contentSecurityPolicy } from '@/lib/server/securityHeaders';
import { wsOrigin } from '@/lib/server/runtimeConfig';

export function proxy(request: NextRequest): NextResponse {
  const nonce = Buffer.from(crypto.randomUUID()).toString('base64');
  const csp = contentSecurityPolicy({
    nonce,
    wsOrigin: wsOrigin(),
    // Inlined at build time from next.config (env), matching the build's assetPrefix.
    assetOrigin: assetOriginOf(process.env.NEXT_PUBLIC_ASSET_PREFIX),
    dev: process.env.NODE_ENV === 'development',
    https:
      request.nextUrl.protocol === 'https:' ||
      request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https',
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', csp);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only: API answers are JSON, static files are served by the CDN.
      source: '/((?!api/|_next/static|_next/image|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
