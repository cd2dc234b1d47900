import type { NextConfig } from 'next';
import { STATIC_SECURITY_HEADERS } from './src/lib/server/securityHeaders';

// Build-time only: the CloudFront/S3 origin (and optional path) the static assets are uploaded
// to, e.g. https://d111111abcdef8.cloudfront.net. Unset => assets are served by this server.
const assetPrefix = process.env.ASSET_PREFIX?.trim().replace(/\/+$/, '') || undefined;

const nextConfig: NextConfig = {
  output: 'standalone',
  assetPrefix,
  poweredByHeader: false,
  // Test fixtures are not part of the server (the report routes read REPORTS_DIR at runtime).
  outputFileTracingExcludes: { '/*': ['src/test/**'] },
  reactStrictMode: true,
  // The proxy builds the CSP at runtime and needs to know the asset origin of this build.
  env: { NEXT_PUBLIC_ASSET_PREFIX: assetPrefix ?? '' },
  async headers() {
    return [{ source: '/:path*', headers: [...STATIC_SECURITY_HEADERS] }];
  },
};

export default nextConfig;
