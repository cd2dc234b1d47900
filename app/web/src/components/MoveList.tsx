'use client';

import { useEffect, useRef } from 'react';

/**
 * Moves in SAN, one row per move number. With `onSelect` each half-move is a button (replay);
 * `current` marks the half-move shown on the board (1-based ply, 0 = start).
 */
export function MoveList({
  sans,
  current,
  onSelect,
}: {
  sans: readonly string[];
  current?: number;
  onSelect?: (ply: number) => void;
}) {
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const el = listRef.current;
    if (el && current === undefined) el.scrollTop = el.scrollHeight;
  }, [sans.length, current]);

  const rows: Array<[number, string, string | undefined]> = [];
  for (let i = 0; i < sans.length; i += 2) rows.push([i / 2 + 1, sans[i]!, sans[i + 1]]);

  const cell = (ply: number, san: string | undefined) => {
    if (san === undefined) return <span />;
    const cls = current === ply ? 'current' : undefined;
    const label = `${Math.ceil(ply / 2)}${ply % 2 === 1 ? '.' : '...'} ${san}`;
    if (!onSelect) {
      return (
        <span className={cls} data-testid={`ply-${ply}`}>
          {san}
        </span>
      );
    }
    return (
      <button
        type="button"
        className={`ply ${cls ?? ''}`}
        aria-label={label}
        aria-current={current === ply ? 'step' : undefined}
        data-testid={`ply-${ply}`}
        onClick={() => onSelect(ply)}
      >
        {san}
      </button>
    );
  };

  return (
    <ol className="move-list" aria-label="Moves" data-testid="move-list" data-plies={sans.length} ref={listRef}>
      {rows.length === 0 && <li className="muted empty">No moves yet.</li>}
      {rows.map(([n, w, b]) => (
        <li key={n}>
          <span className="muted">{n}.</span>
          {cell(2 * n - 1, w)}
          {cell(2 * n, b)}
        </li>
      ))}
    </ol>
  );
}
