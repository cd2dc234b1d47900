'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { apiJson } from '@/lib/api';
import { minGamesOf } from '@/lib/leaderboard';
import { type LeaderEntry, SPEEDS, type Speed, parseLeaderboard } from '@/lib/playerData';

export function Leaderboard({ speed }: { speed: Speed }) {
  const [rows, setRows] = useState<{ speed: Speed; entries: LeaderEntry[]; minGames: number | null } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    apiJson(`/api/leaderboard?speed=${speed}&limit=50`, { signal: ac.signal }).then(
      (d) => {
        setRows({ speed, entries: parseLeaderboard(d), minGames: minGamesOf(d) });
        setError(null);
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setError(String(err));
      },
    );
    return () => ac.abort();
  }, [speed]);

  const entries = rows?.speed === speed ? rows.entries : null;
  const minGames = rows?.speed === speed ? rows.minGames : null;
  return (
    <>
      <h1>Leaderboard</h1>
      <nav aria-label="Speed" className="row">
        {SPEEDS.map((s) => (
          <Link
            key={s}
            href={`/leaderboard?speed=${s}`}
            className={`button ${s === speed ? '' : 'secondary'}`}
            aria-current={s === speed ? 'page' : undefined}
          >
            {s[0]!.toUpperCase() + s.slice(1)}
          </Link>
        ))}
      </nav>
      <section className="card" aria-label={`${speed} leaderboard`} style={{ marginTop: '1rem' }}>
        {error && (
          <p className="alert" role="alert">
            {error}
          </p>
        )}
        {!entries && !error && (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
        {entries && entries.length === 0 && <p className="muted">No rated {speed} players yet.</p>}
        {entries && (
          <p className="muted" data-testid="provisional-note">
            {minGames
              ? `Players appear after at least ${minGames} rated ${speed} games, when their rating is no longer provisional (shown with “?”). Against other new players it takes a few more.`
              : `Players appear when their ${speed} rating is no longer provisional (shown with “?”).`}
          </p>
        )}
        {entries && entries.length > 0 && (
          <table data-testid="leaderboard">
            <thead>
              <tr>
                <th scope="col" className="num">
                  #
                </th>
                <th scope="col">Player</th>
                <th scope="col" className="num">
                  Rating
                </th>
                <th scope="col" className="num">
                  Games
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.name}>
                  <td className="num">{e.rank}</td>
                  <td>
                    <Link href={`/player/${encodeURIComponent(e.name)}`}>{e.name}</Link>
                  </td>
                  <td className="num">{e.rating}</td>
                  <td className="num">{e.games}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
