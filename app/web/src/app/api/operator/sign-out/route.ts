import { clearedCookie } from '@/lib/server/operator';
import { crossSite, seeOther } from '@/lib/server/formPost';

export const dynamic = 'force-dynamic';

/** Ends the operator's browser sign-in (the cookie is cleared) and returns to /status. */
export function POST(request: Request): Response {
  if (crossSite(request)) return Response.json({ error: 'cross-site sign-out refused' }, { status: 403 });
  return seeOther('/status', { 'Set-Cookie': clearedCookie });
}
