/**
 * Every test file belongs to exactly one test tier (`npm run test:tiers`, the first step of
 * `npm test`). The tiers are the projects of vitest.config.ts (unit, integration, e2e) and the
 * fault suite (vitest.faults.config.ts); vitest itself says which files each one takes
 * (`vitest list --filesOnly`), so this checks the globs vitest really applies. A test file on disk
 * that no tier takes, or that two take, fails the check with its path; so does a unit file that
 * mocks a module (the unit tier shares modules between its files: vitest.config.ts).
 */
// The eslint config gives .mjs files no Node globals.
/* global process, console, URL */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

/** vitest's default test file pattern: `*.test.ts`, `*.spec.mjs`, … */
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;
/** Not source: dependencies, build output, data and tool folders (all dot-folders). */
const SKIPPED = new Set(['node_modules', 'dist', 'data', 'coverage']);

function testFilesOnDisk(dir = root) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFilesOnDisk(full));
    else if (TEST_FILE.test(entry.name)) found.push(path.relative(root, full));
  }
  return found;
}

/** [file, tier] for each file a vitest config's projects take. */
function listed(configArgs, fallbackName) {
  const out = execFileSync(
    process.execPath,
    [vitest, 'list', '--filesOnly', '--json', ...configArgs],
    { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } },
  );
  return JSON.parse(out).map((entry) => [
    path.relative(root, entry.file),
    entry.projectName || fallbackName,
  ]);
}

const tiersOf = new Map(testFilesOnDisk().map((file) => [file, []]));
for (const [file, tier] of [
  ...listed([], 'main'),
  ...listed(['--config', 'vitest.faults.config.ts'], 'faults'),
]) {
  if (!tiersOf.has(file)) tiersOf.set(file, []);
  tiersOf.get(file).push(tier);
}

/** vi.mock / vi.doMock: in a tier without isolation the mock would outlive the file. */
const MODULE_MOCK = /\bvi\s*\.\s*(mock|doMock)\s*\(/;

const problems = [];
const counts = new Map();
for (const [file, tiers] of [...tiersOf].sort(([a], [b]) => a.localeCompare(b))) {
  if (tiers.length === 0) problems.push(`${file}: in no tier`);
  else if (tiers.length > 1)
    problems.push(`${file}: in ${tiers.length} tiers (${tiers.join(', ')})`);
  for (const tier of tiers) counts.set(tier, (counts.get(tier) ?? 0) + 1);
  if (tiers.includes('unit') && MODULE_MOCK.test(readFileSync(path.join(root, file), 'utf8')))
    problems.push(`${file}: mocks a module (vi.mock), which the unit tier cannot undo`);
}

const summary = [...counts].map(([tier, n]) => `${tier} ${n}`).join(', ');
if (problems.length > 0) {
  console.error(
    `Test tiers (${summary}):\n` +
      problems.map((problem) => `  - ${problem}`).join('\n') +
      '\nEach test file belongs to exactly one tier: the projects of vitest.config.ts (unit,' +
      ' integration, e2e) or vitest.faults.config.ts; README "Tests" says which.',
  );
  process.exit(1);
}
console.log(`test tiers: ${tiersOf.size} files, each in one tier (${summary})`);
