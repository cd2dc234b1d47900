import { reportResponse } from '@/lib/server/reports';

// The health report changes every polling round: never cache, always read the file.
export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return reportResponse('health');
}
