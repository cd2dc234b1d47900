// Issue 7 "Must show": two guests pair through the lobby and play to checkmate by clicking,
// dragging (real mouse steps) and the keyboard; a third browser spectates live; a reload in the
// middle restores position and clocks; the result is shown and announced. Screenshots go to
// artifacts/e2e/. (/status: operator.e2e.ts.)
import { Chess } from 'chess.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickMove,
  clockMs,
  dragMove,
  fenOf,
  focusIndicator,
  freshClock,
  focusedSquare,
  arrowTo,
  launchBrowser,
  loginAsGuest,
  newPlayer,
  quickPair,
  screenshot,
  seatOf,
  tabToBoard,
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

describe('a whole game in three browsers', () => {
  it('pairs two guests, plays to checkmate by click, drag and keyboard, with a live spectator and a reload', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    await loginAsGuest(a.page);
    await loginAsGuest(b.page);
    // The spectator's browser is started (and its lobby loaded) before the pairing, so that opening
    // the game later is quick: each side has 30 s for its first move, and a loaded machine once
    // spent them on starting this third browser.
    const c = await newPlayer(browser);
    const spectator: Page = c.page;
    await spectator.goto('/');
    const { id, white, black } = await quickPair(a.page, b.page, '5+3');

    const chess = new Chess();
    let watching = false;
    const everyone = () => (watching ? [white, black, spectator] : [white, black]);
    /** After a move: every page, the spectator included (once it watches) and never reloaded, shows it. */
    const played = async (san: string) => {
      chess.move(san);
      const fen = chess.fen();
      const plies = chess.history().length;
      await Promise.all(everyone().map((p) => waitPosition(p, fen, plies)));
      const lastSan = chess.history().at(-1)!;
      if (watching) await expect.poll(() => spectator.getByTestId(`ply-${plies}`).textContent()).toBe(lastSan);
    };

    // 1. f3 — by clicking: pick the pawn, then the target square.
    await waitMyTurn(white);
    await clickMove(white, 'f2', 'f3');
    await played('f3');

    // The spectator opens the game from its URL (a guest session of its own) and is caught up.
    await spectator.goto(`/game/${encodeURIComponent(id)}`);
    expect(await seatOf(spectator)).toBe('spectator');
    await expect.poll(() => spectator.getByTestId('connection-status').getAttribute('data-status')).toBe('open');
    await waitPosition(spectator, chess.fen(), 1);
    watching = true;

    // 1... e5 — by dragging.
    await waitMyTurn(black);
    await dragMove(black, 'e7', 'e5');
    await played('e5');

    // Reload White mid-game (White's clock runs): position and both clocks come back.
    await expect.poll(async () => (await clockMs(white, 'white')).running).toBe(true);
    const fenBefore = await fenOf(white);
    const before = { w: await freshClock(white, 'white'), b: await clockMs(white, 'black') };
    await white.reload();
    await waitPosition(white, fenBefore, 2);
    expect(await fenOf(white)).toBe(fenBefore);
    expect(await seatOf(white)).toBe('white');
    const after = { w: await freshClock(white, 'white'), b: await clockMs(white, 'black') };
    expect(after.w.running).toBe(true);
    expect(after.b.running).toBe(false);
    // Black's clock is stopped: the same value. White's ran on during the reload.
    expect(Math.abs(after.b.ms - before.b.ms)).toBeLessThanOrEqual(250);
    const expectedW = before.w.ms - (after.w.at - before.w.at);
    console.log(
      `reload: white ${before.w.ms} -> ${after.w.ms} ms over ${after.w.at - before.w.at} ms (off by ${after.w.ms - expectedW} ms); black ${before.b.ms} -> ${after.b.ms} ms`,
    );
    expect(Math.abs(after.w.ms - expectedW)).toBeLessThanOrEqual(1000);
    expect(after.w.ms).toBeLessThan(before.w.ms);
    await screenshot(white, 'game-midgame-after-reload');

    // 2. g4 — by keyboard only, on the reloaded page: Tab into the board, arrows, Enter, Space.
    await waitMyTurn(white);
    await white.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const presses = await tabToBoard(white);
    expect(presses).toBeLessThanOrEqual(20);
    const focus = await focusIndicator(white);
    expect(focus.outline, 'the focused square shows a visible focus outline').not.toBe('none');
    expect(await focusedSquare(white)).toMatch(/^[a-h][1-8]$/);
    await arrowTo(white, 'g2', 'white');
    await white.keyboard.press('Enter');
    await expect.poll(() => white.getByTestId('square-g2').getAttribute('aria-pressed')).toBe('true');
    // Legal targets are marked for the picked pawn, and named so for screen readers.
    expect(await white.getByTestId('square-g4').getAttribute('data-target')).toBe('true');
    expect(await white.getByTestId('square-g4').getAttribute('aria-label')).toBe('g4, empty, legal move');
    await arrowTo(white, 'g4', 'white');
    await screenshot(white, 'game-keyboard-move');
    await white.keyboard.press('Space');
    await played('g4');
    await screenshot(black, 'game-midgame-black');
    await screenshot(spectator, 'game-midgame-spectator');

    // 2... Qh4# — by dragging.
    await waitMyTurn(black);
    await dragMove(black, 'd8', 'h4');
    await played('Qh4#');
    expect(chess.isCheckmate()).toBe(true);

    // Everyone sees the result with its reason, and it is announced as text in a live region.
    for (const p of everyone()) {
      await p.getByTestId('result-banner').waitFor();
      expect(await p.getByTestId('result-banner').getAttribute('data-result')).toBe('0-1');
      expect(await p.getByTestId('result-text').textContent()).toBe('Black wins by checkmate.');
      const live = p.getByTestId('announcer');
      expect(await live.getAttribute('aria-live')).toBe('polite');
      expect(await live.getAttribute('role')).toBe('status');
      await expect.poll(() => live.textContent()).toContain('Black wins by checkmate.');
      expect(await p.getByTestId('game').getAttribute('data-status')).toBe('ended');
    }
    await screenshot(white, 'game-result-white');
    await screenshot(black, 'game-result-black');
    await screenshot(spectator, 'game-result-spectator');

    // The server agrees: the game is over by checkmate with these four moves.
    const state = (await (await white.request.get(`/api/games/${encodeURIComponent(id)}`)).json()) as {
      status: string;
      result: string;
      reason: string;
      moves: string[];
    };
    expect(state).toMatchObject({ status: 'ended', result: '0-1', reason: 'checkmate', moves: ['f2f3', 'e7e5', 'g2g4', 'd8h4'] });

    await Promise.all([a.context.close(), b.context.close(), c.context.close()]);
  });
});
