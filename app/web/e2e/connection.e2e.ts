// The real-time connection as a player sees it: the reconnect indicator while the socket is
// down (a move made meanwhile goes out after reconnecting, and the opponent sees the player
// leave and come back), and a clear "session expired" state instead of endless reconnecting.
//
// Outages come from Playwright's WebSocket routing: every page socket to the backend's /ws
// goes through a route that normally connects it to the real server; the test closes the
// page's side and refuses new sockets for a while, like a dropped network.
import { Chess } from 'chess.js';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickMove, launchBrowser, loginAsGuest, newPlayer, quickPair, screenshot, waitMyTurn, waitPosition } from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** A switch for one browser context's game socket. */
interface Line {
  /** Closes the page side of every open socket and refuses new ones until `restore`. */
  cut(): Promise<void>;
  restore(): void;
  refused: number;
}

async function routedSocket(context: BrowserContext): Promise<Line> {
  // Page side and server side of every open socket.
  const open = new Map<WebSocketRoute, WebSocketRoute>();
  let down = false;
  const line: Line = {
    refused: 0,
    async cut() {
      down = true;
      const both = [...open].flat();
      open.clear();
      // The backend sees its connection close too (and tells the opponent).
      await Promise.all(both.map((side) => side.close({ code: 4001, reason: 'test: network dropped' })));
    },
    restore() {
      down = false;
    },
  };
  await context.routeWebSocket(
    (url) => url.pathname === '/ws',
    (ws) => {
      if (down) {
        line.refused++;
        // Closed before it ever opens, as a failed connection looks to a page.
        void ws.close({ code: 4002, reason: 'test: network down' });
        return;
      }
      const server = ws.connectToServer();
      open.set(ws, server);
      // With an onClose handler Playwright no longer forwards closes: do it here.
      ws.onClose((code, reason) => {
        open.delete(ws);
        void server.close({ code, reason });
      });
      server.onClose((code, reason) => {
        open.delete(ws);
        void ws.close({ code, reason });
      });
    },
  );
  return line;
}

const status = (p: Page) => p.getByTestId('connection-status').getAttribute('data-status');

describe('connection', () => {
  it('shows the reconnect indicator during an outage, sends a move made meanwhile, and recovers', async () => {
    const a = await newPlayer(browser);
    const b = await newPlayer(browser);
    const lines = new Map<Page, Line>([
      [a.page, await routedSocket(a.context)],
      [b.page, await routedSocket(b.context)],
    ]);
    await loginAsGuest(a.page);
    await loginAsGuest(b.page);
    const { white, black } = await quickPair(a.page, b.page, '10+0');
    const chess = new Chess();
    const played = async (san: string) => {
      chess.move(san);
      await Promise.all([white, black].map((p) => waitPosition(p, chess.fen(), chess.history().length)));
    };
    await waitMyTurn(white);
    await clickMove(white, 'e2', 'e4');
    await played('e4');
    await waitMyTurn(black);
    await clickMove(black, 'e7', 'e5');
    await played('e5');

    // White's network drops.
    const line = lines.get(white)!;
    await line.cut();
    await expect.poll(() => status(white)).toBe('reconnecting');
    const indicator = white.getByTestId('reconnecting');
    await indicator.waitFor();
    expect(await indicator.textContent()).toBe('Reconnecting…');
    expect(await indicator.getAttribute('role')).toBe('status');
    // The opponent is told, as text.
    await black.getByTestId('opponent-gone').waitFor();
    await expect.poll(() => black.getByTestId('announcer').textContent()).toBe('Your opponent disconnected.');

    // A move made while offline shows at once and waits for the connection.
    await clickMove(white, 'g1', 'f3');
    await expect.poll(() => white.getByTestId('turn').textContent()).toBe('Sending your move…');
    await screenshot(white, 'reconnecting');
    await expect.poll(() => line.refused, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(await black.getByTestId('move-list').getAttribute('data-plies')).toBe('2');

    // The network comes back: the client reconnects by itself and the queued move goes out.
    line.restore();
    await expect.poll(() => status(white), { timeout: 20_000 }).toBe('open');
    await played('Nf3');
    await white.getByTestId('reconnecting').waitFor({ state: 'detached' });
    await black.getByTestId('opponent-gone').waitFor({ state: 'detached' });
    await expect.poll(() => black.getByTestId('announcer').textContent()).toBe('2. White: knight to f3');

    // And the game goes on both ways.
    await waitMyTurn(black);
    await clickMove(black, 'b8', 'c6');
    await played('Nc6');
    await Promise.all([a.context.close(), b.context.close()]);
  });

  it('ends in "session expired, log in again" when the server refuses the token', async () => {
    const { context, page } = await newPlayer(browser);
    await loginAsGuest(page);
    let sockets = 0;
    page.on('websocket', () => sockets++);
    // The token is no longer accepted (as after it expired or the signing key changed).
    await page.evaluate(() => {
      const key = 'chess.session.v1';
      const s = JSON.parse(localStorage.getItem(key)!) as { token: string };
      localStorage.setItem(key, JSON.stringify({ ...s, token: `${s.token.slice(0, -4)}AAAA` }));
    });
    await page.reload();
    const alert = page.getByTestId('session-expired');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.getAttribute('role')).toBe('alert');
    expect(await alert.textContent()).toContain('Your session has expired. Log in again');
    expect(await status(page)).toBe('expired');
    expect(await page.getByTestId('connection-status').textContent()).toBe('Session expired');
    await screenshot(page, 'session-expired');

    // No more reconnecting: the socket count stays where it is.
    const tried = sockets;
    expect(tried).toBeGreaterThanOrEqual(3);
    await page.waitForTimeout(5000);
    expect(sockets).toBe(tried);

    await page.getByTestId('relogin').click();
    await page.getByTestId('play-as-guest').waitFor();
    expect(await page.getByTestId('session-expired').count()).toBe(0);
    await loginAsGuest(page);
    await context.close();
  });
});
