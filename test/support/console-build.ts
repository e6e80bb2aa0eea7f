import { execFileSync } from 'node:child_process';
import { root } from './child-process.js';

/**
 * What `npm start` does first (scripts/build-console.mjs): build the web console into
 * console/dist when the build is missing or older than its sources, so a test serving it never
 * sees a stale or absent one. CI has built it already (`npm run build`): then this is a no-op.
 */
export function buildConsoleIfStale(): void {
  execFileSync(process.execPath, ['scripts/build-console.mjs', '--if-stale'], { cwd: root });
}
