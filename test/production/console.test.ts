/**
 * The web console on the production processes (the api serving it, ingest, the pipeline, on the
 * real engines), in Debian's Chromium: signed in with a JWT through the link's fragment, it lists
 * a device registered through the API, charts the points sent to ingest and takes a live point
 * arriving through Kafka and Redis.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterDeviceDocument } from '../generated/graphql.js';
import { launchBrowser, requireChromium, resultPath } from '../support/browser.js';
import { buildConsoleIfStale } from '../support/console-build.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();
const chromiumBin = await requireChromium('test/production/console.test.ts');

describe.skipIf(!services || !chromiumBin)('the web console in production', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let roles: RunningRole[];
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    buildConsoleIfStale();
    stack = await createProductionStack(services!);
    roles = await Promise.all([
      startRole('api', stack.env),
      startRole('ingest', stack.env),
      startRole('pipeline', stack.env),
    ]);
    browser = await launchBrowser({ executablePath: chromiumBin });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all((roles ?? []).map((role) => role.stop()));
    await stack?.cleanup();
  });

  it('charts what ingest accepted and takes live points through Kafka and Redis', async () => {
    const [api, ingest] = roles;
    const admin = createGraphQLClient(api!.baseUrl, stack.adminToken);
    const { registerDevice } = await expectData(
      admin(RegisterDeviceDocument, {
        input: { externalId: 'prod-meter', name: 'Production meter', type: 'meter' },
      }),
    );
    const now = Date.now();
    const points = Array.from({ length: 10 }, (_, i) => ({
      ts: now - (10 - i) * 60_000,
      metrics: { power: 100 + i },
    }));
    const body = JSON.stringify(points);
    expect((await postTelemetry(ingest!.baseUrl, registerDevice.token, body)).status).toBe(202);

    await page.goto(`${api!.baseUrl}/console/#token=${encodeURIComponent(stack.adminToken)}`);
    await page.getByTestId('count-devices').filter({ hasText: /^\d+$/ }).waitFor();
    expect(page.url()).not.toContain('token=');
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('link', { name: 'Production meter' }).click();
    await page.getByLabel('Range').selectOption('1 hour');
    const chart = page.locator('.chart');
    await expect
      .poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 20_000 })
      .toBe(10);

    const live = JSON.stringify({ ts: Date.now(), metrics: { power: 120 } });
    expect((await postTelemetry(ingest!.baseUrl, registerDevice.token, live)).status).toBe(202);
    await expect
      .poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 20_000 })
      .toBe(11);
    await page.screenshot({ path: await resultPath('console/production-device.png') });
  }, 90_000);
});
