/**
 * The web console in a real browser (Debian's Chromium through playwright-core), against the
 * embedded app as `npm start` runs it: the printed console link signs the admin in; the admin
 * registers a device and sees its token once, creates webhook channels (each signing secret shown
 * once) and rules routed to them (a threshold rule, edited then disabled; a no-data rule), the
 * device sends points to ingest, the chart draws them and a live point joins it, an alert fires
 * and is acknowledged with a note, the device goes offline on its own and the no-data alert's
 * message reaches a real receiver (the deliveries list shows its answer; the channel's secret is
 * rotated), the retention set (a bad period refused in words), and an API key with read scopes
 * sees no administration.
 * Screenshots of each view land in test-results/console/ (one of each is in the README,
 * docs/console/).
 */
import { readdir, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateAlertRuleDocument } from '../generated/graphql.js';
import { launchBrowser, requireChromium, resultPath } from '../support/browser.js';
import { buildConsoleIfStale } from '../support/console-build.js';
import { root } from '../support/child-process.js';
import { makeDataDir } from '../support/embedded-app.js';
import { startNotificationReceiver } from '../support/notification-receiver.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';
import { userToken } from '../support/tokens.js';
import { DEFAULT_ORGANIZATION, embeddedJwtSettings } from '../../src/app/embedded-admin.js';
import { loadConfig } from '../../src/config/index.js';
import { startEmbeddedProcess, type RunningEmbedded } from '../support/processes.js';

const chromiumBin = await requireChromium('test/e2e/console.test.ts');
const JWT_SECRET = 'console-test-secret-0123456789abcdef';

describe.skipIf(!chromiumBin)('the web console', () => {
  let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
  let app: RunningEmbedded;
  let browser: Browser;
  let page: Page;
  let consoleLink: string;
  let device: { id: string; token: string };
  let receiver: Awaited<ReturnType<typeof startNotificationReceiver>>;

  beforeAll(async () => {
    buildConsoleIfStale();
    receiver = await startNotificationReceiver();
    dataDir = await makeDataDir();
    app = await startEmbeddedProcess({
      DATA_DIR: dataDir.dir,
      HEARTBEAT_TIMEOUT_SECONDS: '3',
      CONNECTIVITY_SWEEP_MS: '200',
      LAST_SEEN_FLUSH_MS: '100',
      ALERT_RULE_CACHE_MS: '0',
      // The receiver listens on loopback, which webhooks may not reach unless allowed.
      NOTIFICATION_ALLOWED_NETWORKS: '127.0.0.0/8',
      NOTIFICATION_POLL_MS: '200',
      // Known to the test, to sign a viewer's token as the app signs its admin's.
      JWT_SECRET,
      // Every request logged, to show that none carries the token.
      LOG_LEVEL: 'debug',
    });
    consoleLink = app.logs.map((line) => /Console:\s+(\S+)/.exec(line)?.[1]).find(Boolean)!;
    browser = await launchBrowser({ executablePath: chromiumBin });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Under the test's own timeout, so a missing element is named in the failure.
    page.setDefaultTimeout(15_000);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await receiver?.close();
    await dataDir?.remove();
  });

  const shot = async (name: string) =>
    page.screenshot({ path: await resultPath(`console/${name}.png`), fullPage: true });

  it('stays within its JavaScript budget: 300 KB gzipped', async () => {
    const assets = `${root}console/dist/assets`;
    const scripts = (await readdir(assets)).filter((name) => name.endsWith('.js'));
    let gzipped = 0;
    for (const name of scripts) gzipped += gzipSync(await readFile(`${assets}/${name}`)).length;
    console.log(`console JavaScript: ${scripts.length} file(s), ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(300 * 1024);
  });

  it('signs the admin in from the printed link, without the token reaching the server', async () => {
    expect(consoleLink).toMatch(/\/console\/#token=/);
    const started = performance.now();
    await page.goto(consoleLink);
    await page.getByTestId('count-devices').filter({ hasText: /^\d+$/ }).waitFor();
    console.log(`fleet overview usable after ${Math.round(performance.now() - started)} ms`);
    // The token left the address bar, and never was in a request line.
    expect(page.url()).not.toContain('token=');
    // The child's log lines reach the test a moment after the page has its answers.
    const logLines = () => app.logs.filter((line) => line.startsWith('{'));
    await expect
      .poll(() => logLines().filter((line) => line.includes('"route":"/graphql"')).length)
      .toBeGreaterThanOrEqual(2);
    expect(logLines().join('\n')).not.toContain(app.adminToken);
    await expect
      .poll(() => page.getByRole('navigation', { name: 'main' }).textContent())
      .toContain('Administration');
  });

  it('registers a device and shows its token once', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByLabel('Name', { exact: true }).first().fill('Boiler 7');
    await page.getByLabel('External id').fill('boiler-7');
    await page.getByLabel('Type').fill('boiler');
    await page.getByLabel('Labels').fill('site=north');
    await page.getByRole('button', { name: 'Register' }).click();
    const token = (await page.getByTestId('secret-once').textContent())!;
    expect(token.length).toBeGreaterThan(20);
    const link = page.getByRole('link', { name: 'Boiler 7' });
    const id = (await link.getAttribute('href'))!.split('/').pop()!;
    device = { id: decodeURIComponent(id), token };
    await shot('administration');
  });

  it("sets the organization's retention, and shows a refused period in words", async () => {
    const retention = page.getByTestId('retention');
    await expect.poll(() => retention.textContent()).toContain('Raw points are kept for ever');
    const form = page.getByRole('form', { name: 'retention' });
    await form.getByLabel('Raw points').fill('90 days');
    await form.getByRole('button', { name: 'Set retention' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('raw must be a duration like 720h, 90d or 52w');
    await form.getByLabel('Raw points').fill('52w');
    await form.getByRole('button', { name: 'Set retention' }).click();
    await expect.poll(() => retention.textContent()).toContain('Raw points are kept for 52w');
    // Back to the server's (for ever), for the tests after this one.
    await form.getByLabel('Raw points').fill('');
    await form.getByRole('button', { name: 'Set retention' }).click();
    await expect.poll(() => retention.textContent()).toContain('Raw points are kept for ever');
  });

  it('creates webhook channels (each secret shown once), a threshold rule it edits and disables, and a no-data rule', async () => {
    await page.getByRole('link', { name: 'Rules' }).click();
    const channelForm = page.getByRole('form', { name: 'new channel' });
    await channelForm.getByLabel('Name').fill('ops hook');
    // A public-looking name: checked on creation (no private address), not called.
    await channelForm.getByLabel('URL').fill('https://hooks.example.com/iot');
    await channelForm.getByRole('button', { name: 'Add channel' }).click();
    const secret = (await page.getByTestId('secret-once').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const channels = page.getByRole('table', { name: 'notification channels' });
    const channel = channels.getByRole('row').filter({ hasText: 'ops hook' });
    await expect.poll(() => channel.textContent()).toContain('https://hooks.example.com/iot');
    expect(await channels.textContent()).not.toContain(secret);

    const ruleForm = page.getByRole('form', { name: 'new rule' });
    await ruleForm.getByLabel('Name').fill('Pressure high');
    await ruleForm.getByLabel('Metric').fill('pressure');
    await ruleForm.getByLabel('Condition').selectOption('GT');
    await ruleForm.getByLabel('Threshold', { exact: true }).fill('10');
    await ruleForm.getByLabel('ops hook').check();
    await ruleForm.getByRole('button', { name: 'Create rule' }).click();
    const rule = page
      .getByRole('table', { name: 'alert rules' })
      .getByRole('row')
      .filter({ hasText: 'Pressure high' });
    await rule.getByRole('cell', { name: 'enabled', exact: true }).waitFor();
    expect(await rule.textContent()).toContain('pressure');
    expect(await rule.textContent()).toContain('> 10');
    expect(await rule.textContent()).toContain('ops hook');

    await rule.getByRole('button', { name: 'Edit' }).click();
    const editForm = page.getByRole('form', { name: 'edit rule Pressure high' });
    expect(await editForm.getByLabel('Threshold', { exact: true }).inputValue()).toBe('10');
    await editForm.getByLabel('Threshold', { exact: true }).fill('20');
    await editForm.getByLabel('Clears at').fill('15');
    await editForm.getByRole('button', { name: 'Save rule' }).click();
    await expect.poll(() => rule.textContent()).toContain('> 20, clears at 15');
    expect(await rule.textContent()).toContain('ops hook');

    await rule.getByRole('button', { name: 'Disable' }).click();
    await rule.getByRole('cell', { name: 'disabled', exact: true }).waitFor();
    await rule.getByRole('button', { name: 'Enable' }).waitFor();

    // A channel to a real receiver, and a no-data rule routed to it (it fires when the device
    // falls silent, below).
    await channelForm.getByLabel('Name').fill('local hook');
    await channelForm.getByLabel('URL').fill(`${receiver.url}/iot`);
    await channelForm.getByRole('button', { name: 'Add channel' }).click();
    await channels.getByRole('row').filter({ hasText: 'local hook' }).waitFor();
    await ruleForm.getByLabel('Kind').selectOption('NO_DATA');
    await ruleForm.getByLabel('Name').fill('Boiler silent');
    await ruleForm.getByLabel('Silent for').fill('2s');
    await ruleForm.getByLabel('Device type').fill('boiler');
    await ruleForm.getByLabel('local hook').check();
    await ruleForm.getByRole('button', { name: 'Create rule' }).click();
    const silent = page
      .getByRole('table', { name: 'alert rules' })
      .getByRole('row')
      .filter({ hasText: 'Boiler silent' });
    await expect.poll(() => silent.textContent()).toContain('silence');
    expect(await silent.textContent()).toContain('local hook');
    // The next test opens the device by a link named after it: the devices list has one.
    await page.getByRole('link', { name: 'Devices' }).click();
  });

  it('draws the points sent to ingest, and a live one joining the chart', async () => {
    const admin = createGraphQLClient(app.baseUrl, app.adminToken);
    await expectData(
      admin(CreateAlertRuleDocument, {
        input: { name: 'Boiler too hot', metric: 'temperature', condition: 'GT', threshold: 90 },
      }),
    );
    const now = Date.now();
    const points = Array.from({ length: 30 }, (_, i) => ({
      ts: now - (30 - i) * 60_000,
      metrics: { temperature: 60 + i },
    }));
    expect((await postTelemetry(app.baseUrl, device.token, JSON.stringify(points))).status).toBe(
      202,
    );
    await page.getByRole('link', { name: 'Boiler 7' }).click();
    // An hour at most 500 points: 10 s buckets, one per point sent.
    await page.getByLabel('Range').selectOption('1 hour');
    const chart = page.locator('.chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBe(30);
    await expect
      .poll(() => page.getByRole('table', { name: 'latest values' }).textContent())
      .toContain('temperature');
    // A live point, hot enough to fire the rule.
    const live = JSON.stringify({ ts: Date.now(), metrics: { temperature: 95 } });
    expect((await postTelemetry(app.baseUrl, device.token, live)).status).toBe(202);
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBe(31);
    const latest = page.getByRole('table', { name: 'latest values' });
    await expect.poll(() => latest.textContent()).toContain('95');
    await shot('device');
  });

  it('acknowledges the firing alert with a note', async () => {
    await page.getByRole('link', { name: 'Alerts' }).click();
    const episode = page.locator('.episodes li.firing', { hasText: 'Boiler too hot' });
    await episode.waitFor();
    await episode.getByLabel('acknowledgement note').fill('on it');
    await episode.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => episode.textContent()).toContain('Acknowledged');
    await expect.poll(() => episode.textContent()).toContain('on it');
    await shot('alerts');
  });

  it('shows the device go offline when it falls silent', async () => {
    await page.goto(`${app.baseUrl}/console/#/devices/${device.id}`);
    await expect
      .poll(() => page.getByTestId('connectivity').textContent(), { timeout: 15_000 })
      .toBe('OFFLINE');
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect.poll(() => page.getByTestId('count-offline').textContent()).toBe('1');
    // The overview's metric: the top devices and the live sum per site follow it.
    await page.getByLabel('Metric').fill('temperature');
    await page.getByLabel('Metric').press('Tab');
    const top = page.getByRole('list', { name: 'top devices' });
    await expect.poll(() => top.textContent()).toContain('Boiler 7');
    const live = page.getByRole('table', { name: 'live fleet aggregate' });
    await expect.poll(() => live.textContent(), { timeout: 10_000 }).toContain('95');
    await shot('overview');
  });

  it("lists the no-data alert's message with the receiver's answer, and rotates the channel's secret", async () => {
    await page.getByRole('link', { name: 'Rules' }).click();
    const deliveries = page.getByRole('table', { name: 'deliveries' });
    const delivered = deliveries.getByRole('row').filter({ hasText: 'Boiler silent firing' });
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return (await delivered.count()) > 0 ? delivered.first().textContent() : '';
        },
        { timeout: 15_000 },
      )
      .toContain('delivered');
    expect(await delivered.first().textContent()).toContain('HTTP 202');
    expect(await delivered.first().textContent()).toContain('Boiler 7');
    expect(receiver.requests.some((request) => request.body.includes('Boiler silent'))).toBe(true);

    const channel = page
      .getByRole('table', { name: 'notification channels' })
      .getByRole('row')
      .filter({ hasText: 'local hook' });
    page.once('dialog', (dialog) => void dialog.accept());
    await channel.getByRole('button', { name: 'Rotate secret' }).click();
    const secret = (await page.getByTestId('secret-once').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await channel.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => channel.textContent()).toContain('(disabled)');
    await shot('rules');
  });

  it('is usable at a phone width and by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('table', { name: 'devices' }).getByText('Boiler 7').waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.reload();
    await page.getByRole('table', { name: 'devices' }).getByText('Boiler 7').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Overview');
    await shot('devices-390px');
    // By keyboard alone: Tab through the filters to the device's link, Enter opens its page.
    let focused: string | null | undefined;
    for (let presses = 0; presses < 40 && focused !== 'Boiler 7'; presses++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.textContent);
    }
    expect(focused).toBe('Boiler 7');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Boiler 7' }).waitFor();
    expect(page.url()).toContain(`#/devices/${encodeURIComponent(device.id)}`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows a viewer no administration, rules read-only and no acknowledging', async () => {
    const jwt = await embeddedJwtSettings(
      loadConfig({ DATA_DIR: dataDir.dir, JWT_SECRET }, 'simulate'),
    );
    const viewer = await userToken(jwt, DEFAULT_ORGANIZATION.id, 'viewer');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('JWT or API key').fill(viewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('count-devices').filter({ hasText: /^\d+$/ }).waitFor();
    const nav = page.getByRole('navigation', { name: 'main' });
    expect(await nav.textContent()).not.toContain('Administration');
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('cell', { name: 'Pressure high' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create rule' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByLabel('Firing only').uncheck();
    await page.locator('.episodes li', { hasText: 'Boiler too hot' }).waitFor();
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    // An address typed in by hand leads to the overview, not to the administration.
    await page.goto(`${app.baseUrl}/console/#/admin`);
    await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    // Back to the admin through the printed link (a fresh load: a fragment change alone is not).
    await page.goto(consoleLink);
    await page.reload();
    await page.getByTestId('count-devices').filter({ hasText: /^\d+$/ }).waitFor();
  });

  it('shows an API key with read scopes no administration, and the API refusal in words', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('wall display');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('secret-once').last().textContent())!;
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.getByLabel('JWT or API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('count-devices').filter({ hasText: /^\d+$/ }).waitFor();
    await expect
      .poll(() => page.getByRole('navigation', { name: 'main' }).textContent())
      .not.toContain('Administration');
    await page.goto(`${app.baseUrl}/console/#/devices/${device.id}`);
    await page.getByRole('heading', { name: 'Boiler 7' }).waitFor();
    expect(await page.getByRole('button', { name: 'Rotate token' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('JWT or API key').fill('iotk_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/\S/);
  });
});
