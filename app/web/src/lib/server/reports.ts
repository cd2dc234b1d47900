// Reads the utilities' JSON reports (scripts/health-check.sh, scripts/list-services.sh) from the
// shared volume. The scripts write atomically (temp file + rename), so a read never sees half a file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Level, healthView } from '@/lib/reportView';

export const DEFAULT_REPORTS_DIR = '/var/run/chess-reports';

export type ReportName = 'health' | 'services';

export type ReportRead =
  | { kind: 'ok'; data: Record<string, unknown> }
  | { kind: 'missing'; file: string }
  | { kind: 'invalid'; file: string; message: string };

export function reportsDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.REPORTS_DIR?.trim();
  return dir ? dir : DEFAULT_REPORTS_DIR;
}

export function reportFile(name: ReportName, dir: string): string {
  return path.join(dir, `${name}.json`);
}

export async function readReport(name: ReportName, dir: string): Promise<ReportRead> {
  const file = reportFile(name, dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing', file };
    return { kind: 'invalid', file, message: `cannot read ${file}: ${(err as Error).message}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { kind: 'invalid', file, message: `${file} is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { kind: 'invalid', file, message: `${file} is not a JSON object` };
  }
  return { kind: 'ok', data: data as Record<string, unknown> };
}

const NO_STORE = { 'Cache-Control': 'no-store, max-age=0', 'Content-Type': 'application/json; charset=utf-8' };

/** The HTTP answer for /api/health and /api/services: 200 report, 503 none yet, 500 unreadable. */
export async function reportResponse(name: ReportName, dir: string = reportsDir()): Promise<Response> {
  const r = await readReport(name, dir);
  switch (r.kind) {
    case 'ok':
      return new Response(JSON.stringify(r.data), { status: 200, headers: NO_STORE });
    case 'missing':
      return new Response(
        JSON.stringify({
          error: 'no report yet',
          report: name,
          detail: `${path.basename(r.file)} has not been written yet; the ${name === 'health' ? 'health-check' : 'service-listing'} utility writes it into REPORTS_DIR`,
        }),
        { status: 503, headers: { ...NO_STORE, 'Retry-After': '30' } },
      );
    case 'invalid':
      return new Response(JSON.stringify({ error: 'report unreadable', report: name, detail: r.message }), {
        status: 500,
        headers: NO_STORE,
      });
  }
}

/** What players may know of the health report: the overall level and when it was computed. */
export interface HealthSummary {
  schema: 'chess.health-summary/v1';
  status: Level;
  generatedAt: string | null;
}

export function healthSummary(r: ReportRead): HealthSummary {
  if (r.kind !== 'ok') return { schema: 'chess.health-summary/v1', status: 'unknown', generatedAt: null };
  const v = healthView(r.data);
  return { schema: 'chess.health-summary/v1', status: v.status, generatedAt: v.generatedAt };
}

/**
 * The public answer of /api/health: the summary only, never the URLs, failures or file paths
 * of the full report (operators get that). 503 while there is no report, 500 when unreadable.
 */
export async function healthSummaryResponse(dir: string = reportsDir()): Promise<Response> {
  const r = await readReport('health', dir);
  switch (r.kind) {
    case 'ok':
      return new Response(JSON.stringify(healthSummary(r)), { status: 200, headers: NO_STORE });
    case 'missing':
      return new Response(JSON.stringify({ error: 'no report yet', report: 'health' }), {
        status: 503,
        headers: { ...NO_STORE, 'Retry-After': '30' },
      });
    case 'invalid':
      return new Response(JSON.stringify({ error: 'report unreadable', report: 'health' }), { status: 500, headers: NO_STORE });
  }
}
