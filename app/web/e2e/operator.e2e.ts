// Operator-only data (issue 13, point 7): the service listing and the per-URL health checks are
// refused to a visitor, a guest and a registered player (page and API), the players' menu does
// not link to them, and the operator signs in with the run's secret (devrun writes it) and gets
// the whole page. Screenshots: status-visitor.png, status-player.png, operator-sign-in.png,
// status-operator.png.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, loginAsGuest, newPlayer, platform, register, screenshot } from './helpers';
import { repoRoot } from './platform';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const fixture = (name: string) => JSON.parse(readFileSync(path.join(repoRoot, 'scripts', 'fixtures', name), 'utf8'));
const services = fixture('services.json') as { account: string; resources: Array<{ arn: string }>; summaries: Record<string, unknown> };
const health = fixture('health.json') as { targets: Array<{ url: string }> };
const operatorSecret = () => readFileSync(platform().operatorSecretFile, 'utf8').trim();

/** The API as this page's script would call it, with the player's session token if any. */
async function apiFromPage(page: Page, url: string): Promise<{ status: number; body: string }> {
  return page.evaluate(async (u) => {
    const raw = localStorage.getItem('chess.session.v1');
    const token = raw ? (JSON.parse(raw) as { token?: string }).token : undefined;
    const res = await fetch(u, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: await res.text() };
  }, url);
}

/** What a non-operator must get: the overall indicator, and nothing that names the account. */
async function expectPlayersView(page: Page, shot: string): Promise<void> {
  // The menu links to no status page at all (the one on screen and the raw HTML).
  expect(await page.locator('nav[aria-label="Main"] a[href^="/status"]').count()).toBe(0);
  await page.goto('/status');
  const overall = page.getByTestId('public-status');
  // scripts/fixtures/health.json: overall degraded.
  expect(await overall.getAttribute('data-status')).toBe('degraded');
  expect(await overall.textContent()).toContain('Some checks are failing');
  expect(await page.getByTestId('services-report').count()).toBe(0);
  expect(await page.getByTestId('health-table').count()).toBe(0);
  const html = await page.content();
  expect(html).not.toContain(services.account);
  expect(html).not.toContain('arn:aws');
  for (const t of health.targets) expect(html).not.toContain(t.url);
  expect(await page.locator('nav[aria-label="Main"] a[href^="/status"]').count()).toBe(0);

  const listing = await apiFromPage(page, '/api/services');
  expect(listing.status).toBe(401);
  expect(JSON.parse(listing.body)).toEqual({ error: 'operator credential required' });
  const summary = await apiFromPage(page, '/api/health');
  expect(summary.status).toBe(200);
  expect(JSON.parse(summary.body)).toMatchObject({ status: 'degraded' });
  expect(summary.body).not.toMatch(/https?:/);
  expect((await apiFromPage(page, '/api/health?detail=full')).status).toBe(401);
  await screenshot(page, shot);
}

describe('operator-only data', () => {
  it('is refused to a visitor who has not started a session', async () => {
    const { context, page } = await newPlayer(browser);
    await page.goto('/');
    await expectPlayersView(page, 'status-visitor');
    // A direct request without any browser state, as a script would send it.
    const raw = await context.request.get('/api/services');
    expect(raw.status()).toBe(401);
    expect(await raw.text()).not.toContain(services.account);
    await context.close();
  });

  it('is refused to a guest and to a registered player, with their session token', async () => {
    const guest = await newPlayer(browser);
    await loginAsGuest(guest.page);
    await expectPlayersView(guest.page, 'status-guest');

    const player = await newPlayer(browser);
    await register(player.page, `op_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`);
    await expectPlayersView(player.page, 'status-player');
    await Promise.all([guest.context.close(), player.context.close()]);
  });

  it('is shown to the operator after signing in with the secret, and gone after signing out', async () => {
    const { context, page } = await newPlayer(browser);
    await page.goto('/operator');
    await page.getByTestId('operator-secret').fill('not-the-operator-secret-but-long-enough');
    await page.getByTestId('operator-sign-in').click();
    await page.waitForURL(/\/operator\?error=wrong$/);
    expect(await page.getByTestId('operator-error').textContent()).toContain('not the operator secret');
    expect(await context.cookies()).toEqual([]);
    await screenshot(page, 'operator-sign-in');

    await page.getByTestId('operator-secret').fill(operatorSecret());
    await page.getByTestId('operator-sign-in').click();
    await page.waitForURL(/\/status$/);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: '__Host-chess-operator', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.value).not.toContain(operatorSecret());
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await page.getByTestId('operator-view').waitFor();
    expect(await page.getByTestId('health-report').getAttribute('data-kind')).toBe('ok');
    await expect.poll(() => page.getByTestId('health-overall').textContent()).toContain('degraded');
    const rows = page.getByTestId('health-table').locator('tbody tr');
    expect(await rows.count()).toBe(health.targets.length);
    for (const t of health.targets) expect(await page.getByTestId('health-table').textContent()).toContain(t.url);
    expect(await page.getByTestId('services-report').getAttribute('data-kind')).toBe('ok');
    const overview = (await page.getByTestId('services-overview').textContent()) ?? '';
    expect(overview).toContain('project chess-platform');
    expect(overview).toContain(`account ${services.account}`);
    expect(overview).toContain('incomplete listing');
    expect(overview).toContain(`${services.resources.length} resources`);
    const summaries = (await page.getByTestId('services-summaries').textContent()) ?? '';
    for (const s of Object.keys(services.summaries)) expect(summaries).toContain(s);
    await screenshot(page, 'status-operator');

    // The raw reports, through the cookie the browser now sends.
    const listing = await apiFromPage(page, '/api/services');
    expect(listing.status).toBe(200);
    expect((JSON.parse(listing.body) as { account: string }).account).toBe(services.account);
    const full = await apiFromPage(page, '/api/health?detail=full');
    expect((JSON.parse(full.body) as { targets: unknown[] }).targets).toHaveLength(health.targets.length);

    await page.getByTestId('operator-sign-out').click();
    await page.getByTestId('public-status').waitFor();
    expect(await page.getByTestId('services-report').count()).toBe(0);
    expect((await apiFromPage(page, '/api/services')).status).toBe(401);
    expect((await apiFromPage(page, '/api/health?detail=full')).status).toBe(401);
    await context.close();
  });

  it('accepts the secret as a Bearer credential from a script', async () => {
    const { context } = await newPlayer(browser);
    const res = await context.request.get('/api/services', { headers: { Authorization: `Bearer ${operatorSecret()}` } });
    expect(res.status()).toBe(200);
    expect(((await res.json()) as { account: string }).account).toBe(services.account);
    await context.close();
  });
});
