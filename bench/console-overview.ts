/**
 * Time to a usable fleet overview in the web console (issue 14's budget: ≤ 1 s on localhost),
 * in Debian's Chromium driven by playwright-core, against the embedded app as `npm start` runs it
 * with a fleet of devices (labels, points), measured beside a floor in the same run:
 *
 *   (a) ours: a first visit (a new browser context: empty cache and storage) to the printed
 *       console link, until the overview shows its device counts, its top devices and the first
 *       live aggregate per site: everything the view shows, read from the page;
 *   (b) the floor: a first visit to a page that is nothing but one inline script that posts the
 *       same overview query to /graphql and writes the device count (the browser, the page load
 *       and the data's round trip, without the console's own code); served on the app's origin
 *       by Playwright's request interception, so it runs against the same server and data.
 *
 * Visits alternate between the two; the figures are the medians (ours beside the floor) and the
 * p95 of ours, which the 1 s goal is judged on.
 *
 *   npx tsx bench/console-overview.ts [--visits 15] [--devices 200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { findChromium, launchBrowser } from '../test/support/browser.js';
import { buildConsoleIfStale } from '../test/support/console-build.js';
import { RegisterDeviceDocument } from '../test/generated/graphql.js';
import { createGraphQLClient, expectData, postTelemetry } from '../test/support/graphql-client.js';
import { startEmbeddedProcess } from '../test/support/processes.js';
import { median, percentile } from './support/stats.js';
import { reportFigures } from './support/report.js';

const { values: flags } = parseArgs({
  options: {
    visits: { type: 'string', default: '15' },
    devices: { type: 'string', default: '200' },
  },
});
const VISITS = Number(flags.visits);
const DEVICES = Number(flags.devices);
const SITES = ['north', 'south', 'east', 'west', 'harbour'];
const GOAL_MS = 1_000;

const chromium = await findChromium();
if (!chromium) {
  console.log('console-overview: no Chromium (npm run services:up installs it); nothing measured');
  await reportFigures([], ['skipped: no Chromium']);
  process.exit(0);
}
buildConsoleIfStale();

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-console-overview-'));
const app = await startEmbeddedProcess({
  DATA_DIR: dataDir,
  RATE_LIMIT_USER_PER_SECOND: '1000000',
  RATE_LIMIT_USER_BURST: '1000000',
});
const consoleLink = app.logs.map((line) => /Console:\s+(\S+)/.exec(line)?.[1]).find(Boolean);
let browser: Browser | undefined;

/** The fleet: devices across five sites, each with a day of power readings, the newest now. */
async function seed() {
  const admin = createGraphQLClient(app.baseUrl, app.adminToken);
  const now = Date.now();
  for (let i = 0; i < DEVICES; i++) {
    const { registerDevice } = await expectData(
      admin(RegisterDeviceDocument, {
        input: {
          externalId: `meter-${i}`,
          name: `Meter ${i}`,
          type: 'meter',
          labels: [{ key: 'site', value: SITES[i % SITES.length]! }],
        },
      }),
    );
    const points = Array.from({ length: 24 }, (_, hour) => ({
      ts: new Date(now - (23 - hour) * 3_600_000).toISOString(),
      metrics: { power: (i % 17) + hour },
    }));
    const { status } = await postTelemetry(
      app.baseUrl,
      registerDevice.token,
      JSON.stringify(points),
    );
    if (status !== 202) throw new Error(`ingest answered ${status}`);
  }
}

/** The console's own overview query, as the floor page posts it. */
const OVERVIEW_QUERY = `query($from: DateTime!, $to: DateTime!) { fleet { deviceCount
  connectivity { online offline neverSeen }
  top(metric: "power", aggregate: MAX, from: $from, to: $to, n: 5) { deviceId value device { id name } } } }`;

function floorPage(token: string) {
  const to = new Date();
  const from = new Date(to.getTime() - 24 * 3_600_000);
  const body = JSON.stringify({
    query: OVERVIEW_QUERY,
    variables: { from: from.toISOString(), to: to.toISOString() },
  });
  return `<!doctype html><html><body><div id="count">…</div><script>
fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json',
  authorization: 'Bearer ${token}' }, body: ${JSON.stringify(body)} })
  .then((r) => r.json()).then((a) => { document.getElementById('count').textContent = String(a.data.fleet.deviceCount); });
</script></body></html>`;
}

async function visitConsole(): Promise<number> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const started = performance.now();
    await page.goto(consoleLink!);
    await Promise.all([
      page.getByTestId('count-devices').filter({ hasText: /^\d+$/ }).waitFor(),
      page.getByRole('list', { name: 'top devices' }).getByRole('link').first().waitFor(),
      page
        .getByRole('table', { name: 'live fleet aggregate' })
        .locator('tbody tr')
        .first()
        .waitFor(),
    ]);
    const elapsed = performance.now() - started;
    const shown = await page.getByTestId('count-devices').textContent();
    if (Number(shown) !== DEVICES) throw new Error(`the overview shows ${shown} devices`);
    return elapsed;
  } finally {
    await context.close();
  }
}

async function visitFloor(): Promise<number> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const url = `${app.baseUrl}/bench-floor.html`;
    await context.route(url, (route) =>
      route.fulfill({ contentType: 'text/html', body: floorPage(app.adminToken) }),
    );
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const started = performance.now();
    await page.goto(url);
    await page.locator('#count').filter({ hasText: /^\d+$/ }).waitFor();
    return performance.now() - started;
  } finally {
    await context.close();
  }
}

try {
  if (!consoleLink) throw new Error('the app printed no console link');
  await seed();
  browser = await launchBrowser({ executablePath: chromium });
  // One of each first, unmeasured: the browser's own first page.
  await visitConsole();
  await visitFloor();
  const ours: number[] = [];
  const floor: number[] = [];
  for (let visit = 0; visit < VISITS; visit++) {
    ours.push(await visitConsole());
    floor.push(await visitFloor());
  }
  const oursMedian = median(ours);
  const floorMedian = median(floor);
  const oursP95 = percentile(
    [...ours].sort((a, b) => a - b),
    95,
  );
  console.log(
    `console overview usable, first visit (${DEVICES} devices): median ${oursMedian.toFixed(0)} ms, ` +
      `p95 ${oursP95.toFixed(0)} ms (${ours.map((ms) => ms.toFixed(0)).join(', ')})`,
  );
  console.log(
    `floor (one fetch of the same query from a bare page): median ${floorMedian.toFixed(0)} ms ` +
      `(${floor.map((ms) => ms.toFixed(0)).join(', ')})`,
  );
  console.log(`ratio ${(oursMedian / floorMedian).toFixed(2)}× the floor; goal ≤ ${GOAL_MS} ms`);
  await reportFigures([
    {
      name: `fleet overview usable, first visit, median (${DEVICES} devices)`,
      unit: 'ms',
      ours: oursMedian,
      baselineName: 'bare page fetching the same query',
      baseline: floorMedian,
      better: 'lower',
    },
    {
      name: `fleet overview usable, first visit, p95 (${DEVICES} devices)`,
      unit: 'ms',
      ours: oursP95,
      better: 'lower',
      goal: `≤ ${GOAL_MS} ms`,
      met: oursP95 <= GOAL_MS,
    },
  ]);
} finally {
  await browser?.close();
  await app.stop();
  await rm(dataDir, { recursive: true, force: true });
}
