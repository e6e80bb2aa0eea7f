/**
 * Streams plausible telemetry from a simulated fleet into a running server, so the live view and
 * the charts have something to show:
 *
 *   npm run simulate -- --devices 50 --rate 2 [--url http://127.0.0.1:4000] [--token <admin JWT>]
 *                       [--duration <seconds>]
 *
 * Without --token it signs an admin token the way `npm start` signs the one it prints: with
 * JWT_SECRET if set, else the secret the embedded server generated in DATA_DIR; without DATA_DIR,
 * in the default `data` folder of the current directory or the nearest one above that has it, so
 * it works out of the box next to `npm start`. Settings (PORT, DATA_DIR, JWT_*) come from
 * src/config/ like the server's. Rate-limited requests (many devices registering at once, a fast
 * --rate) wait the time the server names and are sent again. A problem the person can fix (no
 * secret, no server, a token the server refuses) is one line on stderr and exit code 1.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { embeddedJwtSettings, signEmbeddedAdminToken } from '../src/app/embedded-admin.js';
import { readJwtSecret } from '../src/auth/embedded-secret.js';
import { ConfigError, loadConfig, type Config } from '../src/config/index.js';

/** A problem the person running the simulator can fix: one line, no stack trace. */
class SimulatorError extends Error {}

function exitWith(error: unknown): never {
  if (error instanceof SimulatorError || error instanceof GraphQLRequestError) {
    console.error(`simulate: ${error.message}`);
  } else {
    console.error(error); // a bug: the whole trace
  }
  process.exit(1);
}

function loadSettings(): Config {
  try {
    return loadConfig(process.env, 'simulate');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const config = loadSettings();
const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1' },
    url: { type: 'string', default: `http://127.0.0.1:${config.ports.api}` },
    token: { type: 'string' },
    duration: { type: 'string' },
  },
});
const deviceCount = Number(args.devices);
const rate = Number(args.rate);
if (!(deviceCount > 0 && rate > 0)) {
  exitWith(new SimulatorError('--devices and --rate must be positive numbers'));
}

/** The folders `npm start` run here or above would have used as its default DATA_DIR, nearest first. */
function defaultDataDirs(): string[] {
  const dirs: string[] = [];
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    dirs.push(path.join(dir, 'data'));
    if (path.dirname(dir) === dir) return dirs;
  }
}

/** Reads the embedded server's generated secret; never creates one the server would not know. */
async function readEmbeddedSecret(dataDir: string): Promise<string> {
  // The config defaults DATA_DIR to ./data; only the environment says whether it was chosen.
  const chosen = process.env.DATA_DIR !== undefined;
  const candidates = chosen ? [dataDir] : defaultDataDirs();
  for (const dir of candidates) {
    const secret = await readJwtSecret(dir);
    if (secret === undefined) continue;
    console.log(`signing an admin token with the server's secret in ${dir}`);
    return secret;
  }
  const where = chosen
    ? `no ${path.join(dataDir, 'jwt-secret')}`
    : `no data/jwt-secret in ${process.cwd()} or a folder above it`;
  throw new SimulatorError(
    `${where}: start the server first (npm start), or run the simulator with the server's DATA_DIR or JWT_SECRET, or pass --token`,
  );
}

async function adminToken(): Promise<string> {
  if (args.token) return args.token;
  if (config.mode === 'production' && !config.auth.jwtSecret) {
    throw new SimulatorError(
      'MODE=production: set JWT_SECRET to sign an admin token, or pass --token',
    );
  }
  return signEmbeddedAdminToken(
    await embeddedJwtSettings(config, readEmbeddedSecret),
    'simulator',
    '1d',
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface GraphQLError {
  message: string;
  extensions?: { code?: string; retryAfterSeconds?: number };
}

class GraphQLRequestError extends Error {
  constructor(readonly errors: GraphQLError[]) {
    const hint = errors.some((error) => error.extensions?.code === 'UNAUTHENTICATED')
      ? ": the token is not this server's (run with its DATA_DIR or JWT_SECRET, or pass --token)"
      : '';
    super(
      `the server refused: ${errors.map((error) => `${error.message} [${error.extensions?.code ?? 'no code'}]`).join('; ')}${hint}`,
    );
  }
  has(code: string) {
    return this.errors.some((error) => error.extensions?.code === code);
  }
}

let rateLimitNoticeShown = false;

/** One operation; RATE_LIMITED is waited out and retried, any other error thrown. */
async function graphql<T>(token: string, query: string, variables: object): Promise<T> {
  for (;;) {
    const response = await fetch(`${args.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    }).catch((error: Error) => {
      const cause = error.cause as NodeJS.ErrnoException | undefined;
      const reason = cause?.code ?? cause?.message ?? error.message;
      throw new SimulatorError(
        `cannot reach ${args.url} (${reason}): start the server (npm start), or pass --url`,
      );
    });
    const result = (await response.json()) as { data?: T; errors?: GraphQLError[] };
    const limited = result.errors?.find((error) => error.extensions?.code === 'RATE_LIMITED');
    if (limited) {
      const seconds = limited.extensions?.retryAfterSeconds ?? 1;
      if (!rateLimitNoticeShown) {
        rateLimitNoticeShown = true;
        console.log(`rate limited by the server; retrying after ${seconds} s (and so on)`);
      }
      await sleep(Math.max(1, seconds) * 1000);
      continue;
    }
    if (result.errors?.length || !result.data) throw new GraphQLRequestError(result.errors ?? []);
    return result.data;
  }
}

const TYPES = ['thermostat', 'air-quality', 'cold-storage'];
const SITES = ['north', 'south', 'east', 'west'];

/** Registers sim-NNNN, or takes over an existing one with a fresh token. */
async function enroll(token: string, index: number) {
  const externalId = `sim-${String(index).padStart(4, '0')}`;
  try {
    const data = await graphql<{ registerDevice: { token: string; device: { id: string } } }>(
      token,
      `
        mutation ($input: RegisterDeviceInput!) {
          registerDevice(input: $input) {
            token
            device {
              id
            }
          }
        }
      `,
      {
        input: {
          externalId,
          name: `Simulated ${TYPES[index % TYPES.length]} ${index}`,
          type: TYPES[index % TYPES.length],
          labels: [
            { key: 'site', value: SITES[index % SITES.length] },
            { key: 'simulated', value: 'true' },
          ],
          location: { latitude: 48 + (index % 10) / 10, longitude: 11 + (index % 7) / 10 },
        },
      },
    );
    return { externalId, token: data.registerDevice.token };
  } catch (error) {
    if (!(error instanceof GraphQLRequestError && error.has('CONFLICT'))) throw error;
    const found = await graphql<{ devices: { edges: { node: { id: string } }[] } }>(
      token,
      `
        query ($search: String) {
          devices(first: 1, filter: { search: $search }) {
            edges {
              node {
                id
              }
            }
          }
        }
      `,
      { search: externalId },
    );
    const id = found.devices.edges[0]?.node.id;
    if (!id) throw error;
    const rotated = await graphql<{ rotateDeviceToken: { token: string } }>(
      token,
      `
        mutation ($id: ID!) {
          rotateDeviceToken(id: $id) {
            token
          }
        }
      `,
      { id },
    );
    return { externalId, token: rotated.rotateDeviceToken.token };
  }
}

/** A device whose readings drift like real sensors: random walks, a slow battery drain, doors. */
function createSensor(index: number) {
  let temperature = 18 + (index % 8);
  let humidity = 40 + (index % 20);
  let battery = 100 - (index % 30);
  return () => {
    temperature += (Math.random() - 0.5) * 0.4;
    humidity = Math.min(100, Math.max(0, humidity + (Math.random() - 0.5)));
    battery = Math.max(0, battery - Math.random() * 0.01);
    return {
      ts: Date.now(),
      metrics: {
        temperature: Math.round(temperature * 100) / 100,
        humidity: Math.round(humidity * 10) / 10,
        battery: Math.round(battery * 100) / 100,
        rssi: -50 - Math.round(Math.random() * 40),
        door_open: Math.random() < 0.05,
        mode: temperature > 24 ? 'cooling' : temperature < 19 ? 'heating' : 'idle',
      },
    };
  };
}

interface SimulatedDevice {
  externalId: string;
  token: string;
  next: () => object;
}
const fleet: SimulatedDevice[] = [];
try {
  const token = await adminToken();
  for (let i = 1; i <= deviceCount; i++) {
    const device = await enroll(token, i);
    fleet.push({ ...device, next: createSensor(i) });
  }
} catch (error) {
  exitWith(error);
}
console.log(`simulating ${fleet.length} devices at ${rate} points/s each against ${args.url}`);

let running = true;
let sent = 0;
let failed = 0;
let retried = 0;
const intervalMs = 1000 / rate;

/** Posts one point; a 429 is waited out (Retry-After) and the same point sent again. */
async function post(device: SimulatedDevice, point: object) {
  while (running) {
    const response = await fetch(`${args.url}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${device.token}` },
      body: JSON.stringify(point),
    }).catch(() => undefined);
    await response?.arrayBuffer();
    if (response?.status === 429) {
      retried++;
      await sleep(Math.max(1, Number(response.headers.get('retry-after')) || 1) * 1000);
      continue;
    }
    if (response?.status === 202) sent++;
    else failed++;
    return;
  }
}

/** Each device on its own schedule, one request at a time, so a retry never overlaps the next. */
async function run(device: SimulatedDevice) {
  await sleep(Math.random() * intervalMs);
  let due = Date.now();
  while (running) {
    await post(device, device.next());
    due += intervalMs;
    await sleep(Math.max(0, due - Date.now()));
  }
}
fleet.forEach((device) => void run(device));

const summary = () =>
  `sent ${sent} points, ${failed} refused or failed` +
  (retried > 0 ? `, ${retried} retried after 429` : '');
const report = setInterval(() => console.log(summary()), 5_000);

const stop = () => {
  running = false;
  clearInterval(report);
  console.log(`done: ${summary()}`);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (args.duration) setTimeout(stop, Number(args.duration) * 1000);
