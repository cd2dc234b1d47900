import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { AppProvider } from '@/components/AppProvider';
import { ChallengeBanner } from '@/components/challenges/ChallengeBanner';
import { SessionExpired } from '@/components/ConnectionBadge';
import { Nav } from '@/components/Nav';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Chess', template: '%s · Chess' },
  description: 'Play chess in real time',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request: the CSP nonce (proxy.ts) is applied during rendering.
  await connection();
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <AppProvider>
          <Nav />
          <main id="main" tabIndex={-1}>
            <SessionExpired />
            <ChallengeBanner />
            {children}
          </main>
        </AppProvider>
      </body>
    </html>
  );
}
