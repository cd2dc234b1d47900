'use client';

// The latest running games of everyone (GET /api/games/live), with a click to watch.
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { apiJson } from '@/lib/api';
import { type RunningGame, parseRunningGames, runningGameAction } from '@/lib/presence';
import type { PlayerRef } from '@/lib/realtime/protocol';

const REFRESH_MS = 10_000;

const rated = (p: PlayerRef) => (p.rating !== undefined ? ` (${Math.round(p.rating)}${p.provisional ? '?' : ''})` : '');

export function LiveGames({ viewer }: { viewer: string | null }) {
  const [games, setGames] = useState<RunningGame[] | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    const load = () =>
      apiJson('/api/games/live?limit=10', { signal: ac.signal }).then(
        (d) => setGames(parseRunningGames(d)),
        () => undefined,
      );
    void load();
    const t = setInterval(() => void load(), REFRESH_MS);
    return () => {
      ac.abort();
      clearInterval(t);
    };
  }, []);
  return (
    <section className="card" aria-labelledby="live-games-heading" data-testid="live-games">
      <h2 id="live-games-heading">Live games</h2>
      {games === null ? (
        <p className="muted">Loading…</p>
      ) : games.length === 0 ? (
        <p className="muted">No games running right now.</p>
      ) : (
        <ul className="plain-list">
          {games.map((g) => {
            const action = runningGameAction(g, viewer);
            return (
              <li key={g.id} className="row" data-testid={`live-game-${g.id}`}>
                <span>
                  {g.white.name}
                  <span className="muted">{rated(g.white)}</span> vs {g.black.name}
                  <span className="muted">{rated(g.black)}</span> · {g.tc} {g.rated ? 'rated' : 'casual'}
                </span>
                <Link href={`/game/${encodeURIComponent(g.id)}`} aria-label={`${action} ${g.white.name} vs ${g.black.name}`}>
                  {action}
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
