'use client';

// The signed-in player's running games, from the backend (GET /api/players/{name}/games?status=started),
// each with a link that resumes it: the game page seats a player of the game as that player.
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { apiJson } from '@/lib/api';
import { type RunningGame, colorIn, parseRunningGames, turnText } from '@/lib/presence';

/** How often the list is refreshed while the lobby is open. */
const REFRESH_MS = 10_000;

export function YourGames({ name }: { name: string }) {
  const [games, setGames] = useState<RunningGame[] | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    const load = () =>
      apiJson(`/api/players/${encodeURIComponent(name)}/games?status=started`, { signal: ac.signal }).then(
        (d) => setGames(parseRunningGames(d)),
        () => undefined, // keep what is shown; the next refresh tries again
      );
    void load();
    const t = setInterval(() => void load(), REFRESH_MS);
    return () => {
      ac.abort();
      clearInterval(t);
    };
  }, [name]);
  if (!games || games.length === 0) return null;
  return (
    <section className="card" aria-labelledby="your-games-heading" data-testid="your-games">
      <h2 id="your-games-heading">Your games</h2>
      <ul className="plain-list">
        {games.map((g) => {
          const mine = colorIn(g, name);
          const opp = mine === 'white' ? g.black : g.white;
          return (
            <li key={g.id} className="row" data-testid={`your-game-${g.id}`}>
              <span>
                vs <strong>{opp.name}</strong> · {g.tc} {g.rated ? 'rated' : 'casual'} ·{' '}
                <span data-testid="your-game-turn">{turnText(g, name)}</span>
              </span>
              <Link className="button" href={`/game/${encodeURIComponent(g.id)}`} aria-label={`Resume your game against ${opp.name}`}>
                Resume
              </Link>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
