/**
 * `prisma generate` for postinstall and `npm run prisma:generate`.
 *
 * Why the environment variable: the Prisma 7 CLI insists on locating (and otherwise downloading)
 * its schema engine binary before any command, from binaries.prisma.sh, which these machines
 * cannot reach. `generate` never runs that engine (the client is built by the bundled wasm), so any
 * executable satisfies the check. Migrations do not use the CLI at all (prisma/README.md).
 * A real engine path in PRISMA_SCHEMA_ENGINE_BINARY is respected.
 */
// The eslint config gives .mjs files no Node globals.
/* global process, console */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');

const result = spawnSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || '/bin/false',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
if (result.error) throw result.error;
if (result.status !== 0) {
  console.error(`prisma generate failed (exit ${result.status ?? result.signal})`);
  process.exit(result.status ?? 1);
}
