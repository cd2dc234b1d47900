import { describe, expect, it } from 'vitest';
import { START_FEN } from './model';
import { canPremove, premoveTargets, resolvePremove } from './premove';

const AFTER_E4 = 'rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq e3 0 1';

describe('premoves', () => {
  it('offers the moves of the premover as if it were their turn', () => {
    // Black to move; white queues.
    expect(premoveTargets(AFTER_E4, 'white', 'g1')).toEqual(new Set(['e2', 'f3', 'h3']));
    expect(canPremove(AFTER_E4, 'white', 'd2d4')).toBe(true);
    expect(canPremove(AFTER_E4, 'white', 'd2d5')).toBe(false);
    expect(canPremove(AFTER_E4, 'white', 'e7e5'), 'not the opponent pieces').toBe(false);
  });

  it('lets a pawn premove a capture onto an empty diagonal square', () => {
    expect(premoveTargets(AFTER_E4, 'white', 'e4')).toEqual(new Set(['e5', 'd5', 'f5']));
  });

  it('plays a premove that is still legal after the opponent moves', () => {
    const afterE5 = 'rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq e6 0 2';
    expect(resolvePremove(afterE5, 'white', 'g1f3')).toBe('g1f3');
  });

  it('drops a premove that became illegal', () => {
    // White queued e4xd5 expecting ...d5, black played ...e5 instead.
    const afterE5 = 'rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq e6 0 2';
    expect(resolvePremove(afterE5, 'white', 'e4d5')).toBeNull();
    // The pawn got blocked.
    const blocked = 'rnbqkbnr/pppp1ppp/8/8/4p3/8/PPPPPPPP/RNBQKBNR w KQkq - 0 2';
    expect(resolvePremove(blocked, 'white', 'e2e4')).toBeNull();
  });

  it('plays the capture the pawn premove was waiting for', () => {
    const afterD5 = 'rnbqkbnr/ppp1pppp/8/3p4/4P3/8/PPPP1PPP/RNBQKBNR w KQkq d6 0 2';
    expect(resolvePremove(afterD5, 'white', 'e4d5')).toBe('e4d5');
  });

  it('does not play out of turn and promotes to a queen by default', () => {
    expect(resolvePremove(START_FEN, 'black', 'e7e5')).toBeNull();
    const promo = '8/4P3/8/8/8/8/k7/4K3 w - - 0 1';
    expect(resolvePremove(promo, 'white', 'e7e8')).toBe('e7e8q');
    expect(resolvePremove(promo, 'white', 'e7e8n')).toBe('e7e8n');
  });
});
