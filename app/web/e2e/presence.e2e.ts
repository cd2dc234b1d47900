// Presence (issue 14, points 3, 5-claim and 6): a player's running games on the lobby with a
// Resume link, "Play" on the owner's profile and "Watch" for others, the live games list with a
// click to watch, the spectator count going up when a third browser watches, and the claim of
// a game whose opponent closed their page (the platform runs with ABANDON_TIMEOUT=5s, see
// platform.ts).
import { Chess } from 'chess.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickMove,
  launchBrowser,
  loginAsGuest,
  newPlayer,
  quickPair,
  screenshotBothWidths,
  seatOf,
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

async function playOpening(white: Page, black: Page): Promise<void> {
  const chess = new Chess();
  for (const [page, from, to] of [
    [white, 'e2', 'e4'],
    [black, 'e7', 'e5'],
  ] as Array<[Page, string, string]>) {
    await waitMyTurn(page);
    await clickMove(page, from, to);
    chess.move({ from, to });
    await Promise.all([white, black].map((p) => waitPosition(p, chess.fen(), chess.history().length)));
  }
}

describe('presence', () => {
  it('lists your games and live games, counts spectators and lets the remaining player claim', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    const c = await newPlayer(browser);
    // Three pages at once on a loaded machine: more room than the helpers' 15 s per step.
    for (const p of [a, b, c]) p.context.setDefaultTimeout(45_000);
    await a.page.goto('/', { timeout: 120_000 }); // the first load of the production server
    const nameA = await loginAsGuest(a.page);
    const nameB = await loginAsGuest(b.page);
    const nameC = await loginAsGuest(c.page);
    const { id, white, black } = await quickPair(a.page, b.page, '10+0');
    const whiteName = white === a.page ? nameA : nameB;
    const blackName = white === a.page ? nameB : nameA;
    await playOpening(white, black);

    // Your games: White's lobby lists the game, with the opponent, the time control, whose turn
    // it is, and a link that resumes it as White.
    await white.goto('/');
    const mine = white.getByTestId(`your-game-${id}`);
    await mine.waitFor();
    expect(await mine.textContent()).toContain(blackName);
    expect(await mine.textContent()).toContain('10+0');
    expect(await mine.getByTestId('your-game-turn').textContent()).toBe('Your turn');
    await screenshotBothWidths(white, 'presence-your-games');
    await mine.getByRole('link', { name: `Resume your game against ${blackName}` }).click();
    await white.waitForURL(new RegExp(`/game/${id}$`));
    expect(await seatOf(white)).toBe('white');

    // The owner's profile says Play; someone else sees Watch.
    await c.page.goto(`/player/${encodeURIComponent(whiteName)}`);
    await expect.poll(() => c.page.getByTestId(`running-${id}`).textContent()).toBe('Watch');
    await white.goto(`/player/${encodeURIComponent(whiteName)}`);
    const play = white.getByTestId(`running-${id}`);
    await expect.poll(() => play.textContent()).toBe('Play');
    await screenshotBothWidths(white, 'presence-profile-play');
    await play.click();
    await white.waitForURL(new RegExp(`/game/${id}$`));
    expect(await seatOf(white)).toBe('white');

    // Live games: the third player finds the game on the lobby and watches it with a click.
    await c.page.goto('/');
    const live = c.page.getByTestId(`live-game-${id}`);
    await live.waitFor();
    expect(await live.textContent()).toContain(whiteName);
    expect(await live.textContent()).toContain(blackName);
    await screenshotBothWidths(c.page, 'presence-live-games');
    await live.getByRole('link', { name: `Watch ${whiteName} vs ${blackName}` }).click();
    await c.page.waitForURL(new RegExp(`/game/${id}$`));
    expect(await seatOf(c.page)).toBe('spectator');
    expect(nameC).not.toBe(whiteName);

    // The spectator count goes up on the players' pages.
    for (const p of [white, black, c.page]) {
      await expect.poll(() => p.getByTestId('spectators').getAttribute('data-n'), { timeout: 10_000 }).toBe('1');
    }
    await screenshotBothWidths(white, 'presence-spectators');

    // Black closes their page: White sees a countdown, then claims the win.
    await black.context().close();
    await white.getByTestId('claim-countdown').waitFor({ timeout: 10_000 });
    await screenshotBothWidths(white, 'presence-claim-countdown');
    await white.getByTestId('claim-win').waitFor({ timeout: 15_000 });
    await screenshotBothWidths(white, 'presence-claim-available');
    await white.getByTestId('claim-win').click();
    await expect.poll(() => white.getByTestId('result-banner').getAttribute('data-result')).toBe('1-0');
    expect(await white.getByTestId('result-text').textContent()).toMatch(/abandon/i);
    await expect.poll(() => c.page.getByTestId('result-banner').getAttribute('data-result')).toBe('1-0');
    await screenshotBothWidths(white, 'presence-claimed');

    // The ended game leaves White's games on the lobby.
    await white.goto('/');
    await white.getByTestId('live-games').waitFor();
    expect(await white.getByTestId(`your-game-${id}`).count()).toBe(0);
  }, 300_000);
});
