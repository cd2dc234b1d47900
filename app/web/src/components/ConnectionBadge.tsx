'use client';

import { useApp } from './AppProvider';

const LABELS = {
  offline: 'Offline',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
} as const;

/** Connection state of the real-time socket; a live region so a drop is announced. */
export function ConnectionBadge() {
  const { status, session, lagMs, configError } = useApp();
  if (configError) {
    return (
      <span className="badge badge-bad" role="status" data-testid="connection-status" data-status="config-error">
        Config error
      </span>
    );
  }
  if (!session) return null;
  const cls = status === 'open' ? 'badge-ok' : status === 'reconnecting' ? 'badge-warn' : 'badge-muted';
  return (
    <span
      className={`badge ${cls}`}
      role="status"
      aria-live="polite"
      data-testid="connection-status"
      data-status={status}
      title={status === 'open' ? `lag ≈ ${lagMs} ms` : undefined}
    >
      {LABELS[status]}
    </span>
  );
}
