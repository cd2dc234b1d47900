import { runtimeConfig } from '@/lib/server/runtimeConfig';

// Read from the environment on every request: the container's env decides, not the build.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  try {
    return Response.json(runtimeConfig(), { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    return Response.json(
      { error: 'bad runtime configuration', detail: (err as Error).message },
      { status: 500, headers: { 'Cache-Control': 'no-store' } },
    );
  }
}
