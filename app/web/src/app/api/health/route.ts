import { checkOperator, refusal } from '@/lib/server/operator';
import { healthSummaryResponse, reportResponse } from '@/lib/server/reports';

// The health report changes every polling round: never cache, always read the file.
export const dynamic = 'force-dynamic';

// Everyone gets the overall status, whatever credential the request carries (a player's app may
// send its session token). The full report (URLs, failures) is `?detail=full`, for the operator
// credential only: asking for it with anything else is refused and counted as a failed guess.
export async function GET(request: Request): Promise<Response> {
  if (new URL(request.url).searchParams.get('detail') !== 'full') return healthSummaryResponse();
  const check = checkOperator(request);
  if (!check.ok) return refusal(check);
  return reportResponse('health');
}
