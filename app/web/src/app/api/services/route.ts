import { reportResponse } from '@/lib/server/reports';

export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return reportResponse('services');
}
