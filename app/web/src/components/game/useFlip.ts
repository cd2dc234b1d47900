'use client';

// Board orientation per game: flipped or not, remembered for this game in this tab
// (sessionStorage, so a reload keeps it), toggled by the button or the 'f' key.
import { useCallback, useEffect, useState } from 'react';

const key = (game: string) => `chess.flip.${game}`;

export function useFlip(game: string) {
  const [flipped, setFlipped] = useState(false);
  useEffect(() => {
    try {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- storage is read after hydration
      setFlipped(sessionStorage.getItem(key(game)) === '1');
    } catch {
      // no storage: start unflipped
    }
  }, [game]);

  const toggle = useCallback(() => {
    setFlipped((f) => {
      try {
        sessionStorage.setItem(key(game), f ? '0' : '1');
      } catch {
        // no storage: the flip lasts for this page
      }
      return !f;
    });
  }, [game]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'f' || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const t = e.target as HTMLElement | null;
      if (t?.closest('input, textarea, select, [contenteditable="true"]')) return;
      toggle();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [toggle]);

  return { flipped, toggle };
}
