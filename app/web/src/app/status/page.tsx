import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { type ReactNode } from 'react';
import { OPERATOR_COOKIE, hasOperatorSession } from '@/lib/server/operator';
import { type ReportRead, healthSummary, readReport, reportsDir } from '@/lib/server/reports';
import { type Level, dash, healthView, percent, servicesView } from '@/lib/reportView';
import { TableScroll } from '@/components/TableScroll';

export const metadata: Metadata = { title: 'Status' };
// Read the reports and the operator cookie on every request, like /api/health and /api/services.
export const dynamic = 'force-dynamic';

const LEVEL_CLASS: Record<Level, string> = {
  ok: 'status-ok',
  degraded: 'status-degraded',
  down: 'status-down',
  unknown: 'muted',
};

function Missing({ what, r }: { what: string; r: ReportRead }) {
  if (r.kind === 'missing') {
    return (
      <p className="notice" data-testid={`${what}-missing`}>
        No report yet. The {what === 'health' ? 'health-check' : 'service-listing'} utility has not written one.
      </p>
    );
  }
  if (r.kind === 'invalid') {
    return (
      <p className="alert" role="alert" data-testid={`${what}-invalid`}>
        The report cannot be read: {r.message}
      </p>
    );
  }
  return null;
}

function time(s: string | null): ReactNode {
  return s ? <time dateTime={s}>{s}</time> : '–';
}

function Health({ r }: { r: ReportRead }) {
  if (r.kind !== 'ok') return <Missing what="health" r={r} />;
  const v = healthView(r.data);
  return (
    <>
      <p data-testid="health-overall">
        Overall: <strong className={LEVEL_CLASS[v.status]}>{v.status}</strong> · threshold {percent(v.threshold)} of
        answers 200 · window {dash(v.window)} checks · timeout {v.timeoutMs === null ? '–' : `${v.timeoutMs} ms`} · generated{' '}
        {time(v.generatedAt)}
      </p>
      {v.targets.length === 0 ? (
        <p className="muted">The report lists no URLs.</p>
      ) : (
        <TableScroll label="Health per URL">
          <table data-testid="health-table">
            <caption className="sr-only">Health per URL</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Checks</th>
                <th scope="col" className="num">200s</th>
                <th scope="col" className="num">200 ratio</th>
                <th scope="col" className="num">p50</th>
                <th scope="col" className="num">p95</th>
                <th scope="col" className="num">Last</th>
                <th scope="col">Last checked</th>
                <th scope="col">Last failure</th>
              </tr>
            </thead>
            <tbody>
              {v.targets.map((t) => (
                <tr key={t.url}>
                  <th scope="row">{t.url}</th>
                  <td className={LEVEL_CLASS[t.status]}>{t.status}</td>
                  <td className="num">{dash(t.checks)}</td>
                  <td className="num">{dash(t.ok200)}</td>
                  <td className="num">{percent(t.ratio200)}</td>
                  <td className="num">{t.p50Ms === null ? '–' : `${t.p50Ms} ms`}</td>
                  <td className="num">{t.p95Ms === null ? '–' : `${t.p95Ms} ms`}</td>
                  <td className="num">{dash(t.lastStatus)}</td>
                  <td>{time(t.lastCheckedAt)}</td>
                  <td>
                    {t.lastFailure ? (
                      <>
                        {time(t.lastFailure.at)} {dash(t.lastFailure.status)} {t.lastFailure.reason ?? ''}
                        {t.lastFailure.detail ? ` (${t.lastFailure.detail})` : ''}
                      </>
                    ) : (
                      'none'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}

/** Renders a summary of any shape: objects as term lists, arrays as lists, scalars as text. */
function Value({ v }: { v: unknown }): ReactNode {
  if (v === null || v === undefined) return <span className="muted">–</span>;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return <span className="muted">none</span>;
    return (
      <ul className="tree">
        {v.map((x, i) => (
          <li key={i}>
            <Value v={x} />
          </li>
        ))}
      </ul>
    );
  }
  return (
    <dl className="tree">
      {Object.entries(v as Record<string, unknown>).map(([k, x]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <Value v={x} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Services({ r }: { r: ReportRead }) {
  if (r.kind !== 'ok') return <Missing what="services" r={r} />;
  const v = servicesView(r.data);
  return (
    <>
      <p data-testid="services-overview">
        {v.resources.length} resources · project {dash(v.project)} · stack {dash(v.stack)} · region {dash(v.region)} ·
        account {dash(v.account)} · generated {time(v.generatedAt)}
        {v.complete === false && (
          <>
            {' '}
            · <strong className="status-degraded">incomplete listing</strong>
          </>
        )}
      </p>
      {v.errors.length > 0 && (
        <div className="alert" data-testid="services-errors">
          <h3>Errors while listing</h3>
          <ul>
            {v.errors.map((e, i) => (
              <li key={i}>
                <strong>{e.service}</strong>
                {e.region ? ` (${e.region})` : ''}: {e.code ? `${e.code}: ` : ''}
                {e.message}
                {e.action ? <span className="muted"> — needs {e.action}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      )}
      <h3>Per service</h3>
      {v.summaries.length === 0 && v.counts.length === 0 ? (
        <p className="muted">No services listed.</p>
      ) : (
        <TableScroll label="Services by type">
          <table data-testid="services-summaries">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col" className="num">Resources</th>
                <th scope="col">Summary</th>
              </tr>
            </thead>
            <tbody>
              {[...new Set([...v.counts.map(([s]) => s), ...v.summaries.map(([s]) => s)])].sort().map((s) => (
                <tr key={s}>
                  <th scope="row">{s}</th>
                  <td className="num">{v.counts.find(([x]) => x === s)?.[1] ?? 0}</td>
                  <td>
                    {v.summaries.some(([x]) => x === s) ? (
                      <Value v={v.summaries.find(([x]) => x === s)![1]} />
                    ) : (
                      '–'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {v.resources.length > 0 && (
        <details>
          <summary>All {v.resources.length} resources</summary>
          <TableScroll label="All resources">
            <table data-testid="services-resources">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Type</th>
                  <th scope="col">Name</th>
                  <th scope="col">ARN</th>
                </tr>
              </thead>
              <tbody>
                {v.resources.map((x) => (
                  <tr key={x.arn || `${x.service}/${x.name}`}>
                    <td>{x.service}</td>
                    <td>{x.resourceType}</td>
                    <td>{x.name}</td>
                    <td>
                      <code>{x.arn}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </details>
      )}
    </>
  );
}

const PUBLIC_TEXT: Record<Level, string> = {
  ok: 'All systems operational',
  degraded: 'Some checks are failing: the platform may be slow or partly unavailable',
  down: 'Service disruption: the platform is not answering',
  unknown: 'Status not available yet',
};

/** What players see: one overall indicator from the health report, no URLs, ARNs or files. */
function PublicStatus({ health }: { health: ReportRead }) {
  const s = healthSummary(health);
  return (
    <>
      <section className="card" aria-labelledby="overall-heading" data-testid="public-status" data-status={s.status}>
        <h2 id="overall-heading">Overall</h2>
        <p>
          <strong className={LEVEL_CLASS[s.status]}>{PUBLIC_TEXT[s.status]}</strong>
          {s.generatedAt && <> · checked {time(s.generatedAt)}</>}
        </p>
      </section>
      <p className="muted">
        Operators: <Link href="/operator">sign in</Link> for the health checks and the service listing.
      </p>
    </>
  );
}

export default async function StatusPage() {
  const dir = reportsDir();
  const operator = hasOperatorSession((await cookies()).get(OPERATOR_COOKIE)?.value);
  if (!operator) {
    return (
      <>
        <h1>Platform status</h1>
        <PublicStatus health={await readReport('health', dir)} />
      </>
    );
  }
  const [health, services] = await Promise.all([readReport('health', dir), readReport('services', dir)]);
  return (
    <>
      <h1>Platform status</h1>
      <div className="notice operator-bar" data-testid="operator-view">
        <span>Operator view: this page shows account details. Do not share screenshots of it.</span>
        <form method="post" action="/api/operator/sign-out">
          <button type="submit" className="link-button" data-testid="operator-sign-out">
            Sign out
          </button>
        </form>
      </div>
      <section className="card" aria-labelledby="health-heading" data-testid="health-report" data-kind={health.kind}>
        <h2 id="health-heading">Health checks</h2>
        <Health r={health} />
      </section>
      <section className="card" aria-labelledby="services-heading" data-testid="services-report" data-kind={services.kind}>
        <h2 id="services-heading">Services</h2>
        <Services r={services} />
      </section>
      <p className="muted">
        Raw reports: <a href="/api/health?detail=full">/api/health?detail=full</a> · <a href="/api/services">/api/services</a>
      </p>
    </>
  );
}
