'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useApp } from './AppProvider';
import { ConnectionBadge } from './ConnectionBadge';

// No link to /status: the service listing is for operators (they sign in at /operator);
// players reach the overall indicator at /status directly.
const LINKS = [
  { href: '/', label: 'Play' },
  { href: '/leaderboard', label: 'Leaderboard' },
];

export function Nav() {
  const pathname = usePathname();
  const { session, logout } = useApp();
  return (
    <header className="site-header">
      <nav aria-label="Main">
        <Link href="/" className="brand">
          <span aria-hidden="true">♞</span>
          <span className="brand-text"> Chess</span>
        </Link>
        <ul>
          {LINKS.map((l) => (
            <li key={l.href}>
              <Link href={l.href} aria-current={pathname === l.href ? 'page' : undefined}>
                {l.label}
              </Link>
            </li>
          ))}
          {session && (
            <li className="nav-user-item">
              <Link
                href={`/player/${encodeURIComponent(session.name)}`}
                className="nav-user"
                title={session.name}
                data-testid="nav-profile"
              >
                {session.name}
              </Link>
            </li>
          )}
        </ul>
      </nav>
      <div className="header-right">
        <ConnectionBadge />
        {session && (
          <button type="button" className="link-button" onClick={logout} data-testid="logout">
            Log out
          </button>
        )}
      </div>
    </header>
  );
}
