'use client';

import { useMemo } from 'react';
import { type PieceType, materialOf } from '@/lib/game/material';
import type { Color } from '@/lib/realtime/protocol';

// Glyphs of the captured (opponent's) pieces: white shows black pieces and the other way round.
const GLYPHS: Record<Color, Record<PieceType, string>> = {
  white: { q: '♛', r: '♜', b: '♝', n: '♞', p: '♟' },
  black: { q: '♕', r: '♖', b: '♗', n: '♘', p: '♙' },
};
const NAMES: Record<PieceType, string> = { q: 'queen', r: 'rook', b: 'bishop', n: 'knight', p: 'pawn' };

/** The pieces `color` is up by in the position `fen`, and "+N" when ahead in points. */
export function MaterialBar({ fen, color }: { fen: string; color: Color }) {
  const side = useMemo(() => materialOf(fen)[color], [fen, color]);
  const label =
    side.captured.length === 0
      ? 'no material advantage'
      : `up ${side.captured.map((t) => NAMES[t]).join(', ')}${side.score ? `, plus ${side.score}` : ''}`;
  return (
    <span className="material" data-testid={`material-${color}`} data-score={side.score} data-captured={side.captured.join('')}>
      <span aria-hidden="true">
        {side.captured.map((t) => GLYPHS[color][t]).join('')}
        {side.score > 0 && <span className="material-score"> +{side.score}</span>}
      </span>
      <span className="sr-only">, {label}</span>
    </span>
  );
}
