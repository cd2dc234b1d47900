import { describe, expect, it } from 'vitest';
import type { FullState, MoveEvent } from '../realtime/protocol';
import { remainingMs } from '../clock';
import {
  applyDrawOffered,
  applyEnd,
  applyMove,
  canAbort,
  claimableDraw,
  fromState,
  resultText,
  seatOf,
  spokenMove,
} from './model';

const base: FullState = {
  game: 'g1',
  v: 3,
  white: { name: 'alice', rating: 1500 },
  black: { name: 'bob', rating: 1480 },
  tc: '3+2',
  rated: true,
  fen: 'rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2',
  moves: ['e2e4', 'e7e5'],
  clock: { w: 178_000, b: 179_000 },
  turn: 'white',
  status: 'started',
  result: null,
  reason: null,
  drawOffer: null,
};

const mv = (ply: number, u: string, extra: Partial<MoveEvent> = {}): MoveEvent => ({
  game: 'g1',
  u,
  san: '',
  fen: '',
  ply,
  clock: { w: 170_000, b: 179_000 },
  check: false,
  ...extra,
});

describe('fromState', () => {
  it('replays the moves into SAN and runs the side to move from ply 2', () => {
    const m = fromState(base, 1000);
    expect(m.sans).toEqual(['e4', 'e5']);
    expect(m.clock.running).toBe('white');
    expect(remainingMs(m.clock, 'white', 3000)).toBe(176_000);
    expect(remainingMs(m.clock, 'black', 3000)).toBe(179_000);
  });
  it('keeps clocks still before both sides moved', () => {
    const m = fromState({ ...base, moves: ['e2e4'], turn: 'black' }, 0);
    expect(m.clock.running).toBeNull();
    expect(canAbort(m)).toBe(true);
  });
});

describe('applyMove', () => {
  it('appends a move, switches the turn and restarts the clock from the event', () => {
    const m0 = fromState(base, 0);
    const m1 = applyMove(m0, mv(3, 'g1f3'), 4, 10_000)!;
    expect(m1.moves).toEqual(['e2e4', 'e7e5', 'g1f3']);
    expect(m1.sans[2]).toBe('Nf3');
    expect(m1.turn).toBe('black');
    expect(m1.v).toBe(4);
    expect(m1.clock.running).toBe('black');
    expect(remainingMs(m1.clock, 'black', 11_000)).toBe(178_000);
    expect(remainingMs(m1.clock, 'white', 11_000)).toBe(170_000);
    expect(canAbort(m1)).toBe(false);
  });
  it('ignores a move it already has', () => {
    const m0 = fromState(base, 0);
    expect(applyMove(m0, mv(2, 'e7e5'), 2, 0)).toBe(m0);
  });
  it('asks for a resync when a ply is missing, the history differs or the move is illegal', () => {
    const m0 = fromState(base, 0);
    expect(applyMove(m0, mv(4, 'b8c6'), 5, 0)).toBeNull();
    expect(applyMove(m0, mv(2, 'd7d5'), 2, 0)).toBeNull();
    expect(applyMove(m0, mv(3, 'e1e3'), 4, 0)).toBeNull();
  });
  it('lets a draw offer lapse when the offerer’s opponent moves', () => {
    const offered = applyDrawOffered(fromState(base, 0), 'black', 4);
    const afterWhite = applyMove(offered, mv(3, 'g1f3'), 5, 0)!;
    expect(afterWhite.drawOffer).toBeNull();
    const offeredByWhite = applyDrawOffered(fromState(base, 0), 'white', 4);
    expect(applyMove(offeredByWhite, mv(3, 'g1f3'), 5, 0)!.drawOffer).toBe('white');
  });
});

describe('applyEnd', () => {
  it('stops the clocks where they were and records the result and ratings', () => {
    const m = applyEnd(
      fromState(base, 0),
      { game: 'g1', result: '0-1', reason: 'resign', ratings: { white: { before: 1500, after: 1490 } } },
      4,
      5_000,
    );
    expect(m.status).toBe('ended');
    expect(m.clock.running).toBeNull();
    expect(remainingMs(m.clock, 'white', 99_000)).toBe(173_000);
    expect(resultText(m.result, m.reason)).toBe('Black wins by resignation.');
  });
});

describe('texts', () => {
  it.each([
    ['1-0', 'checkmate', 'White wins by checkmate.'],
    ['1/2-1/2', 'timeoutVsInsufficient', 'Draw by time out against insufficient material.'],
    ['1/2-1/2', 'abort', 'Game aborted.'],
    [null, null, 'Game over.'],
  ])('%s %s', (r, why, want) => {
    expect(resultText(r, why)).toBe(want);
  });
  it.each([
    [1, 'e4', '1. White: pawn to e4'],
    [4, 'Nxf3+', '2. Black: knight takes f3, check'],
    [9, 'O-O', '5. White: castles kingside'],
    [31, 'exd8=Q#', '16. White: pawn takes d8, promotes to queen, checkmate'],
  ])('spoken move %i %s', (ply, san, want) => {
    expect(spokenMove(ply, san)).toBe(want);
  });
  it('finds the seat of a player', () => {
    const m = fromState(base, 0);
    expect(seatOf(m, 'alice')).toBe('white');
    expect(seatOf(m, 'bob')).toBe('black');
    expect(seatOf(m, 'carol')).toBeNull();
  });
  it('offers a threefold claim only when the position repeated', () => {
    const moves = ['g1f3', 'g8f6', 'f3g1', 'f6g8', 'g1f3', 'g8f6', 'f3g1', 'f6g8'];
    const m = fromState({ ...base, moves, fen: '', turn: 'white' }, 0);
    expect(claimableDraw(m)).toBe(true);
    expect(claimableDraw(fromState(base, 0))).toBe(false);
  });
});

describe('first-move deadline', () => {
  const fresh: FullState = {
    ...base,
    fen: 'rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1',
    moves: [],
    clock: { w: 180_000, b: 180_000 },
    clockRunning: false,
    firstMoveBy: 1_700_000_030_000,
    serverTime: 1_700_000_007_000,
  };

  it('counts from the state deadline in local time, whatever the local clock says', () => {
    const m = fromState(fresh, 5000, 100);
    expect(m.firstMoveBy).toBe(5000 + 23_000 - 100);
  });

  it('starts black 30 s at white first move and clears after black moves', () => {
    const m = fromState(fresh, 5000);
    const a = applyMove(m, mv(1, 'e2e4'), 4, 6000, 0)!;
    expect(a.firstMoveBy).toBe(6000 + 30_000);
    const b = applyMove(a, mv(2, 'e7e5'), 5, 7000, 0)!;
    expect(b.firstMoveBy).toBeNull();
  });

  it('has no deadline without the field (older server) or after the end', () => {
    expect(fromState(base, 0).firstMoveBy).toBeNull();
    const ended = applyEnd(fromState(fresh, 0), { game: 'g1', result: '*', reason: 'abort', noMove: 'white' }, 4, 1);
    expect(ended.firstMoveBy).toBeNull();
    expect(ended.noMove).toBe('white');
    expect(ended.abortedBy).toBeNull();
  });
});
