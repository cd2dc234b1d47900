// Registered players: two accounts created through the login panel play a rated blitz game to a
// resignation; the winner's profile then shows the new rating, the game in the history and the
// rating chart (with its text alternative), and the replay link opens the game.
import { Chess } from 'chess.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickMove, launchBrowser, newPlayer, platform, quickPair, register, screenshot, waitMyTurn, waitPosition } from './helpers';
import { ProtocolPlayer, playDraws } from './protocolPlayer';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;

describe('profiles of registered players', () => {
  it('shows a rated game in the ratings, the history and the rating chart', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    const names = [uniqueName('ann'), uniqueName('bob')];
    await register(a.page, names[0]!);
    await register(b.page, names[1]!);
    for (const p of [a.page, b.page]) await p.getByTestId('rated').check();
    const { white, black } = await quickPair(a.page, b.page, '3+2');
    const whiteName = white === a.page ? names[0]! : names[1]!;
    const blackName = white === a.page ? names[1]! : names[0]!;

    // Two moves (a resignation before them would only abort the game), then White resigns.
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
    await white.getByTestId('resign').click();
    await white.getByTestId('resign-confirm').click();
    for (const p of [white, black]) await expect.poll(() => p.getByTestId('result-banner').getAttribute('data-result')).toBe('0-1');

    const page = black;
    await page.goto(`/player/${encodeURIComponent(blackName)}`);
    const blitz = page.getByTestId('rating-blitz');
    await expect.poll(() => blitz.locator('td').nth(1).textContent()).toBe('1');
    // One rated game leaves a rating provisional: no rank yet.
    expect(await page.getByTestId('rank-blitz').getByLabel('not ranked').count()).toBe(1);
    const shown = Number((await blitz.locator('td').first().textContent())?.replace(/\D/g, ''));
    expect(shown).toBeGreaterThan(1500); // the winner of a first rated game gains

    const history = page.getByTestId('history');
    await expect.poll(() => history.locator('tbody tr').count()).toBe(1);
    expect(await history.textContent()).toContain('3+2 rated');
    expect(await history.textContent()).toContain(whiteName);

    const chart = page.getByTestId('rating-chart');
    await chart.waitFor();
    const label = (await chart.getByRole('img').getAttribute('aria-label')) ?? '';
    expect(label).toBe(`Blitz rating over the last 1 rated game: ${shown} after the first, ${shown} now; lowest ${shown}, highest ${shown}.`);
    expect(await chart.locator('figcaption').textContent()).toBe(label);
    await screenshot(page, 'profile');

    await page.getByRole('link', { name: 'Replay' }).click();
    await page.waitForURL(/\/replay\/[^/]+$/);

    // The loser's chart shows the loss.
    await white.goto(`/player/${encodeURIComponent(whiteName)}`);
    const lost = white.getByTestId('rating-chart');
    await lost.waitFor();
    const lostRating = Number((await white.getByTestId('rating-blitz').locator('td').first().textContent())?.replace(/\D/g, ''));
    expect(lostRating).toBeLessThan(1500);
    expect(await lost.getByRole('img').getAttribute('aria-label')).toContain(`${lostRating} now`);
  });

  it('shows the rank of an established rating: "#N in blitz"', async () => {
    // Fourteen rated draws between two new accounts take both ratings below RD 110.
    const names = [uniqueName('cy'), uniqueName('di')];
    const [c, d] = await Promise.all(names.map((n) => ProtocolPlayer.register(n)));
    try {
      await playDraws(c!, d!, '3+2', 14);
    } finally {
      c!.close();
      d!.close();
    }
    const api = (await (await fetch(`${platform().backend}/api/players/${names[0]}`)).json()) as {
      ratings: { blitz: { provisional: boolean; rank: number | null } };
    };
    expect(api.ratings.blitz.provisional).toBe(false);
    expect(api.ratings.blitz.rank).toBeGreaterThanOrEqual(1);

    const { page } = await newPlayer(browser);
    await page.goto(`/player/${encodeURIComponent(names[0]!)}`);
    const rank = page.getByTestId('rank-blitz');
    await expect.poll(() => rank.textContent()).toBe(`#${api.ratings.blitz.rank!.toLocaleString('en-US')} in blitz`);
    expect(await page.getByTestId('rank-bullet').getByLabel('not ranked').count()).toBe(1);
    await screenshot(page, 'profile-rank');
  });
});
