// Backend API path (GET /api/session: is this bearer token still valid?), forwarded to
// BACKEND_URL at request time (see lib/server/backend.ts). In AWS the ALB routes it to the
// backend with the other /api/session* paths and this handler is never reached.
import { forwardToBackend } from '@/lib/server/backend';

export const dynamic = 'force-dynamic';

export const GET = (req: Request): Promise<Response> => forwardToBackend(req);
export const HEAD = GET;
