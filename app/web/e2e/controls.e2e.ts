// Promotion picker, draw offer and decline, and resigning, all with the keyboard where a
// person could: the game controls are reachable by Tab, show focus, and work with Enter.
import { Chess } from 'chess.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickMove,
  dragMove,
  fenOf,
  focusIndicator,
  launchBrowser,
  loginAsGuest,
  newPlayer,
  quickPair,
  screenshot,
  waitMyTurn,
  waitPosition,
} from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const focusedTestId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

/** Presses Tab until the element with this test id has focus; fails after `limit` presses. */
async function tabTo(page: Page, testId: string, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if ((await focusedTestId(page)) === testId) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${testId} not reached with Tab in ${limit} presses (focus on ${await focusedTestId(page)})`);
}

describe('game controls', () => {
  it('promotes through the picker (keyboard), offers and declines a draw, and resigns, by keyboard', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    await loginAsGuest(a.page);
    await loginAsGuest(b.page);
    const { white, black } = await quickPair(a.page, b.page, '3+2');

    const chess = new Chess();
    const played = async (san: string) => {
      chess.move(san);
      await Promise.all([white, black].map((p) => waitPosition(p, chess.fen(), chess.history().length)));
    };
    // 1. h4 g5 2. hxg5 h6 3. gxh6 a6 4. h7 a5: the h-pawn reaches h7 next to Black's knight.
    const opening: Array<[Page, string, string, string]> = [
      [white, 'h2', 'h4', 'h4'],
      [black, 'g7', 'g5', 'g5'],
      [white, 'h4', 'g5', 'hxg5'],
      [black, 'h7', 'h6', 'h6'],
      [white, 'g5', 'h6', 'gxh6'],
      [black, 'a7', 'a6', 'a6'],
      [white, 'h6', 'h7', 'h7'],
      [black, 'a6', 'a5', 'a5'],
    ];
    for (const [page, from, to, san] of opening) {
      await waitMyTurn(page);
      await clickMove(page, from, to);
      await played(san);
    }

    // Dragging the pawn onto the last rank opens the picker; Escape cancels and changes nothing.
    await waitMyTurn(white);
    await dragMove(white, 'h7', 'g8');
    const picker = white.getByTestId('promotion-picker');
    await picker.waitFor();
    expect(await picker.getAttribute('role')).toBe('dialog');
    expect(await focusedTestId(white)).toBe('promote-q');
    await screenshot(white, 'promotion-picker');
    await white.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    expect(await white.getByTestId('move-list').getAttribute('data-plies')).toBe('8');

    // Again by clicking; in the picker Tab walks Queen, Rook, Bishop, Knight; Enter picks.
    await clickMove(white, 'h7', 'g8');
    await picker.waitFor();
    expect(await focusedTestId(white)).toBe('promote-q');
    for (const next of ['promote-r', 'promote-b', 'promote-n']) {
      await white.keyboard.press('Tab');
      expect(await focusedTestId(white)).toBe(next);
    }
    await white.keyboard.press('Enter');
    await played('hxg8=N');
    expect(await white.getByTestId('ply-9').textContent()).toBe('hxg8=N');
    expect(await black.getByTestId('ply-9').textContent()).toBe('hxg8=N');
    expect((await fenOf(black)).split(' ')[0]!.startsWith('rnbqkbNr/')).toBe(true);
    await expect.poll(() => black.getByTestId('announcer').textContent()).toBe('5. White: pawn takes g8, promotes to knight');

    // Black offers a draw by keyboard: the control is reachable with Tab and shows focus.
    await waitMyTurn(black);
    await black.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await tabTo(black, 'draw-offer');
    expect((await focusIndicator(black)).outline).not.toBe('none');
    await black.keyboard.press('Enter');
    await expect.poll(() => black.getByTestId('draw-offer').textContent()).toBe('Draw offered');
    await white.getByTestId('draw-offered').waitFor();
    await expect.poll(() => white.getByTestId('announcer').textContent()).toBe('Black offers a draw.');
    await screenshot(white, 'draw-offered');

    // White declines by keyboard.
    await white.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await tabTo(white, 'draw-decline');
    await white.keyboard.press('Enter');
    await white.getByTestId('draw-offered').waitFor({ state: 'detached' });
    await expect.poll(() => black.getByTestId('announcer').textContent()).toBe('Draw offer declined.');
    await expect.poll(() => black.getByTestId('draw-offer').textContent()).toBe('Offer draw');
    expect(await black.getByTestId('game').getAttribute('data-status')).toBe('started');

    // Black resigns by keyboard: Resign, then focus lands on Confirm.
    await black.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await tabTo(black, 'resign');
    await black.keyboard.press('Enter');
    await expect.poll(() => focusedTestId(black)).toBe('resign-confirm');
    await black.keyboard.press('Enter');

    for (const p of [white, black]) {
      await p.getByTestId('result-banner').waitFor();
      expect(await p.getByTestId('result-banner').getAttribute('data-result')).toBe('1-0');
      expect(await p.getByTestId('result-text').textContent()).toBe('White wins: Black resigned.');
      await expect.poll(() => p.getByTestId('announcer').textContent()).toContain('White wins: Black resigned.');
      // The game is over: no controls left to act with.
      expect(await p.getByTestId('resign').count()).toBe(0);
    }
    await screenshot(black, 'resigned');
    await Promise.all([a.context.close(), b.context.close()]);
  });
});
