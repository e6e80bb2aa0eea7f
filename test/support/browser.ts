/**
 * A real browser for end-to-end tests: Debian's Chromium (installed by
 * scripts/services/chromium.sh, which `npm run services:up` runs) launched headless and driven by
 * playwright-core. Playwright's own browser download (`npx playwright install`) is never used:
 * this machine's network reaches the package registries only.
 *
 * Like services.ts and prometheus.ts: outside CI a missing binary skips the tests with a clear
 * message (`requireChromium()` answers undefined); under CI=true it fails the run.
 *
 *   const chromiumBin = await requireChromium('test/e2e/console.test.ts');
 *   describe.skipIf(!chromiumBin)('…', () => {
 *     let browser: Browser;
 *     beforeAll(async () => {
 *       browser = await launchBrowser({ executablePath: chromiumBin });
 *     });
 *     afterAll(() => browser?.close());
 *     it('…', async () => {
 *       const page = await browser.newPage();
 *       await page.goto(url);
 *       await page.screenshot({ path: await resultPath('console.png') });
 *     });
 *   });
 *
 * Each launch gets a new, empty profile in a temp dir (Playwright makes and removes it), so tests
 * share no cookies, storage or cache; a browser left open is killed when the test process exits.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's (and Ubuntu's older) locations, tried after TEST_CHROMIUM_BIN and before PATH. */
const DEFAULT_BINARIES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const NAMES_ON_PATH = ['chromium', 'chromium-browser'];

/**
 * What the launch adds to Playwright's own switches (which already give a fresh --user-data-dir,
 * --disable-dev-shm-usage, --disable-background-networking, --disable-component-update,
 * --disable-sync, --no-first-run, --enable-unsafe-swiftshader, and --headless):
 * - `--no-sandbox` (needed): the tests run as root, and Chromium refuses its zygote sandbox as
 *   root ("Running as root without --no-sandbox is not supported. See https://crbug.com/638180").
 *   Playwright adds it as well unless chromiumSandbox is true; named here so as not to rest on that.
 * - `--host-resolver-rules` (needed to keep the browser on loopback): inside Chromium, every host
 *   but localhost, 127.0.0.1 and ::1 resolves to nothing (other IP literals included). Even with
 *   Playwright's switches, Debian's build looks up accounts.google.com and update.googleapis.com
 *   within seconds of starting (seen: 27 DNS queries in 8 s idle; none with this rule); the
 *   network here reaches package registries only, and tests talk to loopback alone. A page naming
 *   another host fails at once with net::ERR_NAME_NOT_RESOLVED.
 * - `--disable-gpu` (not strictly needed; launches without it too): there is no GPU (no /dev/dri)
 *   on these machines, so Chromium composites and rasterizes in software without probing for
 *   hardware or acting on the Debian wrapper's --enable-gpu-rasterization. Canvas 2D and WebGL
 *   (through SwiftShader) still work.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE ::1',
  '--disable-gpu',
];

/** The repository's test-results/ (git-ignored): screenshots and other artifacts of a run. */
export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));

async function executableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium binary, or undefined: TEST_CHROMIUM_BIN when set (and nothing else, so a wrong
 * value is noticed rather than papered over), else /usr/bin/chromium, /usr/bin/chromium-browser,
 * then `chromium` or `chromium-browser` on PATH. Only looks; see requireChromium for skip-or-fail.
 */
export async function findChromium(): Promise<string | undefined> {
  const explicit = process.env.TEST_CHROMIUM_BIN;
  if (explicit) return (await executableFile(explicit)) ? explicit : undefined;
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .flatMap((dir) => NAMES_ON_PATH.map((name) => path.join(dir, name)));
  for (const candidate of [...DEFAULT_BINARIES, ...onPath]) {
    if (await executableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The Chromium binary when there is one; undefined (the caller's tests skip, with a warning naming
 * `what`) when not and CI is not set; throws under CI=true.
 */
export async function requireChromium(what = 'browser tests'): Promise<string | undefined> {
  const binary = await findChromium();
  if (binary) return binary;
  const where = process.env.TEST_CHROMIUM_BIN
    ? `TEST_CHROMIUM_BIN=${process.env.TEST_CHROMIUM_BIN} is not an executable file`
    : `no chromium binary in ${DEFAULT_BINARIES.join(' or ')} or on PATH`;
  const message = `${where}; run \`bash scripts/services/chromium.sh install\` (or \`npm run services:up\`)`;
  if (process.env.CI === 'true')
    throw new Error(`Chromium is missing: ${message}. CI=true: browser tests must run.`);
  console.warn(`SKIPPING ${what}: ${message}.`);
  return undefined;
}

export interface LaunchBrowserOptions {
  /** The binary; by default what `findChromium()` finds. */
  executablePath?: string;
  /** Switches added after CHROMIUM_ARGS. */
  args?: string[];
  /** How long the launch may take; 30 s by default (it takes well under 1 s here). */
  timeoutMs?: number;
}

/** Launches Debian's Chromium headless through playwright-core; close the Browser when done. */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? (await findChromium());
  if (!executablePath)
    throw new Error(
      'chromium binary not found; run `bash scripts/services/chromium.sh install` (check with requireChromium() first)',
    );
  return chromium.launch({
    executablePath,
    headless: true,
    chromiumSandbox: false,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    timeout: options.timeoutMs ?? 30_000,
  });
}

/** `test-results/<file>`, creating test-results/ (and any subfolder in `file`) first. */
export async function resultPath(file: string): Promise<string> {
  const full = path.join(RESULTS_DIR, file);
  await mkdir(path.dirname(full), { recursive: true });
  return full;
}
