'use client';

// Stepping back through a running game: null means the live position. The view stays on a
// past move when new moves arrive; ◀ ▶, the arrow keys (outside the board and form fields) and
// the move list move it; reaching the last move returns to live.
import { useCallback, useEffect, useState } from 'react';

export function useHistoryView(plies: number) {
  const [viewPly, setViewPly] = useState<number | null>(null);
  const go = useCallback(
    (ply: number | null) => setViewPly(ply === null || ply >= plies ? null : Math.max(0, ply)),
    [plies],
  );
  const step = useCallback(
    (d: number) => setViewPly((v) => {
      const next = (v ?? plies) + d;
      return next >= plies ? null : Math.max(0, next);
    }),
    [plies],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const t = e.target as HTMLElement | null;
      if (t?.closest('input, textarea, select, [role="dialog"], [data-testid="board"]')) return;
      e.preventDefault();
      step(e.key === 'ArrowLeft' ? -1 : 1);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [step]);

  return { viewPly, go, step };
}
