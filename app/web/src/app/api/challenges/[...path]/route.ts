// Backend API path: forwarded to BACKEND_URL at request time (see lib/server/backend.ts).
// In AWS the ALB routes this path to the backend service and this handler is never reached.
import { forwardToBackend } from '@/lib/server/backend';

export const dynamic = 'force-dynamic';

export const GET = (req: Request): Promise<Response> => forwardToBackend(req);
export const HEAD = GET;
export const POST = GET;
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
