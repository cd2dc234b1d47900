import {
  clientAddress,
  operatorConfig,
  operatorLimiter,
  secretMatches,
  sessionCookie,
} from '@/lib/server/operator';
import { crossSite, seeOther } from '@/lib/server/formPost';

export const dynamic = 'force-dynamic';

/**
 * Operator sign-in from the /operator form (application/x-www-form-urlencoded, field `secret`).
 * Success: 303 to /status with the signed session cookie. Failure: 303 back to the form with
 * the reason, and the failure counted against the client (FailureLimiter).
 */
export async function POST(request: Request): Promise<Response> {
  if (crossSite(request)) return Response.json({ error: 'cross-site sign-in refused' }, { status: 403 });
  const cfg = operatorConfig();
  if (cfg.kind === 'off') return seeOther('/operator?error=off');
  const limiter = operatorLimiter();
  const client = clientAddress(request.headers);
  const now = Date.now();
  if (limiter.retryAfter(client, now) > 0) return seeOther('/operator?error=limited');
  let given = '';
  try {
    const v = (await request.formData()).get('secret');
    given = typeof v === 'string' ? v : '';
  } catch {
    return Response.json({ error: 'expected a form with the field secret' }, { status: 400 });
  }
  if (given.length > 0 && given.length <= 1024 && secretMatches(given, cfg.secret)) {
    return seeOther('/status', { 'Set-Cookie': sessionCookie(cfg.secret, now) });
  }
  limiter.fail(client, now);
  return seeOther('/operator?error=wrong');
}
