/**
 * The dashboard in a real browser: headless Chromium (the Debian `chromium` package, driven by
 * playwright-core with `executablePath`; nothing is downloaded) against the real stack, the page
 * served by the gateway itself. The page loads and goes live, a ladder shows rows and updates,
 * switching the symbol switches the ladder, and the page recovers from a gateway crash and
 * restart. Screenshots (light and dark, 1280 px and 390 px) go to test/e2e/artifacts/ (or
 * DASHBOARD_ARTIFACTS).
 *
 * Needs services/dashboard/dist (built with the other services: `npx nx run-many -t build`).
 * Skipped, saying why, when no Chromium is installed (CHROMIUM_PATH, default /usr/bin/chromium);
 * CI installs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from '@tickmesh/test-harness';
import { startStack, type E2eStack } from './stack';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const artifacts = process.env['DASHBOARD_ARTIFACTS'] ?? join(repoRoot, 'test', 'e2e', 'artifacts');
const dashboardDist = join(repoRoot, 'services', 'dashboard', 'dist', 'index.html');
const skip = existsSync(chromiumPath)
  ? false
  : `no Chromium at ${chromiumPath}: install the Debian package (apt-get install chromium) or set CHROMIUM_PATH`;

const BADGE = '[data-testid="conn-badge"]';
const ladder = (symbol: string): string =>
  `[data-testid="ladder"][data-venue="binance"][data-symbol="${symbol}"]`;

/** The ladder's level rows as text, e.g. "97,000.10 1.204 3.5|…". */
async function ladderText(page: Page, symbol: string): Promise<string> {
  const rows = await page.locator(`${ladder(symbol)} [data-testid="ladder-row"]`).allInnerTexts();
  return rows.map((r) => r.replace(/\s+/g, ' ')).join('|');
}

/** Waits until the ladder's rows differ from `before` (a value changed, not just a re-render). */
async function ladderChanges(page: Page, symbol: string, before: string, what: string): Promise<void> {
  await waitFor(
    async () => {
      const now = await ladderText(page, symbol);
      return now !== '' && now !== before;
    },
    { timeoutMs: 30_000, intervalMs: 50, message: () => `${what}: the ${symbol} ladder changes` },
  );
}

/** Sum of the body's background RGB channels (0 black … 765 white). */
async function bodyBrightness(page: Page): Promise<number> {
  const bg = String(await page.evaluate('getComputedStyle(document.body).backgroundColor'));
  return (bg.match(/\d+/g) ?? []).slice(0, 3).reduce((a, c) => a + Number(c), 0);
}

async function screenshots(page: Page, width: number, height: number): Promise<void> {
  await page.setViewportSize({ width, height });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const brightness = await bodyBrightness(page);
    assert.ok(scheme === 'dark' ? brightness < 150 : brightness > 600, `${scheme} theme (${brightness})`);
    await page.waitForSelector(`${ladder('ETH-USDT')} [data-testid="ladder-row"]`);
    await page.screenshot({ path: join(artifacts, `dashboard-${width}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: null });
}

test(
  'dashboard: loads, ladders update, symbol switch, recovery after a gateway restart',
  { skip },
  async (t) => {
    assert.ok(
      existsSync(dashboardDist),
      `${dashboardDist} is missing: build the dashboard (npx nx run @tickmesh/dashboard:build)`,
    );
    mkdirSync(artifacts, { recursive: true });
    let failed = true;
    const stack: E2eStack = await startStack({ simRate: 20 });
    const opened: { browser?: Browser; page?: Page } = {};
    t.after(async () => {
      if (failed)
        await opened.page?.screenshot({ path: join(artifacts, 'dashboard-failure.png'), fullPage: true });
      await opened.browser?.close();
      await stack.close(failed);
    });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    opened.browser = browser;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    opened.page = page;
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      // the socket errors while the gateway is down are expected
      if (m.type() === 'error' && !/WebSocket connection|ERR_CONNECTION_REFUSED/.test(m.text()))
        pageErrors.push(m.text());
    });

    await t.test('the gateway serves the page to browsers and the JSON index to others', async () => {
      const html = await fetch(`${stack.gatewayUrl}/`, { headers: { accept: 'text/html' } });
      assert.equal(html.status, 200);
      assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
      const body = await html.text();
      const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(body)?.[1];
      assert.ok(asset, 'index.html references its hashed script');
      const js = await fetch(`${stack.gatewayUrl}/${asset}`);
      assert.equal(js.status, 200);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.match(js.headers.get('cache-control') ?? '', /immutable/);
      const index = await fetch(`${stack.gatewayUrl}/`);
      assert.equal(((await index.json()) as { service: string }).service, 'tickmesh-gateway');
      assert.equal((await fetch(`${stack.gatewayUrl}/../../package.json`)).status, 404);
    });

    await t.test('the page loads and goes live', async () => {
      await page.goto(`${stack.gatewayUrl}/`);
      assert.equal(await page.title(), 'tickmesh · live');
      await page.waitForSelector(`${BADGE}[data-state="live"]`);
    });

    await t.test('the ladder shows rows and updates', async () => {
      await page.waitForSelector(`${ladder('BTC-USDT')} [data-testid="ladder-row"]`);
      const rows = await page.$$(`${ladder('BTC-USDT')} [data-testid="ladder-row"]`);
      assert.ok(rows.length >= 2, 'at least a bid and an ask');
      const first = await ladderText(page, 'BTC-USDT');
      assert.match(first, /\d/);
      await ladderChanges(page, 'BTC-USDT', first, 'live updates');
    });

    await t.test('switching the symbol switches the ladder', async () => {
      const btc = await ladderText(page, 'BTC-USDT');
      await page.selectOption('[data-testid="symbol-picker"]', 'ETH-USDT');
      await page.waitForSelector(`${ladder('ETH-USDT')} [data-testid="ladder-row"]`);
      assert.equal(await page.$(ladder('BTC-USDT')), null, 'the BTC-USDT ladder is gone');
      const eth = await ladderText(page, 'ETH-USDT');
      assert.notEqual(eth, btc);
      assert.match(page.url(), /symbol=ETH-USDT/);
      await ladderChanges(page, 'ETH-USDT', eth, 'ETH-USDT updates');
    });

    await t.test('NBBO, trades tape and per-venue state, rates and latency fill in', async () => {
      await waitFor(async () => /\d/.test(await page.locator('[data-testid="nbbo-bid"]').innerText()), {
        timeoutMs: 20_000,
        intervalMs: 100,
        message: 'the NBBO shows a best bid',
      });
      await page.waitForSelector('[data-testid="trade-row"]', { timeout: 20_000 });
      const venue = '[data-testid="venue-row"][data-venue="binance"]';
      await page.waitForSelector(`${venue} [data-testid="sync-state"]:text-is("live")`, { timeout: 20_000 });
      // rates come from the book-builder's stats (every few seconds), latency from this page
      await waitFor(
        async () => {
          const cells = await page.locator(`${venue} td`).allInnerTexts();
          return cells.length >= 9 && /\d/.test(cells[4]!) && /\d+(\.\d)? m?s/.test(cells[7]!);
        },
        { timeoutMs: 20_000, intervalMs: 100, message: 'binance row shows messages/s and latency p50' },
      );
    });

    await t.test('screenshots: light and dark at 1280 px and 390 px', async () => {
      await screenshots(page, 1280, 900);
      await screenshots(page, 390, 844);
      await page.setViewportSize({ width: 1280, height: 900 });
      // the phone layout must not scroll sideways (tables scroll inside their panel)
      await page.setViewportSize({ width: 390, height: 844 });
      const overflow = Number(
        await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
      );
      assert.ok(overflow <= 0, `no horizontal page scroll at 390 px (overflow ${overflow} px)`);
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    await t.test('the page recovers after a gateway crash and restart', async () => {
      const gw = stack.services['gateway']!;
      await gw.kill();
      await page.waitForSelector(`${BADGE}[data-state="reconnecting"]`);
      const before = await ladderText(page, 'ETH-USDT');
      const port = new URL(stack.gatewayUrl).port;
      const httpPort = new URL(stack.http.gateway).port;
      stack.services['gateway'] = await stack.h.spawn({
        name: 'gateway-restarted',
        command: process.execPath,
        args: [join(repoRoot, 'services', 'gateway', 'dist', 'main.mjs')],
        env: {
          NATS_URL: stack.h.nats.url,
          REDIS_URL: stack.h.redis.url,
          HTTP_HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          GATEWAY_HOST: '127.0.0.1',
          GATEWAY_PORT: port,
          HTTP_PORT: httpPort,
        },
        readyUrl: `${stack.http.gateway}/healthz`,
      });
      await page.waitForSelector(`${BADGE}[data-state="live"]`, { timeout: 30_000 });
      // a new gateway process cannot resume (new epochs): the badge says the channels re-snapshotted
      await page.waitForSelector(`${BADGE}[data-recovery*="snapshot"]`);
      await ladderChanges(page, 'ETH-USDT', before, 'after the restart');
      const again = await ladderText(page, 'ETH-USDT');
      await ladderChanges(page, 'ETH-USDT', again, 'live again after the restart');
    });

    assert.deepEqual(pageErrors, [], 'no page errors');
    failed = false;
  },
);
