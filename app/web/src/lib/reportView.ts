// Turns the utilities' reports (docs/reports.md; shapes in docs/design/backend.md) into what the
// /status page shows. Reports are read defensively: a missing field shows as "–", never a crash.

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export type Level = 'ok' | 'degraded' | 'down' | 'unknown';

const level = (x: unknown): Level => (x === 'ok' || x === 'degraded' || x === 'down' ? x : 'unknown');

export interface HealthTarget {
  url: string;
  status: Level;
  checks: number | null;
  ok200: number | null;
  ratio200: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  lastStatus: number | null;
  lastCheckedAt: string | null;
  lastFailure: { at: string | null; status: number | null; reason: string | null; detail: string | null } | null;
}

export interface HealthView {
  status: Level;
  generatedAt: string | null;
  threshold: number | null;
  window: number | null;
  timeoutMs: number | null;
  targets: HealthTarget[];
}

export function healthView(r: Obj): HealthView {
  const targets = Array.isArray(r.targets) ? r.targets : [];
  return {
    status: level(r.status),
    generatedAt: str(r.generatedAt),
    threshold: num(r.threshold),
    window: num(r.window),
    timeoutMs: num(r.timeoutMs),
    targets: targets.filter(isObj).map((t) => ({
      url: str(t.url) ?? '(no url)',
      status: level(t.status),
      checks: num(t.checks),
      ok200: num(t.ok200),
      ratio200: num(t.ratio200),
      p50Ms: num(t.p50Ms),
      p95Ms: num(t.p95Ms),
      lastStatus: num(t.lastStatus),
      lastCheckedAt: str(t.lastCheckedAt),
      lastFailure: isObj(t.lastFailure)
        ? {
            at: str(t.lastFailure.at),
            status: num(t.lastFailure.status),
            reason: str(t.lastFailure.reason),
            detail: str(t.lastFailure.detail),
          }
        : null,
    })),
  };
}

export interface ServiceResource {
  arn: string;
  service: string;
  resourceType: string;
  name: string;
}

export interface ServicesView {
  generatedAt: string | null;
  region: string | null;
  project: string | null;
  stack: string | null;
  account: string | null;
  /** false when some AWS call failed (then `errors` says which); null when the report omits it. */
  complete: boolean | null;
  resources: ServiceResource[];
  /** Resource count per service, sorted by service name. */
  counts: Array<[string, number]>;
  summaries: Array<[string, unknown]>;
  errors: Array<{ service: string; message: string; action: string | null; code: string | null; region: string | null }>;
}

export function servicesView(r: Obj): ServicesView {
  const resources = (Array.isArray(r.resources) ? r.resources : []).filter(isObj).map((x) => ({
    arn: str(x.arn) ?? '',
    service: str(x.service) ?? 'unknown',
    resourceType: str(x.resourceType) ?? '',
    name: str(x.name) ?? '',
  }));
  const counts = new Map<string, number>();
  for (const x of resources) counts.set(x.service, (counts.get(x.service) ?? 0) + 1);
  return {
    generatedAt: str(r.generatedAt),
    region: str(r.region),
    project: str(r.project),
    stack: str(r.stack),
    account: str(r.account),
    complete: typeof r.complete === 'boolean' ? r.complete : null,
    resources,
    counts: [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0])),
    summaries: isObj(r.summaries) ? Object.entries(r.summaries).sort((a, b) => a[0].localeCompare(b[0])) : [],
    errors: (Array.isArray(r.errors) ? r.errors : [])
      .filter(isObj)
      .map((e) => ({
        service: str(e.service) ?? 'unknown',
        message: str(e.message) ?? JSON.stringify(e),
        action: str(e.action),
        code: str(e.code),
        region: str(e.region),
      })),
  };
}

export const dash = (x: number | string | null | undefined): string => (x === null || x === undefined ? '–' : String(x));

export function percent(ratio: number | null): string {
  return ratio === null ? '–' : `${(ratio * 100).toFixed(ratio === 1 ? 0 : 1)} %`;
}
