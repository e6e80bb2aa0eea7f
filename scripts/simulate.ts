/**
 * Streams plausible telemetry from a simulated fleet into a running server, so the live view and
 * the charts have something to show:
 *
 *   npm run simulate -- --devices 50 --rate 2 [--url http://127.0.0.1:4000] [--token <admin JWT>]
 *                       [--duration <seconds>]
 *
 * Without --token it signs an admin token with the embedded server's secret in DATA_DIR
 * (./data by default), so it works out of the box next to `npm start`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signUserToken } from '../src/auth/jwt.js';
import { DEFAULT_ORGANIZATION } from '../src/app/embedded.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? '4000'}` },
    token: { type: 'string' },
    duration: { type: 'string' },
  },
});
const deviceCount = Number(args.devices);
const rate = Number(args.rate);
if (!(deviceCount > 0 && rate > 0))
  throw new Error('--devices and --rate must be positive numbers');

async function adminToken(): Promise<string> {
  if (args.token) return args.token;
  const dataDir = process.env.DATA_DIR ?? './data';
  const secret = (await readFile(path.join(dataDir, 'jwt-secret'), 'utf8')).trim();
  return signUserToken(
    {
      secret,
      issuer: process.env.JWT_ISSUER ?? 'iot-analytics',
      audience: process.env.JWT_AUDIENCE ?? 'iot-analytics-api',
    },
    { subject: 'simulator', organizationId: DEFAULT_ORGANIZATION.id, role: 'admin' },
    '1d',
  );
}

async function graphql<T>(token: string, query: string, variables: object): Promise<T> {
  const response = await fetch(`${args.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (result.errors?.length || !result.data) throw new Error(JSON.stringify(result.errors));
  return result.data;
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
    if (!String(error).includes('CONFLICT')) throw error;
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

const token = await adminToken();
const fleet = [];
for (let i = 1; i <= deviceCount; i++) {
  const device = await enroll(token, i);
  fleet.push({ ...device, next: createSensor(i) });
}
console.log(`simulating ${fleet.length} devices at ${rate} points/s each against ${args.url}`);

let sent = 0;
let failed = 0;
const timers = fleet.map((device, index) =>
  setTimeout(
    () => {
      const send = async () => {
        const response = await fetch(`${args.url}/v1/telemetry`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${device.token}` },
          body: JSON.stringify(device.next()),
        }).catch(() => undefined);
        if (response?.status === 202) sent++;
        else failed++;
      };
      timers[index] = setInterval(() => void send(), 1000 / rate);
    },
    Math.random() * (1000 / rate),
  ),
);
const report = setInterval(() => {
  console.log(`sent ${sent} points, ${failed} refused or failed`);
}, 5_000);

const stop = () => {
  timers.forEach((timer) => clearInterval(timer));
  clearInterval(report);
  console.log(`done: sent ${sent} points, ${failed} refused or failed`);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (args.duration) setTimeout(stop, Number(args.duration) * 1000);
