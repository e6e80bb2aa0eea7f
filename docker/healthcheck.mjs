/**
 * The image's HEALTHCHECK (Dockerfile): one image runs `api`, `ingest` or `pipeline`, each on its
 * own port, so this finds which role the container runs and asks that role's port for `/health`
 * (liveness: the process answers). Exit 0 healthy, 1 not. The slim node image has no curl.
 *
 *   node docker/healthcheck.mjs [api|ingest|pipeline|migrate] [/health|/ready]
 *
 * Without a role it reads the command line of the container's `node dist/main.js <role>`
 * (PID 1, or its child under `init: true`); the default CMD is `api`. The ports are the
 * settings the process reads (src/config/server.ts): PORT 4000, INGEST_PORT 4001,
 * PIPELINE_PORT 4002; HOST when it names one address, loopback when it is a wildcard.
 */
// The eslint config gives .mjs files no Node globals.
/* global process, fetch, AbortSignal, console */
import { readdirSync, readFileSync } from 'node:fs';

const PORTS = {
  api: ['PORT', 4000],
  ingest: ['INGEST_PORT', 4001],
  pipeline: ['PIPELINE_PORT', 4002],
};
const ROLES = [...Object.keys(PORTS), 'migrate'];

/** The role after `…/main.js` in a process's arguments, if that process is the product. */
function roleOf(pid) {
  let args;
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  const main = args.findIndex((arg) => /(^|\/)main\.js$/.test(arg));
  if (main < 0) return undefined;
  const role = args[main + 1];
  return ROLES.includes(role) ? role : 'api';
}

function detectRole() {
  const first = roleOf(1);
  if (first) return first;
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    // no /proc: not Linux
  }
  for (const pid of pids) {
    const role = pid === String(process.pid) ? undefined : roleOf(pid);
    if (role) return role;
  }
  return 'api';
}

const role = process.argv[2] ?? detectRole();
const path = process.argv[3] ?? '/health';
if (!ROLES.includes(role)) {
  console.error(`healthcheck: unknown role ${role} (api, ingest, pipeline or migrate)`);
  process.exit(2);
}
// migrate runs once and exits: compose waits for it to complete, not to be healthy.
if (role === 'migrate') process.exit(0);

const [portSetting, defaultPort] = PORTS[role];
const port = process.env[portSetting] || String(defaultPort);
const host = process.env.HOST || '127.0.0.1';
const address = ['0.0.0.0', '::', '[::]'].includes(host)
  ? '127.0.0.1'
  : host.includes(':') && !host.startsWith('[')
    ? `[${host}]`
    : host;

try {
  const response = await fetch(`http://${address}:${port}${path}`, {
    signal: AbortSignal.timeout(4_000),
  });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: ${role} on ${address}:${port}${path}: ${error.message}`);
  process.exit(1);
}
