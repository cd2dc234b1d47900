'use client';

import { useApp } from './AppProvider';

const LABELS = {
  offline: 'Offline',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  expired: 'Session expired',
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
  const cls =
    status === 'open'
      ? 'badge-ok'
      : status === 'reconnecting'
        ? 'badge-warn'
        : status === 'expired'
          ? 'badge-bad'
          : 'badge-muted';
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

/**
 * Shown when the server refuses the session token (expired, or the backend's key changed): the
 * client has stopped reconnecting, and the only way on is a new session.
 */
export function SessionExpired() {
  const { status, logout } = useApp();
  if (status !== 'expired') return null;
  return (
    <div className="alert row session-expired" role="alert" data-testid="session-expired">
      <span>Your session has expired. Log in again to keep playing.</span>
      <button type="button" onClick={logout} data-testid="relogin">
        Log in again
      </button>
    </div>
  );
}
