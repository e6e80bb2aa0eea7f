/**
 * The browser harness itself (test/support/browser.ts): Debian's Chromium, headless, driven by
 * playwright-core, loads a page from a node:http server on 127.0.0.1, runs its script, takes a
 * click and shows the change; the screenshot lands in test-results/browser-smoke.png.
 * Skipped without Chromium unless CI=true (`bash scripts/services/chromium.sh install`).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, requireChromium, resultPath } from '../support/browser.js';

const chromiumBin = await requireChromium('test/e2e/browser-smoke.test.ts');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Browser smoke</title>
    <style>
      body { font-family: Arial, sans-serif; margin: 2rem; }
      button { font-size: 1.25rem; padding: 0.5rem 1rem; }
    </style>
  </head>
  <body>
    <h1>Browser smoke</h1>
    <button type="button" id="go">Press me</button>
    <p id="status" role="status">waiting</p>
    <script>
      let presses = 0;
      document.getElementById('go').addEventListener('click', () => {
        presses += 1;
        document.getElementById('status').textContent = 'pressed ' + presses + ' time(s)';
      });
    </script>
  </body>
</html>
`;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe.skipIf(!chromiumBin)('browser smoke (Debian chromium through playwright-core)', () => {
  let server: http.Server;
  let url: string;
  let browser: Browser;
  let context: BrowserContext | undefined;
  const requests: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      } else {
        // favicon.ico and anything else: nothing, without a 404 in the page's console.
        res.writeHead(204).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchBrowser({ executablePath: chromiumBin });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('loads a page from 127.0.0.1, clicks its button, sees the text change, takes a screenshot', async () => {
    expect(browser.version()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    context = await browser.newContext({ viewport: { width: 640, height: 360 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
    });

    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Browser smoke');
    const status = page.getByRole('status');
    expect(await status.textContent()).toBe('waiting');

    await page.getByRole('button', { name: 'Press me' }).click();
    await expect.poll(() => status.textContent()).toBe('pressed 1 time(s)');
    await page.getByRole('button', { name: 'Press me' }).click();
    await expect.poll(() => status.textContent()).toBe('pressed 2 time(s)');

    const file = await resultPath('browser-smoke.png');
    await page.screenshot({ path: file });
    const png = await readFile(file);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // IHDR: width and height, big-endian, at bytes 16-23.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([640, 360]);

    expect(requests).toContain('GET /');
    expect(problems).toEqual([]);
  });
});
