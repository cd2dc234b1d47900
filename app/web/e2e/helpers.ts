// Browser helpers for the e2e tests: Debian's Chromium through playwright-core (never a
// downloaded browser), players as browser contexts, and board moves made the three ways a
// person makes them: clicking, dragging with real mouse steps, and the keyboard.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { expect, inject } from 'vitest';
import { artifactsDir } from './platform';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for this machine's closed network (see .library/env/machines/go.md). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const platform = () => inject('platform');

/**
 * Headless Chromium. playwright-core gives every launch a fresh, empty profile directory of its
 * own (it refuses a --user-data-dir argument for launch(); persistent profiles are a separate API).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Pages still open, for screenshots when a test fails (e2e/setup.ts). */
const openPages = new Set<Page>();

export async function newPlayer(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: platform().web, viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  openPages.add(page);
  page.once('close', () => openPages.delete(page));
  return { context, page };
}

/** Another tab of the same browser (context): it shares the player's localStorage session. */
export async function newTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  openPages.add(page);
  page.once('close', () => openPages.delete(page));
  return page;
}

/** Screenshots of every open page (after a failure), named `<prefix>-<n>.png`. */
export async function screenshotOpenPages(prefix: string): Promise<string[]> {
  const files: string[] = [];
  let n = 0;
  for (const page of [...openPages]) {
    try {
      files.push(await screenshot(page, `${prefix}-${++n}`));
    } catch {
      // the page or its browser is gone
    }
  }
  return files;
}

/** Opens the lobby and starts a guest session; resolves with the guest's name once connected. */
export async function loginAsGuest(page: Page): Promise<string> {
  await page.goto('/');
  await page.getByTestId('play-as-guest').click();
  const name = (await page.getByTestId('signed-in-as').textContent())?.trim() ?? '';
  expect(name).not.toBe('');
  await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status')).toBe('open');
  return name;
}

/** Creates an account through the lobby's login panel; resolves once the socket is open. */
export async function register(page: Page, username: string): Promise<void> {
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByRole('button', { name: 'Register' }).click();
  const reg = page.getByRole('form', { name: 'Register' });
  await reg.getByLabel('Username').fill(username);
  await reg.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('login-submit').click();
  await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(username);
  await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status')).toBe('open');
}

export interface Pairing {
  id: string;
  white: Page;
  black: Page;
}

/** Pairs two signed-in lobby pages through quick pairing; both end up on the game page. */
export async function quickPair(a: Page, b: Page, tc: string): Promise<Pairing> {
  await a.getByTestId(`seek-${tc}`).click();
  await a.getByTestId('seeking').waitFor();
  await b.getByTestId(`seek-${tc}`).click();
  await Promise.all([a.waitForURL(/\/game\/[^/]+$/), b.waitForURL(/\/game\/[^/]+$/)]);
  const id = decodeURIComponent(new URL(a.url()).pathname.split('/').pop()!);
  expect(decodeURIComponent(new URL(b.url()).pathname.split('/').pop()!)).toBe(id);
  const seatA = await seatOf(a);
  const seatB = await seatOf(b);
  expect([seatA, seatB].sort()).toEqual(['black', 'white']);
  return seatA === 'white' ? { id, white: a, black: b } : { id, white: b, black: a };
}

export async function seatOf(page: Page): Promise<string> {
  const game = page.getByTestId('game');
  await expect.poll(() => game.getAttribute('data-seat'), { timeout: 15_000 }).toMatch(/^(white|black|spectator)$/);
  return (await game.getAttribute('data-seat'))!;
}

export const fenOf = async (page: Page): Promise<string> => (await page.getByTestId('board').getAttribute('data-fen')) ?? '';

/** Placement, side to move, castling, en passant: what a position is, without the counters. */
export const position = (fen: string): string => fen.split(' ').slice(0, 4).join(' ');

/** Waits until the page's board shows `fen` (the counters may differ) and `plies` half-moves. */
export async function waitPosition(page: Page, fen: string, plies: number, timeout = 10_000): Promise<void> {
  await expect.poll(async () => position(await fenOf(page)), { timeout }).toBe(position(fen));
  await expect.poll(() => page.getByTestId('move-list').getAttribute('data-plies'), { timeout }).toBe(String(plies));
}

/** The player's own turn, with the board accepting moves (no move of theirs in flight). */
export async function waitMyTurn(page: Page): Promise<void> {
  await expect.poll(() => page.getByTestId('turn').textContent()).toMatch(/^(White|Black) to move$/);
}

export async function clickMove(page: Page, from: string, to: string): Promise<void> {
  await page.getByTestId(`square-${from}`).click();
  await expect.poll(() => page.getByTestId(`square-${from}`).getAttribute('aria-pressed')).toBe('true');
  await page.getByTestId(`square-${to}`).click();
}

/**
 * Drags a piece with real mouse steps: dnd-kit's pointer sensor needs intermediate moves to
 * start a drag and to track the pointer over the target square.
 */
export async function dragMove(page: Page, from: string, to: string): Promise<void> {
  const a = await page.getByTestId(`square-${from}`).boundingBox();
  const b = await page.getByTestId(`square-${to}`).boundingBox();
  if (!a || !b) throw new Error(`squares ${from}/${to} not on screen`);
  const [ax, ay] = [a.x + a.width / 2, a.y + a.height / 2];
  const [bx, by] = [b.x + b.width / 2, b.y + b.height / 2];
  await page.mouse.move(ax, ay);
  await page.mouse.down();
  await page.mouse.move(ax + 6, ay + 6, { steps: 3 });
  await page.mouse.move(bx, by, { steps: 12 });
  await page.mouse.up();
}

const FILES = 'abcdefgh';

/** The square that has keyboard focus, or null when focus is not on a board square. */
export const focusedSquare = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-square-cell') ?? null);

/**
 * Presses Tab from the current focus until a board square has focus (at most `limit` times),
 * proving the board is in the tab order. Returns the number of presses.
 */
export async function tabToBoard(page: Page, limit = 40): Promise<number> {
  for (let i = 1; i <= limit; i++) {
    await page.keyboard.press('Tab');
    if (await focusedSquare(page)) return i;
  }
  throw new Error(`no board square reached after ${limit} Tab presses`);
}

/** Moves keyboard focus between squares with the arrow keys only (the board roves focus). */
export async function arrowTo(page: Page, target: string, orientation: 'white' | 'black'): Promise<void> {
  const from = await focusedSquare(page);
  if (!from) throw new Error('focus is not on the board');
  const flip = orientation === 'white' ? 1 : -1;
  const df = (FILES.indexOf(target[0]!) - FILES.indexOf(from[0]!)) * flip;
  const dr = (Number(target[1]) - Number(from[1])) * flip;
  for (let i = 0; i < Math.abs(df); i++) await page.keyboard.press(df > 0 ? 'ArrowRight' : 'ArrowLeft');
  for (let i = 0; i < Math.abs(dr); i++) await page.keyboard.press(dr > 0 ? 'ArrowUp' : 'ArrowDown');
  await expect.poll(() => focusedSquare(page)).toBe(target);
}

/** A whole move from the keyboard: arrows to the piece, Enter, arrows to the target, Space. */
export async function keyboardMove(page: Page, from: string, to: string, orientation: 'white' | 'black'): Promise<void> {
  await arrowTo(page, from, orientation);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.getByTestId(`square-${from}`).getAttribute('aria-pressed')).toBe('true');
  await arrowTo(page, to, orientation);
  await page.keyboard.press('Space');
}

/** The focused element draws a visible focus indicator (an outline or a box shadow). */
export async function focusIndicator(page: Page): Promise<{ outline: string; shadow: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { outline: 'no focus', shadow: 'none' };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 ? `${cs.outlineWidth} ${cs.outlineStyle} ${cs.outlineColor}` : 'none';
    return { outline, shadow: cs.boxShadow };
  });
}

export async function clockMs(page: Page, color: 'white' | 'black'): Promise<{ ms: number; running: boolean }> {
  const el = page.getByTestId(`clock-${color}`);
  const [ms, running] = await Promise.all([el.getAttribute('data-ms'), el.getAttribute('data-running')]);
  return { ms: Number(ms), running: running === 'true' };
}

/**
 * A running clock's value just after it repaints (its `data-ms` is set when the shown text
 * changes, once a second), with the test's wall time of that moment; a stopped clock as is.
 */
export async function freshClock(page: Page, color: 'white' | 'black'): Promise<{ ms: number; running: boolean; at: number }> {
  const { ms, running } = await clockMs(page, color);
  if (!running) return { ms, running, at: Date.now() };
  const next = await page.waitForFunction(
    ([sel, old]) => {
      const v = document.querySelector(sel)?.getAttribute('data-ms');
      return v !== undefined && v !== null && v !== old ? v : false;
    },
    [`[data-testid="clock-${color}"]`, String(ms)] as const,
    { polling: 'raf', timeout: 5000 },
  );
  const at = Date.now();
  return { ms: Number(await next.jsonValue()), running, at };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** The two widths every browser test records (issue 14): a desktop and a phone (375×667). */
export const WIDTHS = [
  { label: '1280', width: 1280, height: 900 },
  { label: '375', width: 375, height: 667 },
] as const;

/**
 * Screenshots of `page` at 1280 and at 375 px wide into artifacts/e2e/ as `<name>-1280.png` and
 * `<name>-375.png`; the page's own viewport is restored afterwards.
 */
export async function screenshotBothWidths(page: Page, name: string): Promise<string[]> {
  const before = page.viewportSize();
  const files: string[] = [];
  try {
    for (const w of WIDTHS) {
      await page.setViewportSize({ width: w.width, height: w.height });
      files.push(await screenshot(page, `${name}-${w.label}`));
    }
  } finally {
    if (before) await page.setViewportSize(before);
  }
  return files;
}
