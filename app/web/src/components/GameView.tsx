'use client';

// The live game page for players and spectators. The state comes from the server: a full state
// over HTTP first (a reload restores position and clocks), then the game's events over the
// shared real-time connection, watched from the loaded version. A move the player makes is
// shown at once and sent with an ack id; the server's `move` event confirms it.
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Chess } from 'chess.js';
import { ApiError, apiJson } from '@/lib/api';
import {
  type GameModel,
  applyDrawDeclined,
  applyDrawOffered,
  applyEnd,
  applyMove,
  canAbort,
  claimableDraw,
  fromState,
  ratingDelta,
  replay,
  seatOf,
  spokenMove,
  uciParts,
} from '@/lib/game/model';
import {
  type Color,
  type Envelope,
  type PlayerRef,
  gameOf,
  parseEndEvent,
  parseFullState,
  parseMoveEvent,
} from '@/lib/realtime/protocol';
import { loadSession } from '@/lib/session';
import { resultNotation } from '@/lib/game/notation';
import { useApp } from './AppProvider';
import { Board, kingSquare } from './Board';
import { ClockView, monoNow } from './ClockView';
import { MoveList } from './MoveList';
import { ClaimPanel } from './game/ClaimPanel';
import { Spectators } from './game/Spectators';
import { useGamePresence } from './game/usePresence';
import { Rematch } from './game/Rematch';
import { endText } from '@/lib/game/endReason';
import { FirstMoveCountdown } from './game/Countdown';
import { FlipButton } from './game/FlipButton';
import { HistoryNav } from './game/HistoryNav';
import { MaterialBar } from './game/MaterialBar';
import { SoundToggle } from './game/SoundToggle';
import { useFlip } from './game/useFlip';
import { useGameSounds, useMute } from './game/useGameSounds';
import { useHistoryView } from './game/useHistoryView';
import { usePremove } from './game/usePremove';
import './game/game.css';

interface Pending {
  uci: string;
  ply: number;
}

const other = (c: Color): Color => (c === 'white' ? 'black' : 'white');

export function GameView({ id }: { id: string }) {
  const { session, client, status, lagMs, loginAsGuest } = useApp();
  const [model, setModel] = useState<GameModel | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [confirmResign, setConfirmResign] = useState(false);
  // The colour whose draw offer was declined last (the offerer is told until they offer again).
  const [declinedOffer, setDeclinedOffer] = useState<Color | null>(null);
  // Keyboard users land on the button that appears in place of the one they pressed.
  const confirmResignRef = useRef<HTMLButtonElement>(null);
  const resignRef = useRef<HTMLButtonElement>(null);
  const resignAsked = useRef(false);
  useEffect(() => {
    if (confirmResign) {
      resignAsked.current = true;
      confirmResignRef.current?.focus();
    } else if (resignAsked.current) {
      resignAsked.current = false;
      resignRef.current?.focus();
    }
  }, [confirmResign]);
  const modelRef = useRef<GameModel | null>(null);
  const presence = useGamePresence(client, id);
  const lagRef = useRef(lagMs);
  useEffect(() => {
    lagRef.current = lagMs;
  }, [lagMs]);

  // Spectators need a connection too; without a session they watch as a fresh guest. Only a
  // visitor who arrives without one: logging out here (or "log in again" after the session
  // expired) leaves for the lobby and must not sign in a new guest on the way.
  const [guestError, setGuestError] = useState<string | null>(null);
  const sessionKnown = useRef(false);
  useEffect(() => {
    if (session === undefined || sessionKnown.current) return;
    sessionKnown.current = true;
    if (session !== null) return;
    loginAsGuest().catch((err: unknown) => setGuestError(err instanceof Error ? err.message : String(err)));
  }, [session, loginAsGuest]);

  const commit = useCallback((m: GameModel | null) => {
    modelRef.current = m;
    setModel(m);
  }, []);

  const load = useCallback(async () => {
    // The stored token, read when used: a renewal must not restart the game's subscription.
    const d = await apiJson(`/api/games/${encodeURIComponent(id)}`, { token: loadSession()?.token });
    const s = parseFullState(d);
    if (!s) throw new Error('unexpected game state from the server');
    const m = fromState(s, monoNow(), lagRef.current);
    commit(m);
    setLoadError(null);
    return m;
  }, [id, commit]);

  const onEvent = useCallback(
    (env: Envelope): 'resync' | void => {
      const now = monoNow();
      if (env.t === 'state' || env.t === 'gameStart') {
        const s = parseFullState(env.d);
        if (s) commit(fromState(s, now, lagRef.current));
        return;
      }
      const m = modelRef.current;
      if (!m) return; // the HTTP load in flight will cover it (watch restarts from its v)
      if (env.v !== undefined && env.v <= m.v) return;
      switch (env.t) {
        case 'move': {
          const ev = parseMoveEvent(env.d);
          if (!ev) return;
          const next = applyMove(m, ev, env.v, now, lagRef.current);
          if (!next) return 'resync';
          if (next !== m) {
            commit(next);
            setAnnouncement(spokenMove(ev.ply, next.sans[ev.ply - 1] ?? ev.san));
          }
          return;
        }
        case 'end': {
          const ev = parseEndEvent(env.d);
          if (!ev) return;
          const next = applyEnd(m, ev, env.v, now);
          commit(next);
          setConfirmResign(false);
          setAnnouncement(resultAnnouncement(next));
          return;
        }
        case 'drawOffered': {
          const by = (env.d as { by?: unknown }).by;
          if (by !== 'white' && by !== 'black') return;
          commit(applyDrawOffered(m, by, env.v));
          setDeclinedOffer(null);
          setAnnouncement(`${by === 'white' ? 'White' : 'Black'} offers a draw.`);
          return;
        }
        case 'drawDeclined':
          commit(applyDrawDeclined(m, env.v));
          setDeclinedOffer(m.drawOffer);
          setAnnouncement('Draw offer declined.');
          return;
        case 'opponentGone':
        case 'opponentBack':
          commit({ ...m, opponentGone: env.t === 'opponentGone' });
          setAnnouncement(env.t === 'opponentGone' ? 'Your opponent disconnected.' : 'Your opponent is back.');
          return;
      }
    },
    [commit],
  );

  // Load the full state, then follow the game's events from that version on.
  useEffect(() => {
    if (!client) return;
    let cancelled = false;
    const resync = () => {
      load().then(
        (m) => !cancelled && client.watch(id, m.v, true),
        (err: unknown) => {
          if (cancelled) return;
          setLoadError(err instanceof ApiError && err.status === 404 ? 'No such game.' : String(err));
          client.watch(id, modelRef.current?.v ?? 0); // the server sends a state if it has one
        },
      );
    };
    const off = client.on('message', (env) => {
      if (gameOf(env) !== id) return;
      if (onEvent(env) === 'resync') resync();
    });
    resync();
    return () => {
      cancelled = true;
      off();
      client.unwatch(id);
    };
  }, [client, id, load, onEvent]);

  const seat = model ? seatOf(model, session?.name) : null;
  const { flipped, toggle: flip } = useFlip(id);
  const orientation: Color = flipped ? other(seat ?? 'white') : (seat ?? 'white');
  const pendingActive = !!(pending && model && model.moves.length < pending.ply);
  const history = useHistoryView(model?.moves.length ?? 0);
  const viewPly = history.viewPly;
  const { muted, toggle: toggleMute } = useMute();

  const liveLine = useMemo(() => {
    if (!model) return { plies: 0, lastSan: undefined };
    if (!pendingActive) return { plies: model.moves.length, lastSan: model.sans[model.moves.length - 1] };
    let san: string | undefined;
    try {
      san = new Chess(model.fen).move(uciParts(pending!.uci)!).san;
    } catch {
      // validated before sending; no sound for it otherwise
    }
    return { plies: model.moves.length + 1, lastSan: san };
  }, [model, pending, pendingActive]);

  const shown = useMemo(() => {
    if (!model) return null;
    if (viewPly !== null) {
      // A past position, read-only: replayed from the moves.
      const past = replay(model.moves.slice(0, viewPly)) ?? new Chess();
      const p = viewPly > 0 ? uciParts(model.moves[viewPly - 1]!) : null;
      return { fen: past.fen(), last: p ? { from: p.from, to: p.to } : null, check: past.inCheck() ? kingSquare(past, past.turn()) : null };
    }
    const c = new Chess(model.fen);
    let last: { from: string; to: string } | null = null;
    const lastUci = pendingActive ? pending!.uci : model.moves[model.moves.length - 1];
    if (pendingActive) {
      try {
        c.move(uciParts(pending!.uci)!);
      } catch {
        // cannot happen: validated before sending; show the server position
      }
    }
    if (lastUci) {
      const p = uciParts(lastUci);
      if (p) last = { from: p.from, to: p.to };
    }
    return { fen: c.fen(), last, check: c.inCheck() ? kingSquare(c, c.turn()) : null };
  }, [model, pending, pendingActive, viewPly]);

  const onMove = useCallback(
    (uci: string) => {
      const m = modelRef.current;
      if (!m || !client || m.status !== 'started' || seat !== m.turn) return;
      const ply = m.moves.length + 1;
      setPending({ uci, ply });
      setNotice(null);
      void client.move(id, uci, ply).then((r) => {
        if (r.ok) return;
        setPending((p) => (p && p.ply === ply ? null : p));
        setNotice(`Move not accepted: ${r.error?.msg || r.error?.code}`);
        if (r.error?.code !== 'closed') void load().catch(() => undefined);
      });
    },
    [client, id, seat, load],
  );

  const act = useCallback(
    (t: string) => {
      if (!client) return;
      void client.send(t, { game: id }).then((r) => {
        if (!r.ok && r.error) setNotice(`${r.error.msg || r.error.code}`);
      });
    },
    [client, id],
  );

  const onOpponentZero = useCallback(() => act('flag'), [act]);
  useGameSounds(model, liveLine, seat, muted);
  const premove = usePremove(model, seat, pendingActive, viewPly === null, onMove);

  if (guestError) {
    return (
      <p className="alert" role="alert">
        Cannot start a guest session to watch: {guestError}
      </p>
    );
  }
  if (!model || !shown) {
    return (
      <>
        <h1>Game {id}</h1>
        {loadError ? (
          <p className="alert" role="alert" data-testid="game-error">
            {loadError}
          </p>
        ) : (
          <p className="muted" role="status">
            Loading the game…
          </p>
        )}
        <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer" />
      </>
    );
  }

  const started = model.status === 'started';
  const movable = started && seat !== null && !pendingActive && viewPly === null && model.turn === seat ? seat : null;
  const top = other(orientation);
  const opponentOffer = seat !== null && model.drawOffer === other(seat);
  const myOffer = seat !== null && model.drawOffer === seat;

  return (
    <>
      <h1 className="sr-only">
        {model.white.name} vs {model.black.name}
      </h1>
      <div className="game-layout" data-testid="game" data-status={model.status} data-seat={seat ?? 'spectator'}>
        <div className="game-main">
          <PlayerBar player={model[top]} color={top} model={model} fen={shown.fen} onZero={seat === other(top) ? onOpponentZero : undefined} />
          <Board
            fen={shown.fen}
            orientation={orientation}
            movable={movable}
            lastMove={shown.last}
            checkSquare={shown.check}
            onMove={onMove}
            premove={premove}
            label={`Chess board, ${seat ? `you play ${seat}` : 'spectating'}, ${viewPly === null ? `${model.turn} to move` : `past position after ply ${viewPly}`}`}
          />
          <PlayerBar player={model[orientation]} color={orientation} model={model} fen={shown.fen} onZero={seat === other(orientation) ? onOpponentZero : undefined} />
          <p className="row board-tools">
            <FlipButton flipped={flipped} onFlip={flip} />
            <SoundToggle muted={muted} onToggle={toggleMute} />
          </p>
        </div>
        <div className="game-side">
          {model.status === 'ended' && <ResultBanner model={model} />}
          {model.status === 'ended' && seat && <Rematch game={model.id} />}
          <section className="card" aria-label="Game">
            <p className="row">
              <span>
                {model.tc} · {model.rated ? 'Rated' : 'Casual'}
              </span>
              {seat ? (
                <span className="badge badge-muted" data-testid="seat">
                  You play {seat}
                </span>
              ) : (
                <span className="badge badge-muted" data-testid="seat">
                  Spectating
                </span>
              )}
              <Spectators n={presence.spectators} />
              {status !== 'open' && (
                <span className="badge badge-warn" role="status" data-testid="reconnecting" data-status={status}>
                  {status === 'reconnecting' ? 'Reconnecting…' : status === 'expired' ? 'Session expired' : 'Connecting…'}
                </span>
              )}
            </p>
            {model.opponentGone && started && (
              <p className="notice" role="status" data-testid="opponent-gone">
                Your opponent disconnected. They can come back while their clock runs.
              </p>
            )}
            {seat && started && <ClaimPanel client={client} id={id} claimAt={presence.claimAt} />}
            <FirstMoveCountdown model={model} />
            {started && (
              <p className="muted" data-testid="turn">
                {pendingActive ? 'Sending your move…' : `${model.turn === 'white' ? 'White' : 'Black'} to move`}
              </p>
            )}
            <MoveList sans={model.sans} current={viewPly ?? undefined} onSelect={history.go} />
            {model.moves.length > 0 && <HistoryNav plies={model.moves.length} viewPly={viewPly} sans={model.sans} onGo={history.go} />}
            {seat && started && (
              <div className="controls" role="group" aria-label="Game actions">
                {canAbort(model) && (
                  <button type="button" className="secondary" onClick={() => act('abort')} data-testid="abort">
                    Abort
                  </button>
                )}
                {opponentOffer ? (
                  <>
                    <span role="status" data-testid="draw-offered">
                      Your opponent offers a draw.
                    </span>
                    <button type="button" onClick={() => act('drawAccept')} data-testid="draw-accept">
                      Accept draw
                    </button>
                    <button type="button" className="secondary" onClick={() => act('drawDecline')} data-testid="draw-decline">
                      Decline draw
                    </button>
                  </>
                ) : (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => act('drawOffer')}
                    disabled={myOffer}
                    data-testid="draw-offer"
                  >
                    {myOffer ? 'Draw offered' : 'Offer draw'}
                  </button>
                )}
                {claimableDraw(model) && (
                  <button type="button" className="secondary" onClick={() => act('drawClaim')} data-testid="draw-claim">
                    Claim draw
                  </button>
                )}
                {confirmResign ? (
                  <>
                    <button
                      ref={confirmResignRef}
                      type="button"
                      className="danger"
                      onClick={() => {
                        setConfirmResign(false);
                        act('resign');
                      }}
                      data-testid="resign-confirm"
                    >
                      Confirm resign
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => setConfirmResign(false)}
                      data-testid="resign-cancel"
                    >
                      Keep playing
                    </button>
                  </>
                ) : (
                  <button
                    ref={resignRef}
                    type="button"
                    className="secondary"
                    onClick={() => setConfirmResign(true)}
                    data-testid="resign"
                  >
                    Resign
                  </button>
                )}
              </div>
            )}
            {seat && started && declinedOffer === seat && (
              <p className="notice" role="status" data-testid="draw-declined">
                Your draw offer was declined.
              </p>
            )}
            {notice && (
              <p className="alert" role="alert" data-testid="game-notice">
                {notice}
              </p>
            )}
          </section>
        </div>
      </div>
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement}
      </div>
    </>
  );
}

function resultAnnouncement(m: GameModel): string {
  const parts = [endText(m)];
  const w = ratingDelta(m.ratings?.white);
  const b = ratingDelta(m.ratings?.black);
  if (w) parts.push(`${m.white.name} now ${w}.`);
  if (b) parts.push(`${m.black.name} now ${b}.`);
  return parts.join(' ');
}

function PlayerBar({
  player,
  color,
  model,
  fen,
  onZero,
}: {
  player: PlayerRef;
  color: Color;
  model: GameModel;
  fen: string;
  onZero?: () => void;
}) {
  // After a rated game the bar shows the new rating (the `end` event carries both sides').
  const change = model.status === 'ended' ? model.ratings?.[color] : undefined;
  const rating = change ? change.after : player.rating;
  return (
    <div className="player-bar" data-testid={`player-${color}`}>
      <span>
        <span aria-hidden="true">{color === 'white' ? '○ ' : '● '}</span>
        <Link className="player-name" href={`/player/${encodeURIComponent(player.name)}`}>
          {player.name}
        </Link>{' '}
        {rating !== undefined && (
          <span className="muted" data-testid={`rating-${color}`}>
            ({Math.round(rating)}
            {player.provisional ? '?' : ''}
            {change && ` ${ratingDiff(change)}`})
          </span>
        )}
        <span className="sr-only">, plays {color}</span>
        <MaterialBar fen={fen} color={color} />
      </span>
      <ClockView clock={model.clock} color={color} onZero={onZero} />
    </div>
  );
}

function ratingDiff(r: { before: number; after: number }): string {
  const d = Math.round(r.after) - Math.round(r.before);
  return `${d >= 0 ? '+' : '−'}${Math.abs(d)}`;
}

function ResultBanner({ model }: { model: GameModel }) {
  const w = ratingDelta(model.ratings?.white);
  const b = ratingDelta(model.ratings?.black);
  return (
    <section className="result-banner" aria-labelledby="result-heading" data-testid="result-banner" data-result={model.result ?? ''}>
      <h2 id="result-heading">
        <strong data-testid="result-notation">{resultNotation(model.result)}</strong>{' '}
        <span data-testid="result-text">{endText(model)}</span>
      </h2>
      {(w || b) && (
        <ul data-testid="rating-change">
          {w && (
            <li>
              {model.white.name}: {w}
            </li>
          )}
          {b && (
            <li>
              {model.black.name}: {b}
            </li>
          )}
        </ul>
      )}
      <p className="row">
        <Link className="button" href="/" data-testid="play-again">
          New game
        </Link>
        <Link href={`/replay/${encodeURIComponent(model.id)}`}>Replay and PGN</Link>
      </p>
    </section>
  );
}
