'use client';

import { spectatorsText } from '@/lib/presence';

/** "3 watching": connections that watch the game without playing it, over every instance. */
export function Spectators({ n }: { n: number | null }) {
  if (n === null) return null;
  return (
    <span className="badge badge-muted" data-testid="spectators" data-n={n}>
      {spectatorsText(n)}
    </span>
  );
}
