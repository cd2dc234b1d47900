'use client';

import { useEffect, useMemo, useState } from 'react';
import { ApiError, apiJson } from '@/lib/api';
import { replay, resultText, uciParts } from '@/lib/game/model';
import { resultNotation } from '@/lib/game/notation';
import { type FullState, parseFullState } from '@/lib/realtime/protocol';
import { Board, kingSquare } from './Board';
import { MoveList } from './MoveList';

export function Replay({ id }: { id: string }) {
  const [game, setGame] = useState<FullState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ply, setPly] = useState<number | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    apiJson(`/api/games/${encodeURIComponent(id)}`, { signal: ac.signal }).then(
      (d) => {
        const s = parseFullState(d);
        if (s) setGame(s);
        else setError('Unexpected answer from the server.');
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setError(err instanceof ApiError && err.status === 404 ? 'No such game.' : String(err));
      },
    );
    return () => ac.abort();
  }, [id]);

  const total = game?.moves.length ?? 0;
  const at = ply ?? total; // the final position until the user steps

  // Left/Right step through the game, except where arrow keys already mean something
  // (the board's squares, form fields).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target;
      if (t instanceof HTMLElement && (t.closest('[data-testid="board"]') || t.closest('input, select, textarea'))) return;
      if (e.key === 'ArrowLeft') setPly(Math.max(0, at - 1));
      else if (e.key === 'ArrowRight') setPly(Math.min(total, at + 1));
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [at, total]);

  const full = useMemo(() => (game ? replay(game.moves) : null), [game]);
  const sans = useMemo(() => full?.history() ?? [], [full]);

  const view = useMemo(() => {
    if (!game) return null;
    const c = replay(game.moves.slice(0, at));
    if (!c) return null;
    const last = at > 0 ? uciParts(game.moves[at - 1]!) : null;
    return { fen: c.fen(), last: last ? { from: last.from, to: last.to } : null, check: c.inCheck() ? kingSquare(c, c.turn()) : null };
  }, [game, at]);

  if (error) {
    return (
      <>
        <h1>Replay {id}</h1>
        <p className="alert" role="alert">
          {error}
        </p>
      </>
    );
  }
  if (!game || !view) {
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  }

  const go = (p: number) => setPly(Math.max(0, Math.min(total, p)));
  return (
    <>
      <h1>
        {game.white.name} vs {game.black.name}
      </h1>
      <div className="game-layout">
        <div className="game-main">
          <Board
            fen={view.fen}
            orientation="white"
            movable={null}
            lastMove={view.last}
            checkSquare={view.check}
            label={`Replay board, after ${at} of ${total} half-moves`}
          />
          <div className="controls" role="group" aria-label="Step through the game">
            <button type="button" className="secondary" onClick={() => go(0)} disabled={at === 0} aria-label="First position">
              <span aria-hidden="true">«</span> First
            </button>
            <button type="button" className="secondary" onClick={() => go(at - 1)} disabled={at === 0} aria-label="Previous move" data-testid="replay-prev">
              <span aria-hidden="true">‹</span> Previous
            </button>
            <button type="button" className="secondary" onClick={() => go(at + 1)} disabled={at === total} aria-label="Next move" data-testid="replay-next">
              Next <span aria-hidden="true">›</span>
            </button>
            <button type="button" className="secondary" onClick={() => go(total)} disabled={at === total} aria-label="Last position">
              Last <span aria-hidden="true">»</span>
            </button>
          </div>
          <p className="sr-only" role="status" aria-live="polite" data-testid="replay-position">
            {at === 0 ? 'Start position' : `After ${Math.ceil(at / 2)}${at % 2 === 1 ? '.' : '...'} ${sans[at - 1] ?? ''}`}
          </p>
        </div>
        <section className="card" aria-label="Game">
          <p>
            {game.tc} · {game.rated ? 'Rated' : 'Casual'} ·{' '}
            {game.status === 'ended' ? (
              <strong data-testid="replay-result">
                <span data-testid="result-notation">{resultNotation(game.result)}</span> {resultText(game.result, game.reason)}
              </strong>
            ) : (
              'in progress'
            )}
          </p>
          <MoveList sans={sans} current={at} onSelect={go} />
          <p>
            <a className="button" href={`/api/games/${encodeURIComponent(id)}/pgn`} download={`${id}.pgn`} data-testid="pgn-download">
              Download PGN
            </a>
          </p>
        </section>
      </div>
    </>
  );
}
