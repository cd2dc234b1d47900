// Two-way challenges and rematch in real Chromium (issue 14, point 4 and the rematch of point
// 5): a challenge declined and the challenger told in words; a challenge cancelled and the
// challenged player told on another page (the profile); a challenge accepted from the banner on
// the leaderboard page; an open challenge link accepted by a third player; a rematch offered
// and accepted with the colours swapped.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, loginAsGuest, newPlayer, screenshotBothWidths, seatOf } from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const gameIdOf = (page: Page) => decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

/** Sends a challenge from the lobby's form (an empty name creates a link). */
async function challenge(page: Page, to: string, color: 'random' | 'white' | 'black' = 'random'): Promise<void> {
  await page.goto('/');
  await page.getByTestId('challenge-to').fill(to);
  await page.getByTestId('challenge-color').selectOption(color);
  await page.getByTestId('challenge-send').click();
  await page.getByTestId('outgoing-challenge').first().waitFor();
}

const outgoing = (page: Page) => page.getByTestId('outgoing-challenge');
const incoming = (page: Page) => page.getByTestId('incoming-challenge');

describe('two-way challenges', () => {
  it('tells the challenger of a decline, and the challenged player of a cancel on another page', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    const aName = await loginAsGuest(a.page);
    const bName = await loginAsGuest(b.page);

    // Decline, with the challenged player on the leaderboard page.
    await b.page.goto('/leaderboard');
    await challenge(a.page, bName);
    await expect.poll(() => outgoing(a.page).getAttribute('data-status')).toBe('waiting');
    expect(await outgoing(a.page).textContent()).toContain(`Challenge to ${bName} sent (5+3 casual): waiting for an answer.`);
    await incoming(b.page).waitFor();
    expect(await incoming(b.page).textContent()).toContain(`${aName} challenges you: 5+3 casual, you play a random colour.`);
    await screenshotBothWidths(b.page, 'challenges-incoming-on-leaderboard');
    await screenshotBothWidths(a.page, 'challenges-sent');
    await b.page.getByTestId('challenge-decline').click();
    await expect.poll(() => outgoing(a.page).getAttribute('data-status')).toBe('declined');
    expect(await a.page.getByTestId('outgoing-text').textContent()).toBe(`Challenge to ${bName} declined by ${bName}.`);
    await expect.poll(() => incoming(b.page).count()).toBe(0);
    await screenshotBothWidths(a.page, 'challenges-declined');
    await a.page.getByTestId('challenge-dismiss').click();

    // Cancel, with the challenged player on a profile page.
    await b.page.goto(`/player/${encodeURIComponent(bName)}`);
    await challenge(a.page, bName, 'black');
    await incoming(b.page).waitFor();
    expect(await incoming(b.page).textContent()).toContain('you play white');
    await a.page.getByTestId('challenge-cancel').click();
    await expect.poll(() => outgoing(a.page).getAttribute('data-status')).toBe('cancelled');
    expect(await a.page.getByTestId('outgoing-text').textContent()).toBe(`Challenge to ${bName} cancelled.`);
    const told = b.page.getByTestId('challenge-withdrawn');
    await told.waitFor();
    expect(await told.textContent()).toContain(`${aName} cancelled the challenge.`);
    expect(await incoming(b.page).count()).toBe(0);
    expect(new URL(b.page.url()).pathname).toBe(`/player/${encodeURIComponent(bName)}`);
    await screenshotBothWidths(b.page, 'challenges-cancelled-on-profile');
    await a.context.close();
    await b.context.close();
  });

  it('starts the game when the challenged player accepts from any page', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    await loginAsGuest(a.page);
    const bName = await loginAsGuest(b.page);
    await b.page.goto('/leaderboard');
    await challenge(a.page, bName, 'white');
    await incoming(b.page).waitFor();
    await b.page.getByTestId('challenge-accept').click();
    await Promise.all([a.page.waitForURL(/\/game\/[^/]+$/), b.page.waitForURL(/\/game\/[^/]+$/)]);
    expect(gameIdOf(a.page)).toBe(gameIdOf(b.page));
    expect(await seatOf(a.page)).toBe('white');
    expect(await seatOf(b.page)).toBe('black');
    await a.context.close();
    await b.context.close();
  });

  it('lets a third player accept an open challenge by its link', async () => {
    const a = await newPlayer(browser);
    const c = await newPlayer(browser);
    const d = await newPlayer(browser);
    const aName = await loginAsGuest(a.page);
    const cName = await loginAsGuest(c.page);
    await challenge(a.page, '', 'black');
    const href = await a.page.getByTestId('challenge-link').getAttribute('href');
    expect(href).toMatch(/^\/challenge\/c_[A-Za-z0-9]+$/);
    expect(await outgoing(a.page).textContent()).toContain('Open challenge sent (5+3 casual): waiting for an answer.');

    // The creator's own view of the link (opened within the app: the tab keeps its state).
    await a.page.getByTestId('challenge-link').click();
    await a.page.waitForURL(new RegExp(`${href}$`));
    await a.page.getByTestId('challenge-page-cancel').waitFor();
    expect(await a.page.getByTestId('challenge-page-accept').count()).toBe(0);

    // Someone not signed in sees the terms and is asked to sign in.
    await d.page.goto(href!);
    await d.page.getByTestId('challenge-card').waitFor();
    expect(await d.page.getByTestId('challenge-from').textContent()).toBe(aName);
    expect(await d.page.getByTestId('play-as-guest').count()).toBe(1);

    await c.page.goto(href!);
    const card = c.page.getByTestId('challenge-card');
    await card.waitFor();
    expect(await c.page.getByTestId('challenge-from').textContent()).toBe(aName);
    expect(await c.page.getByTestId('challenge-terms').textContent()).toBe('5+3');
    expect(await c.page.getByTestId('challenge-rated').textContent()).toBe('Casual: no rating change');
    expect(await c.page.getByTestId('challenge-colour').textContent()).toBe('you play white');
    await expect.poll(() => c.page.getByTestId('challenge-page-accept').isEnabled()).toBe(true);
    await screenshotBothWidths(c.page, 'challenges-link');
    await c.page.getByTestId('challenge-page-accept').click();
    await Promise.all([a.page.waitForURL(/\/game\/[^/]+$/), c.page.waitForURL(/\/game\/[^/]+$/)]);
    expect(gameIdOf(a.page)).toBe(gameIdOf(c.page));
    expect(await seatOf(c.page)).toBe('white');
    expect(await seatOf(a.page)).toBe('black');
    // The creator reads who accepted once off the game page (the game itself says it over it).
    await a.page.getByRole('link', { name: 'Play', exact: true }).click();
    await a.page.waitForURL(/\/$/);
    expect(await outgoing(a.page).textContent()).toContain(`Open challenge accepted by ${cName}. The game starts.`);

    // The link is used up.
    await d.page.goto(href!);
    const gone = d.page.getByTestId('challenge-gone');
    await gone.waitFor();
    expect(await gone.textContent()).toBe('This challenge has expired or was already taken.');
    await screenshotBothWidths(d.page, 'challenges-link-taken');
    for (const p of [a, c, d]) await p.context.close();
  });

  it('offers a rematch after the game and swaps the colours when it is accepted', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    const aName = await loginAsGuest(a.page);
    const bName = await loginAsGuest(b.page);
    await challenge(a.page, bName, 'white');
    await incoming(b.page).waitFor();
    await b.page.getByTestId('challenge-accept').click();
    await Promise.all([a.page.waitForURL(/\/game\/[^/]+$/), b.page.waitForURL(/\/game\/[^/]+$/)]);
    const first = gameIdOf(a.page);
    expect(await seatOf(a.page)).toBe('white');

    await a.page.getByTestId('abort').click();
    for (const p of [a.page, b.page]) await p.getByTestId('rematch-button').waitFor();
    await a.page.getByTestId('rematch-button').click();
    const status = a.page.getByTestId('rematch-status');
    await expect.poll(() => status.getAttribute('data-status')).toBe('waiting');
    expect(await status.textContent()).toBe(`Rematch offered to ${bName}: waiting for an answer.`);
    const offer = b.page.getByTestId('rematch-offer');
    await offer.waitFor();
    expect(await offer.textContent()).toBe(`${aName} offers a rematch: 5+3 casual, you play white.`);
    // The offer is shown in the game page's Rematch box, not twice in the banner.
    expect(await incoming(b.page).count()).toBe(0);
    await screenshotBothWidths(b.page, 'challenges-rematch-offered');
    await b.page.getByTestId('rematch-accept').click();
    await Promise.all(
      [a.page, b.page].map((p) => expect.poll(() => gameIdOf(p), { timeout: 15_000 }).not.toBe(first)),
    );
    expect(gameIdOf(a.page)).toBe(gameIdOf(b.page));
    expect(await seatOf(a.page)).toBe('black');
    expect(await seatOf(b.page)).toBe('white');
    await screenshotBothWidths(a.page, 'challenges-rematch-started');
    await a.context.close();
    await b.context.close();
  });
});
