'use client';

// The chessboard: react-chessboard draws it and handles dragging; chess.js gives the legal
// moves. On top of that, every square is a button in a roving-tabindex group so the board
// works from the keyboard: Tab reaches the board once, arrow keys move between squares
// (Home/End jump along the rank), Enter or Space picks a piece and drops it, Escape cancels.
import { Chess, type Square } from 'chess.js';
import { type KeyboardEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Chessboard, type ChessboardOptions } from 'react-chessboard';
import { pieceName } from '@/lib/game/model';
import { premoveTargets } from '@/lib/game/premove';
import type { Color } from '@/lib/realtime/protocol';

const FILES = 'abcdefgh';

export interface BoardProps {
  fen: string;
  orientation: Color;
  /** The colour the viewer may move, or null (spectator, replay, game over, not your turn). */
  movable: Color | null;
  lastMove?: { from: string; to: string } | null;
  /** Square of a king in check, highlighted. */
  checkSquare?: string | null;
  onMove?: (uci: string) => void;
  label: string;
  /** While the opponent is to move: the player's colour, the queued move and its handlers. */
  premove?: PremoveInput | null;
}

export interface PremoveInput {
  color: Color;
  queued: string | null;
  onQueue: (uci: string) => void;
  onCancel: () => void;
}

interface Promo {
  from: Square;
  to: Square;
}

function step(square: string, df: number, dr: number): string | null {
  const f = FILES.indexOf(square[0]!) + df;
  const r = Number(square[1]) + dr;
  if (f < 0 || f > 7 || r < 1 || r > 8) return null;
  return `${FILES[f]}${r}`;
}

export function kingSquare(chess: Chess, color: 'w' | 'b'): string | null {
  for (const row of chess.board()) {
    for (const p of row) if (p && p.type === 'k' && p.color === color) return p.square;
  }
  return null;
}

export function Board({ fen, orientation, movable, lastMove, checkSquare, onMove, label, premove }: BoardProps) {
  const chess = useMemo(() => {
    try {
      return new Chess(fen);
    } catch {
      return null;
    }
  }, [fen]);
  const [selected, setSelected] = useState<Square | null>(null);
  const [cursor, setCursor] = useState<string>(orientation === 'white' ? 'e2' : 'e7');
  const [promo, setPromo] = useState<Promo | null>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const helpId = useId();
  const myTurn = chess !== null && movable !== null && chess.turn() === movable[0];
  const premoving = !myTurn && chess !== null && !!premove && chess.turn() !== premove.color[0];
  // The colour whose pieces the viewer handles now: moving, or queueing a premove.
  const actor: Color | null = myTurn ? movable : premoving ? premove!.color : null;

  // A new position (a move was played) or losing the move clears any half-made move.
  const [lastFen, setLastFen] = useState(fen);
  if (lastFen !== fen) {
    setLastFen(fen);
    setSelected(null);
    setPromo(null);
  }

  const targets = useMemo(() => {
    if (!chess || !selected || !actor) return new Set<string>();
    if (premoving) return premoveTargets(fen, actor, selected);
    return new Set(chess.moves({ square: selected, verbose: true }).map((m) => m.to));
  }, [chess, selected, actor, premoving, fen]);

  const ownPiece = useCallback(
    (square: string) => {
      const p = chess?.get(square as Square);
      return !!p && actor !== null && p.color === actor[0];
    },
    [chess, actor],
  );

  /** Tries a move; returns false when it is not legal here. Opens the picker for promotions. */
  const attempt = useCallback(
    (from: Square, to: Square): boolean => {
      if (premoving && targets.has(to)) {
        setSelected(null);
        premove!.onQueue(`${from}${to}`);
        return false; // the piece stays until the premove is played; its squares are marked
      }
      if (!chess || !myTurn || !onMove) return false;
      const legal = chess.moves({ square: from, verbose: true }).filter((m) => m.to === to);
      if (legal.length === 0) return false;
      setSelected(null);
      if (legal.some((m) => m.promotion)) {
        setPromo({ from, to });
        return false; // the piece goes back until a piece is chosen
      }
      onMove(`${from}${to}`);
      return true;
    },
    [chess, myTurn, onMove, premoving, premove, targets],
  );

  const activate = useCallback(
    (square: string) => {
      if (!myTurn && !premoving) return;
      if (premoving && premove!.queued && !selected) premove!.onCancel(); // a click elsewhere cancels
      if (selected && selected !== square && targets.has(square)) {
        attempt(selected, square as Square);
        return;
      }
      if (selected === square) {
        setSelected(null);
        return;
      }
      setSelected(ownPiece(square) ? (square as Square) : null);
    },
    [myTurn, premoving, premove, selected, targets, attempt, ownPiece],
  );

  const focusSquare = useCallback((square: string) => {
    setCursor(square);
    wrapRef.current?.querySelector<HTMLElement>(`[data-testid="square-${square}"]`)?.focus();
  }, []);

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>, square: string) => {
      const flip = orientation === 'white' ? 1 : -1;
      let next: string | null = null;
      switch (e.key) {
        case 'ArrowUp':
          next = step(square, 0, flip);
          break;
        case 'ArrowDown':
          next = step(square, 0, -flip);
          break;
        case 'ArrowLeft':
          next = step(square, -flip, 0);
          break;
        case 'ArrowRight':
          next = step(square, flip, 0);
          break;
        case 'Home':
          next = `${orientation === 'white' ? 'a' : 'h'}${square[1]}`;
          break;
        case 'End':
          next = `${orientation === 'white' ? 'h' : 'a'}${square[1]}`;
          break;
        case 'Enter':
        case ' ':
          e.preventDefault();
          activate(square);
          return;
        case 'Escape':
          setSelected(null);
          premove?.onCancel();
          return;
        default:
          return;
      }
      e.preventDefault();
      if (next) focusSquare(next);
    },
    [orientation, activate, focusSquare, premove],
  );

  // react-chessboard makes every piece a focusable dnd-kit "button". The squares are the
  // keyboard interface here, so the pieces leave the tab order and the accessibility tree
  // (pointer dragging is unaffected). Pieces re-mount on every move, hence the observer.
  useEffect(() => {
    const root = wrapRef.current;
    if (!root) return;
    const strip = () => {
      for (const el of root.querySelectorAll<HTMLElement>('[aria-roledescription="draggable"]')) {
        if (el.getAttribute('tabindex') !== '-1') el.setAttribute('tabindex', '-1');
        if (el.hasAttribute('role')) el.removeAttribute('role');
        if (el.hasAttribute('aria-describedby')) el.removeAttribute('aria-describedby');
        if (!el.hasAttribute('aria-hidden')) el.setAttribute('aria-hidden', 'true');
      }
    };
    strip();
    const mo = new MutationObserver(strip);
    mo.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['tabindex', 'role'] });
    return () => mo.disconnect();
  }, []);

  const squareRenderer: ChessboardOptions['squareRenderer'] = ({ piece, square, children }) => {
    const name = pieceName(piece?.pieceType);
    const isTarget = targets.has(square);
    const parts = [square, name ?? 'empty'];
    if (selected === square) parts.push('selected');
    if (isTarget) parts.push(name ? 'capture' : 'legal move');
    if (checkSquare === square) parts.push('in check');
    const queued = premove?.queued;
    const inPremove = !!queued && (queued.slice(0, 2) === square || queued.slice(2, 4) === square);
    if (inPremove) parts.push('premove');
    return (
      <div
        className="sq"
        role="button"
        tabIndex={cursor === square ? 0 : -1}
        aria-label={parts.join(', ')}
        aria-pressed={selected === square}
        data-testid={`square-${square}`}
        data-square-cell={square}
        data-piece={piece?.pieceType ?? ''}
        data-selected={selected === square}
        data-target={isTarget}
        data-occupied={!!piece}
        data-last={lastMove ? lastMove.from === square || lastMove.to === square : false}
        data-check={checkSquare === square}
        data-premove={inPremove}
        onKeyDown={(e) => onKeyDown(e, square)}
        onFocus={() => setCursor(square)}
      >
        {children}
      </div>
    );
  };

  const options: ChessboardOptions = {
    id: 'board',
    position: fen,
    boardOrientation: orientation,
    allowDragging: actor !== null,
    allowDrawingArrows: false,
    animationDurationInMs: 150,
    canDragPiece: ({ piece, square }) => actor !== null && !!square && piece.pieceType[0] === actor[0],
    onPieceDrag: ({ square }) => {
      if (square && ownPiece(square)) setSelected(square as Square);
    },
    onPieceDrop: ({ sourceSquare, targetSquare }) => {
      if (!targetSquare || targetSquare === sourceSquare) return false;
      return attempt(sourceSquare as Square, targetSquare as Square);
    },
    onSquareClick: ({ square }) => {
      setCursor(square);
      activate(square);
    },
    onSquareRightClick: () => {
      setSelected(null);
      premove?.onCancel();
    },
    squareRenderer,
    lightSquareStyle: { backgroundColor: 'var(--light-sq)' },
    darkSquareStyle: { backgroundColor: 'var(--dark-sq)' },
  };

  const promoColor = movable === 'black' ? 'b' : 'w';

  return (
    <div className="board-wrap" ref={wrapRef}>
      <p id={helpId} className="sr-only">
        Arrow keys move between squares. Enter or Space picks up a piece and puts it down. Escape cancels.
      </p>
      <div role="group" aria-label={label} aria-describedby={helpId} data-testid="board" data-fen={fen}>
        <Chessboard options={options} />
      </div>
      {promo && (
        <PromotionPicker
          color={promoColor}
          onPick={(p) => {
            const m = promo;
            setPromo(null);
            onMove?.(`${m.from}${m.to}${p}`);
            focusSquare(m.to);
          }}
          onCancel={() => {
            const m = promo;
            setPromo(null);
            focusSquare(m.from);
          }}
        />
      )}
    </div>
  );
}

const PROMOTIONS = [
  { p: 'q', name: 'Queen', w: '♕', b: '♛' },
  { p: 'r', name: 'Rook', w: '♖', b: '♜' },
  { p: 'b', name: 'Bishop', w: '♗', b: '♝' },
  { p: 'n', name: 'Knight', w: '♘', b: '♞' },
] as const;

function PromotionPicker({
  color,
  onPick,
  onCancel,
}: {
  color: 'w' | 'b';
  onPick: (piece: string) => void;
  onCancel: () => void;
}) {
  const titleId = useId();
  const first = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => first.current?.focus(), []);
  // Modal: Escape cancels, Tab stays inside the picker.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onCancel();
      } else if (e.key === 'Tab' && box.current) {
        const items = [...box.current.querySelectorAll<HTMLElement>('button')];
        const i = items.indexOf(document.activeElement as HTMLElement);
        const next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : i === items.length - 1 ? 0 : i + 1;
        e.preventDefault();
        items[next]?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    <div className="promotion" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid="promotion-picker">
      <div ref={box}>
        <span id={titleId}>Promote to</span>
        {PROMOTIONS.map((x, i) => (
          <button
            key={x.p}
            ref={i === 0 ? first : undefined}
            type="button"
            className="secondary"
            data-testid={`promote-${x.p}`}
            onClick={() => onPick(x.p)}
          >
            <span aria-hidden="true">{color === 'w' ? x.w : x.b}</span> {x.name}
          </button>
        ))}
        <button type="button" className="link-button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
