import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { OPERATOR_COOKIE, hasOperatorSession, operatorConfig } from '@/lib/server/operator';

export const metadata: Metadata = { title: 'Operator sign-in', robots: { index: false } };
export const dynamic = 'force-dynamic';

const ERRORS: Record<string, string> = {
  wrong: 'That is not the operator secret.',
  limited: 'Too many failed sign-ins from here. Wait a quarter of an hour and try again.',
  off: 'Operator access is not configured on this server.',
};

/**
 * The operator signs in with the secret (Secrets Manager in AWS, printed by `make dev` locally).
 * A plain form POST, no script: the handler sets an httpOnly cookie and redirects to /status.
 */
export default async function OperatorPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { error } = await searchParams;
  const message = typeof error === 'string' ? ERRORS[error] : undefined;
  if (hasOperatorSession((await cookies()).get(OPERATOR_COOKIE)?.value)) {
    return (
      <>
        <h1>Operator</h1>
        <p data-testid="operator-signed-in">
          You are signed in as the operator. <Link href="/status">Open the status page</Link>.
        </p>
      </>
    );
  }
  const cfg = operatorConfig();
  return (
    <>
      <h1>Operator sign-in</h1>
      <section className="card" aria-labelledby="operator-heading">
        <h2 id="operator-heading">Operator secret</h2>
        <p className="muted">
          The health checks per URL and the service listing (account, ARNs, endpoints) are for operators. Players see
          the overall status on <Link href="/status">the status page</Link>.
        </p>
        {message && (
          <p className="alert" role="alert" data-testid="operator-error">
            {message}
          </p>
        )}
        {cfg.kind === 'on' ? (
          <form method="post" action="/api/operator/session" aria-label="Operator sign-in">
            <label>
              Secret{' '}
              <input
                type="password"
                name="secret"
                required
                autoComplete="current-password"
                spellCheck={false}
                data-testid="operator-secret"
              />
            </label>{' '}
            <button type="submit" data-testid="operator-sign-in">
              Sign in
            </button>
          </form>
        ) : (
          <p className="notice" data-testid="operator-off">
            Operator access is not configured on this server.
          </p>
        )}
      </section>
    </>
  );
}
