// Backend API path (POST /api/session/renew: a fresh token for the player of a still-valid
// bearer token), forwarded to BACKEND_URL at request time (see lib/server/backend.ts). In AWS
// the ALB routes it to the backend (infra/ecsservices BackendPaths) and this handler is never
// reached.
import { forwardToBackend } from '@/lib/server/backend';

export const dynamic = 'force-dynamic';

export const POST = (req: Request): Promise<Response> => forwardToBackend(req);
