// Issue 14, point 2: one identity per browser. A login (or a guest) holds in every tab of the
// browser and across reloads until logout; a game link opened in a new tab plays as the player,
// also after the player closed every tab; a logout in one tab logs out all of them; one tab
// renews the token for all. A browser is a Playwright context (its own profile and storage);
// tabs are pages of one context.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickMove,
  launchBrowser,
  loginAsGuest,
  newPlayer,
  newTab,
  quickPair,
  register,
  screenshotBothWidths,
  seatOf,
} from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const KEY = 'chess.session.v1';
const status = (page: Page) => page.getByTestId('connection-status').getAttribute('data-status');
const signedInAs = async (page: Page) => (await page.getByTestId('signed-in-as').textContent())?.trim();
const storedToken = (page: Page) =>
  page.evaluate((k) => (JSON.parse(localStorage.getItem(k) ?? 'null') as { token?: string } | null)?.token ?? null, KEY);

/** The lobby of this tab shows the player, connected. */
async function expectSignedIn(page: Page, name: string): Promise<void> {
  await expect.poll(() => signedInAs(page)).toBe(name);
  await expect.poll(() => status(page)).toBe('open');
}

/** The lobby of this tab shows nobody signed in: the login panel, no logout button. */
async function expectLoggedOut(page: Page): Promise<void> {
  await page.getByTestId('play-as-guest').waitFor();
  expect(await page.getByTestId('signed-in-as').count()).toBe(0);
  expect(await page.getByTestId('logout').count()).toBe(0);
}

/** Plays `uci` as ply `ply` by clicking in this tab once it is that side's turn, and waits for it. */
async function playFrom(page: Page, uci: string, ply: number): Promise<void> {
  await expect.poll(() => page.getByTestId('move-list').getAttribute('data-plies')).toBe(String(ply - 1));
  await expect.poll(() => page.getByTestId('turn').textContent()).toBe(ply % 2 === 1 ? 'White to move' : 'Black to move');
  await clickMove(page, uci.slice(0, 2), uci.slice(2, 4));
  await expect.poll(() => page.getByTestId('move-list').getAttribute('data-plies')).toBe(String(ply));
}

describe('one identity per browser', () => {
  it('a login reaches a second tab and survives a reload; a logout in one tab logs out every tab', async () => {
    const { context, page: first } = await newPlayer(browser);
    const name = `id${Date.now().toString(36).slice(-7)}`;
    await register(first, name);

    const second = await newTab(context);
    await second.goto('/');
    await expectSignedIn(second, name);
    await second.reload();
    await expectSignedIn(second, name);
    await screenshotBothWidths(second, 'identity-second-tab');

    // The first tab is somewhere else: its own profile.
    await first.goto(`/player/${encodeURIComponent(name)}`);
    await first.getByTestId('nav-profile').waitFor();

    await second.getByTestId('logout').click();
    await expectLoggedOut(second);
    // The first tab hears of it at once, without a reload, and leaves for the lobby.
    await first.waitForURL((u) => u.pathname === '/');
    await expectLoggedOut(first);
    expect(await first.getByTestId('nav-profile').count()).toBe(0);
    await first.reload();
    await expectLoggedOut(first);
    expect(await storedToken(first)).toBeNull();
    await screenshotBothWidths(first, 'identity-logged-out');
    await context.close();
  });

  it('a guest opens the game link in a new tab and plays from it; closing every tab keeps the guest', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    const guest = await loginAsGuest(a.page);
    await loginAsGuest(b.page);
    const { id, white } = await quickPair(a.page, b.page, '5+0');
    const seat = white === a.page ? 'white' : 'black';
    const other = b.page; // the opponent, in a browser of its own
    const gameUrl = `/game/${encodeURIComponent(id)}`;
    /** Plays one move of each side from these pages, the guest's own move from `mine`. */
    const round = async (mine: Page, ply: number, [w, bl]: [string, string]) => {
      await playFrom(seat === 'white' ? mine : other, w, ply);
      await playFrom(seat === 'black' ? mine : other, bl, ply + 1);
    };
    // Both sides move at once, from the pages that paired: the first-move timer is then over.
    await round(a.page, 1, ['e2e4', 'e7e5']);

    // The link in a new tab of the same browser: the same guest in the same seat, not a
    // spectator and not a new guest. It plays from there.
    const tab = await newTab(a.context);
    await tab.goto(gameUrl);
    expect(await seatOf(tab)).toBe(seat);
    await expect.poll(() => status(tab)).toBe('open');
    expect(await tab.getByTestId('nav-profile').textContent()).toBe(guest);
    await screenshotBothWidths(tab, 'identity-game-new-tab');
    await round(tab, 3, ['g1f3', 'b8c6']);

    // Every tab of the guest's browser closes, mid-game; the browser itself stays (a context
    // keeps its storage as a browser profile does).
    await a.page.close();
    await tab.close();
    expect(a.context.pages()).toHaveLength(0);

    const back = await newTab(a.context);
    await back.goto('/');
    await expectSignedIn(back, guest);
    await back.goto(gameUrl);
    expect(await seatOf(back)).toBe(seat);
    await round(back, 5, ['f1c4', 'g8f6']);
    await screenshotBothWidths(back, 'identity-game-reopened');
    await Promise.all([a.context.close(), b.context.close()]);
  }, 240_000);

  it('one tab renews the token for every tab, and each tab moves its connection to the new token', async () => {
    const { context, page: first } = await newPlayer(browser);
    const guest = await loginAsGuest(first);
    const second = await newTab(context);
    await second.goto('/');
    await expectSignedIn(second, guest);

    const renewals = countRenewals(context);
    const sockets = new Map<Page, string[]>([
      [first, []],
      [second, []],
    ]);
    for (const [page, urls] of sockets) page.on('websocket', (ws) => urls.push(ws.url()));
    const old = await storedToken(first);

    // Make the stored session due for renewal, then wake both tabs at once: they race for it.
    await first.evaluate((k) => {
      const s = JSON.parse(localStorage.getItem(k)!) as Record<string, unknown>;
      localStorage.setItem(k, JSON.stringify({ ...s, renewAt: new Date(Date.now() - 1000).toISOString() }));
      window.dispatchEvent(new Event('online')); // the writing tab gets no storage event
    }, KEY);

    await expect.poll(() => storedToken(second), { timeout: 15_000 }).not.toBe(old);
    const renewed = await storedToken(second);
    // Each tab opened a socket with the new token (and closed the old one once it was open).
    for (const [page, urls] of sockets) {
      await expect.poll(() => urls.some((u) => new URL(u).searchParams.get('token') === renewed)).toBe(true);
      await expect.poll(() => status(page)).toBe('open');
      await expectSignedIn(page, guest);
    }
    // A tab that found the lock taken looks again 15 s later: no second renewal then either.
    await second.waitForTimeout(17_000);
    expect(renewals.count()).toBe(1);
    await screenshotBothWidths(first, 'identity-renewed');
    await context.close();
  });
});

/** Counts the POST /api/session/renew requests made by every tab of a browser. */
function countRenewals(context: BrowserContext): { count(): number } {
  let n = 0;
  context.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/session/renew') n++;
  });
  return { count: () => n };
}
