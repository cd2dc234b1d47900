import { describe, expect, it } from 'vitest';
import { START_FEN } from './model';
import { countPieces, materialOf } from './material';

describe('materialOf', () => {
  it('is level at the start', () => {
    expect(materialOf(START_FEN)).toEqual({ white: { captured: [], score: 0 }, black: { captured: [], score: 0 } });
  });

  it('shows a captured knight for white as +3', () => {
    // Black's b8 knight is gone, white has everything.
    const fen = 'r1bqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 4';
    const m = materialOf(fen);
    expect(m.white).toEqual({ captured: ['n'], score: 3 });
    expect(m.black).toEqual({ captured: [], score: 0 });
  });

  it('lists both sides captures and nets the score', () => {
    // White lacks a rook (-5), black a bishop and two pawns (-5): level on points.
    const fen = 'rn1qkbnr/ppp2ppp/8/8/8/8/PPPPPPPP/RNBQKBN1 w Qkq - 0 1';
    const m = materialOf(fen);
    expect(m.white.captured).toEqual(['b', 'p', 'p']);
    expect(m.black.captured).toEqual(['r']);
    expect(m.white.score).toBe(0);
    expect(m.black.score).toBe(0);
  });

  it('counts a promotion as a queen gained and a pawn lost', () => {
    const fen = '4k3/8/8/8/8/8/8/Q3K3 w - - 0 1'; // white queen vs bare king
    expect(materialOf(fen).white).toEqual({ captured: ['q'], score: 9 });
    const promoted = 'Q3k3/8/8/8/8/8/1ppppppp/4K3 w - - 0 1'; // white promoted, black has 7 pawns
    const m = materialOf(promoted);
    expect(m.white.captured).toEqual(['q']);
    expect(m.black.captured).toEqual(['p', 'p', 'p', 'p', 'p', 'p', 'p']);
    expect(m.white.score).toBe(2);
  });

  it('returns nothing for a malformed FEN', () => {
    expect(countPieces('not a fen')).toBeNull();
    expect(materialOf('8/8/8 w - - 0 1').white.score).toBe(0);
  });
});
