// Phone layout and accessibility on every page (issue 14, points 7 and 8): at 375×667 no page is
// wider than the viewport and the header is one line; during a game the board, both clocks and
// the game buttons are on screen without scrolling; axe-core finds no serious or critical
// violation at 1280 and 375 px. Also: the leaderboard explains provisional ratings, results read
// the same on the game page, the profile and the replay, the offering player sees a declined
// draw, the register form states the password rule before submit, and the player bar shows the
// new rating after a rated game. Screenshots: layout-<page>-{1280,375}.png.
import { readFileSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { Chess } from 'chess.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WIDTHS,
  clickMove,
  launchBrowser,
  loginAsGuest,
  newPlayer,
  platform,
  quickPair,
  register,
  screenshotBothWidths,
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

const PHONE = { width: 375, height: 667 };
/** A one-line header: the brand, the menu and the connection state side by side. */
const HEADER_MAX_PX = 64;

const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;

interface Fit {
  scrollWidth: number;
  header: number;
  /** Elements that stick out on the right, for the failure message. */
  overflowing: string[];
}

async function measure(page: Page): Promise<Fit> {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const overflowing: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > vw + 0.5 && overflowing.length < 8) {
        overflowing.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
      }
    }
    return {
      scrollWidth: document.documentElement.scrollWidth,
      header: document.querySelector('header.site-header')?.getBoundingClientRect().height ?? -1,
      overflowing,
    };
  });
}

/** axe-core's serious and critical findings, one line each (rule: selectors). */
async function axeProblems(page: Page): Promise<string[]> {
  const res = await new AxeBuilder({ page }).analyze();
  return res.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

/**
 * At 1280 and at 375 px: nothing wider than the viewport, a one-line header, no serious or
 * critical axe finding; then the screenshots. The page's viewport is restored.
 */
async function checkPage(page: Page, name: string): Promise<void> {
  // axe and full-page screenshots are slow on a loaded machine (seen: over 15 s at load 30).
  page.setDefaultTimeout(60_000);
  const before = page.viewportSize();
  try {
    for (const w of WIDTHS) {
      await page.setViewportSize({ width: w.width, height: w.height });
      await expect.poll(async () => (await measure(page)).scrollWidth, { message: `${name} at ${w.label}: ${JSON.stringify(await measure(page))}` }).toBeLessThanOrEqual(w.width);
      const fit = await measure(page);
      expect(fit.header, `${name} at ${w.label}: header height`).toBeGreaterThan(0);
      expect(fit.header, `${name} at ${w.label}: header height`).toBeLessThan(HEADER_MAX_PX);
      expect(await axeProblems(page), `${name} at ${w.label}: axe`).toEqual([]);
    }
  } finally {
    if (before) await page.setViewportSize(before);
  }
  await screenshotBothWidths(page, `layout-${name}`);
}

/** Every test id's box lies inside the 375×667 viewport, with the page not scrolled. */
async function onScreen(page: Page, ids: string[]): Promise<void> {
  expect(await page.evaluate(() => [window.scrollX, window.scrollY])).toEqual([0, 0]);
  for (const id of ids) {
    const box = await page.getByTestId(id).boundingBox();
    expect(box, `${id} is rendered`).not.toBeNull();
    expect(box!.x, `${id} left edge`).toBeGreaterThanOrEqual(0);
    expect(box!.y, `${id} top edge`).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, `${id} right edge`).toBeLessThanOrEqual(PHONE.width);
    expect(box!.y + box!.height, `${id} bottom edge`).toBeLessThanOrEqual(PHONE.height);
  }
}

describe('layout and accessibility', () => {
  it('shows the account rules on the register form before submit', async () => {
    const { context, page } = await newPlayer(browser);
    await page.goto('/');
    await page.getByTestId('play-as-guest').waitFor();
    await checkPage(page, 'lobby-visitor');

    await page.getByRole('form', { name: 'Log in' }).getByRole('button', { name: 'Register' }).click();
    const form = page.getByRole('form', { name: 'Register' });
    const password = form.getByLabel('Password');
    const rule = page.getByTestId('password-rule');
    await rule.waitFor();
    expect(await rule.textContent()).toBe('10 to 200 characters.');
    // The field is described by the rule: a screen reader reads it with the field.
    const describedBy = await password.getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    expect(await rule.getAttribute('id')).toBe(describedBy);
    expect(await password.getAttribute('minlength')).toBe('10');
    expect(await password.getAttribute('maxlength')).toBe('200');
    expect(await form.getByLabel('Username').getAttribute('aria-describedby')).toBe(await page.getByTestId('username-rule').getAttribute('id'));
    await checkPage(page, 'lobby-register');
    await context.close();
  }, 240_000);

  it('fits a phone and passes axe on every page of a rated game, its result and the rankings', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    const names = [uniqueName('lay'), uniqueName('out')];
    await register(a.page, names[0]!);
    await register(b.page, names[1]!);
    for (const p of [a.page, b.page]) await p.getByTestId('rated').check();
    await checkPage(a.page, 'lobby');

    for (const p of [a.page, b.page]) await p.setViewportSize(PHONE);
    const { id, white, black } = await quickPair(a.page, b.page, '15+10');
    const whiteName = white === a.page ? names[0]! : names[1]!;
    const blackName = white === a.page ? names[1]! : names[0]!;

    // Before the first move (the first-move timer runs: only quick checks here). The board,
    // both clocks and every game button are on screen at 375×667 without scrolling.
    const chess = new Chess();
    for (const [page, from, to] of [
      [white, 'e2', 'e4'],
      [black, 'e7', 'e5'],
    ] as Array<[Page, string, string]>) {
      await waitMyTurn(page);
      await onScreen(page, ['board', 'clock-white', 'clock-black', 'abort', 'draw-offer', 'resign']);
      const fit = await measure(page);
      expect(fit.scrollWidth, JSON.stringify(fit)).toBeLessThanOrEqual(PHONE.width);
      expect(fit.header).toBeLessThan(HEADER_MAX_PX);
      if (page === white) {
        // "No moves yet." on one line.
        const lines = await page.getByTestId('move-list').locator('li').first().evaluate((el) => {
          const lh = parseFloat(getComputedStyle(el).lineHeight);
          return el.getBoundingClientRect().height / lh;
        });
        expect(lines).toBeLessThan(1.6);
      }
      await clickMove(page, from, to);
      chess.move({ from, to });
      await Promise.all([white, black].map((p) => waitPosition(p, chess.fen(), chess.history().length)));
    }
    await onScreen(white, ['board', 'clock-white', 'clock-black', 'draw-offer', 'resign']);
    await checkPage(white, 'game-player');

    // A spectator (a guest) sees the board and both clocks on a phone too.
    const c = await newPlayer(browser);
    await loginAsGuest(c.page);
    await c.page.setViewportSize(PHONE);
    await c.page.goto(`/game/${encodeURIComponent(id)}`);
    await expect.poll(() => c.page.getByTestId('game').getAttribute('data-seat')).toBe('spectator');
    await waitPosition(c.page, chess.fen(), 2);
    await onScreen(c.page, ['board', 'clock-white', 'clock-black']);
    await checkPage(c.page, 'game-spectator');

    // Black offers a draw and White declines: Black is told, White is not.
    await black.getByTestId('draw-offer').click();
    await white.getByTestId('draw-offered').waitFor();
    await white.getByTestId('draw-decline').click();
    const declined = black.getByTestId('draw-declined');
    await declined.waitFor();
    expect(await declined.textContent()).toBe('Your draw offer was declined.');
    expect(await white.getByTestId('draw-declined').count()).toBe(0);
    await onScreen(black, ['board', 'clock-white', 'clock-black', 'draw-offer', 'resign']);
    await checkPage(black, 'game-draw-declined');

    // White resigns. The player bars show the new ratings, not the provisional 1500 of before.
    await white.getByTestId('resign').click();
    await white.getByTestId('resign-confirm').click();
    for (const p of [white, black]) await expect.poll(() => p.getByTestId('result-banner').getAttribute('data-result')).toBe('0-1');
    const shownOnGame = (await white.getByTestId('result-notation').textContent()) ?? '';
    expect(shownOnGame).toBe('0–1');
    for (const [name, color] of [
      [whiteName, 'white'],
      [blackName, 'black'],
    ] as const) {
      const res = await fetch(`${platform().backend}/api/players/${encodeURIComponent(name)}`);
      const rating = ((await res.json()) as { ratings: { rapid: { rating: number } } }).ratings.rapid.rating;
      expect(rating).not.toBe(1500);
      for (const p of [white, black]) {
        const bar = (await p.getByTestId(`rating-${color}`).textContent()) ?? '';
        expect(bar).toMatch(new RegExp(`^\\(${rating}\\??\\s[+−]\\d+\\)$`));
      }
    }
    await checkPage(white, 'game-ended');

    // The profile and the replay show the result the way the game page does.
    const page = white;
    await page.goto(`/player/${encodeURIComponent(whiteName)}`);
    const history = page.getByTestId('history');
    await expect.poll(() => history.locator('tbody tr').count()).toBe(1);
    expect(await history.getByTestId('result-notation').textContent()).toBe(shownOnGame);
    expect(await history.textContent()).not.toContain('1/2-1/2');
    await checkPage(page, 'profile');

    await page.getByRole('link', { name: 'Replay' }).click();
    await page.waitForURL(/\/replay\/[^/]+$/);
    await expect.poll(() => page.getByTestId('result-notation').textContent()).toBe(shownOnGame);
    await checkPage(page, 'replay');
    // PGN export keeps the PGN form.
    const pgn = await (await fetch(`${platform().web}/api/games/${encodeURIComponent(id)}/pgn`)).text();
    expect(pgn).toContain('[Result "0-1"]');

    // Both players are provisional after one game: the leaderboard says why they are not listed.
    await page.goto('/leaderboard?speed=rapid');
    const note = page.getByTestId('provisional-note');
    await note.waitFor();
    expect(await note.textContent()).toContain('Players appear after at least 10 rated rapid games');
    expect(await page.locator('main').textContent()).not.toContain(whiteName);
    await checkPage(page, 'leaderboard');

    await Promise.all([a.context.close(), b.context.close(), c.context.close()]);
  }, 600_000);

  it('fits a phone and passes axe on the status and operator pages', async () => {
    const { context, page } = await newPlayer(browser);
    await page.goto('/status');
    await page.getByTestId('public-status').waitFor();
    await checkPage(page, 'status');

    await page.goto('/operator');
    await page.getByTestId('operator-secret').waitFor();
    await checkPage(page, 'operator');

    await page.getByTestId('operator-secret').fill(readFileSync(platform().operatorSecretFile, 'utf8').trim());
    await page.getByTestId('operator-sign-in').click();
    await page.waitForURL(/\/status$/);
    await page.getByTestId('operator-view').waitFor();
    await checkPage(page, 'status-operator');
    await context.close();
  }, 300_000);
});
