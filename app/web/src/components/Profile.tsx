'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { ApiError, apiJson } from '@/lib/api';
import { resultText } from '@/lib/game/model';
import { resultNotation } from '@/lib/game/notation';
import { type GamesPage, type Profile as P, SPEEDS, outcomeFor, parseGamesPage, parseProfile, rankText } from '@/lib/playerData';
import { runningGameAction } from '@/lib/presence';
import { useApp } from './AppProvider';
import { RatingChart } from './RatingChart';
import { TableScroll } from './TableScroll';

const PAGE = 20;

export function Profile({ name }: { name: string }) {
  const viewer = useApp().session?.name;
  const [profile, setProfile] = useState<P | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Cursors of the pages seen so far: cursors[i] is the `before` of page i ('' = newest).
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<GamesPage | null>(null);
  const [pageError, setPageError] = useState<string | null>(null);
  const before = cursors[cursors.length - 1]!;

  useEffect(() => {
    const ac = new AbortController();
    apiJson(`/api/players/${encodeURIComponent(name)}`, { signal: ac.signal }).then(
      (d) => {
        const p = parseProfile(d);
        if (p) setProfile(p);
        else setError('Unexpected answer from the server.');
      },
      (err: unknown) => {
        if (ac.signal.aborted) return;
        setError(err instanceof ApiError && err.status === 404 ? `No player named ${name}.` : String(err));
      },
    );
    return () => ac.abort();
  }, [name]);

  useEffect(() => {
    const ac = new AbortController();
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (before) q.set('before', before);
    apiJson(`/api/players/${encodeURIComponent(name)}/games?${q}`, { signal: ac.signal }).then(
      (d) => {
        setPage(parseGamesPage(d));
        setPageError(null);
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setPageError(String(err));
      },
    );
    return () => ac.abort();
  }, [name, before]);

  if (error) {
    return (
      <>
        <h1>{name}</h1>
        <p className="alert" role="alert">
          {error}
        </p>
      </>
    );
  }

  return (
    <>
      <h1>
        {name} {profile?.guest && <span className="badge badge-muted">guest</span>}
      </h1>
      {!profile ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : (
        <div className="grid-2">
          <section className="card" aria-labelledby="ratings-heading">
            <h2 id="ratings-heading">Ratings</h2>
            <table data-testid="ratings">
              <thead>
                <tr>
                  <th scope="col">Speed</th>
                  <th scope="col" className="num">
                    Rating
                  </th>
                  <th scope="col" className="num">
                    Games
                  </th>
                  <th scope="col" className="num">
                    Rank
                  </th>
                </tr>
              </thead>
              <tbody>
                {SPEEDS.map((s) => {
                  const r = profile.ratings[s];
                  return (
                    <tr key={s} data-testid={`rating-${s}`}>
                      <th scope="row">{s[0]!.toUpperCase() + s.slice(1)}</th>
                      <td className="num">
                        {r ? (
                          <>
                            {r.rating}
                            {r.provisional && (
                              <abbr title="provisional: too few rated games for a reliable rating" aria-label="provisional">
                                ?
                              </abbr>
                            )}
                          </>
                        ) : (
                          '–'
                        )}
                      </td>
                      <td className="num">{r?.games ?? 0}</td>
                      <td className="num" data-testid={`rank-${s}`}>
                        {rankText(r?.rank ?? null, s) ?? (
                          <span title="ranked once the rating is no longer provisional" aria-label="not ranked">
                            –
                          </span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
          <section className="card" aria-labelledby="record-heading">
            <h2 id="record-heading">Record</h2>
            <dl className="row" data-testid="record">
              <div>
                <dt>Games</dt>
                <dd>{profile.games}</dd>
              </div>
              <div>
                <dt>Wins</dt>
                <dd>{profile.wins}</dd>
              </div>
              <div>
                <dt>Draws</dt>
                <dd>{profile.draws}</dd>
              </div>
              <div>
                <dt>Losses</dt>
                <dd>{profile.losses}</dd>
              </div>
            </dl>
          </section>
        </div>
      )}
      {profile && <RatingChart key={profile.name} profile={profile} />}
      <section className="card" aria-labelledby="history-heading">
        <h2 id="history-heading">Games</h2>
        {pageError && (
          <p className="alert" role="alert">
            {pageError}
          </p>
        )}
        {page && page.games.length === 0 && <p className="muted">No games {cursors.length > 1 ? 'on this page' : 'yet'}.</p>}
        {page && page.games.length > 0 && (
          <TableScroll label="Games played">
            <table data-testid="history">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">White</th>
                  <th scope="col">Black</th>
                  <th scope="col">Time</th>
                  <th scope="col">Result</th>
                  <th scope="col">
                    <span className="sr-only">Links</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.games.map((g) => {
                  const o = outcomeFor(g, name);
                  return (
                    <tr key={g.id}>
                      <td>{g.createdAt ? new Date(g.createdAt).toLocaleString() : ''}</td>
                      <td>
                        <Link href={`/player/${encodeURIComponent(g.white.name)}`}>{g.white.name}</Link>
                      </td>
                      <td>
                        <Link href={`/player/${encodeURIComponent(g.black.name)}`}>{g.black.name}</Link>
                      </td>
                      <td>
                        {g.tc} {g.rated ? 'rated' : 'casual'}
                      </td>
                      <td>
                        {g.status === 'ended' ? (
                          <>
                            <span data-testid="result-notation">{resultNotation(g.result)}</span>{' '}
                            <span className="muted">{resultText(g.result, g.reason)}</span>
                            {o && <span className="sr-only"> ({o})</span>}
                          </>
                        ) : (
                          'playing'
                        )}
                      </td>
                      <td>
                        {g.status === 'ended' ? (
                          <Link href={`/replay/${encodeURIComponent(g.id)}`}>Replay</Link>
                        ) : (
                          <Link href={`/game/${encodeURIComponent(g.id)}`} data-testid={`running-${g.id}`}>
                            {runningGameAction(g, viewer)}
                          </Link>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
        )}
        <nav className="row" aria-label="Game history pages">
          <button
            type="button"
            className="secondary"
            disabled={cursors.length <= 1}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            Newer
          </button>
          <button
            type="button"
            className="secondary"
            disabled={!page?.next}
            onClick={() => page?.next && setCursors((c) => [...c, page.next!])}
          >
            Older
          </button>
        </nav>
      </section>
    </>
  );
}
