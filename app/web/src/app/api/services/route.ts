import { checkOperator, refusal } from '@/lib/server/operator';
import { reportResponse } from '@/lib/server/reports';

export const dynamic = 'force-dynamic';

// The listing names the account, ARNs and endpoints: operators only (docs/reports.md, "Who sees what").
export async function GET(request: Request): Promise<Response> {
  const check = checkOperator(request);
  if (!check.ok) return refusal(check);
  return reportResponse('services');
}
