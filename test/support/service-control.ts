/** Stops and starts the real services for fault tests (scripts/services/*.sh). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../scripts/services/', import.meta.url));

export async function serviceCommand(
  service: 'kafka' | 'influxdb' | 'redis',
  command: 'stop' | 'start',
) {
  await run('bash', [`${scripts}${service}.sh`, command], { timeout: 120_000 });
}
