// Helpers for the operator forms' POST handlers.

/**
 * A form POST from another site. Browsers send Sec-Fetch-Site on every request; without it
 * (curl, old browsers) the Origin header, when present, must be this request's own host.
 */
export function crossSite(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site !== 'same-origin';
  const origin = request.headers.get('origin');
  if (origin === null || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== request.headers.get('host');
  } catch {
    return true;
  }
}

/** 303 See Other to a path of this site (relative Location: right behind any proxy). */
export function seeOther(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { Location: location, 'Cache-Control': 'no-store', ...headers } });
}
