'use client';

import { useEffect, useState } from 'react';
import { apiJson } from '@/lib/api';
import { type Profile, type RatingPoint, SPEEDS, type Speed, busiestSpeed, chartCoords, chartPoints, parseRatingHistory } from '@/lib/playerData';

const WIDTH = 320;
const HEIGHT = 80;
const LIMIT = 100;

const title = (s: Speed) => s[0]!.toUpperCase() + s.slice(1);

/** A player's rating after each of their last rated games, one speed at a time. */
export function RatingChart({ profile }: { profile: Profile }) {
  const rated = SPEEDS.filter((s) => (profile.ratings[s]?.games ?? 0) > 0);
  const [speed, setSpeed] = useState<Speed | null>(() => busiestSpeed(profile));
  // The answer is kept with the speed it is for, so switching speeds shows nothing stale.
  const [loaded, setLoaded] = useState<{ speed: Speed; points: RatingPoint[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!speed) return;
    const ac = new AbortController();
    const q = new URLSearchParams({ speed, limit: String(LIMIT) });
    apiJson(`/api/players/${encodeURIComponent(profile.name)}/ratings?${q}`, { signal: ac.signal }).then(
      (d) => {
        setLoaded({ speed, points: parseRatingHistory(d) });
        setError(null);
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setError(String(err));
      },
    );
    return () => ac.abort();
  }, [profile.name, speed]);

  if (!speed) return null;
  const points = loaded?.speed === speed ? loaded.points : null;
  const oldestFirst = points ? [...points].reverse() : [];
  const ratings = oldestFirst.map((p) => p.rating);
  const first = oldestFirst[0];
  const last = oldestFirst[oldestFirst.length - 1];
  const summary =
    first && last
      ? `${title(speed)} rating over the last ${oldestFirst.length} rated ${oldestFirst.length === 1 ? 'game' : 'games'}: ` +
        `${first.rating} after the first, ${last.rating} now; lowest ${Math.min(...ratings)}, highest ${Math.max(...ratings)}.`
      : '';

  return (
    <section className="card" aria-labelledby="rating-history-heading">
      <h2 id="rating-history-heading">Rating history</h2>
      {rated.length > 1 && (
        <div className="row" role="group" aria-label="Speed">
          {rated.map((s) => (
            <button key={s} type="button" aria-pressed={s === speed} onClick={() => setSpeed(s)}>
              {title(s)}
            </button>
          ))}
        </div>
      )}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      {points && points.length === 0 && <p className="muted">No rated games recorded in this speed yet.</p>}
      {points && points.length > 0 && (
        <figure data-testid="rating-chart" className="rating-chart">
          <svg viewBox={`-4 -4 ${WIDTH + 8} ${HEIGHT + 8}`} width={WIDTH} height={HEIGHT} role="img" aria-label={summary}>
            <polyline points={chartPoints(ratings, WIDTH, HEIGHT)} fill="none" stroke="currentColor" strokeWidth="2" />
            {chartCoords(ratings, WIDTH, HEIGHT).map(([x, y], i) => (
              <circle key={oldestFirst[i]!.game} cx={x} cy={y} r="3" fill="currentColor" />
            ))}
          </svg>
          <figcaption className="muted">{summary}</figcaption>
        </figure>
      )}
    </section>
  );
}
