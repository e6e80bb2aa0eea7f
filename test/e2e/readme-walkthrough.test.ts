/**
 * The README's "Five minutes with it", run as written: its GraphQL documents sent as they stand,
 * its shell commands run by bash with only what a reader would have exported (PORT, DEVICE_TOKEN,
 * DEVICE_ID). A newcomer's first query must show the point they sent, not a window of nulls.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/child-process.js';
import { eventually } from '../support/graphql-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const run = promisify(execFile);
const app = useEmbeddedApp({ MQTT_PORT: '0' });

/** The fenced blocks of one README section, by language, in order. */
async function walkthroughBlocks() {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Five minutes with it');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks: Record<string, string[]> = {};
  for (const [, language, body] of section.matchAll(/^ *```(\w+)\n([\s\S]*?)^ *```$/gm)) {
    (blocks[language!] ??= []).push(body!);
  }
  return blocks;
}

async function graphql<T>(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as { data?: T; errors?: unknown[] };
  expect(answer.errors).toBeUndefined();
  return answer.data!;
}

/** A shell block as the reader runs it, with what they exported. */
async function shell(block: string, env: Record<string, string>) {
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
  });
  return stdout;
}

interface WalkthroughAnswer {
  device: {
    latest: { metric: string; value: unknown; ts: string }[];
    telemetry: { start: string; metrics: Record<string, unknown>[] }[];
  };
}

describe('README walkthrough', () => {
  let blocks: Record<string, string[]>;
  beforeAll(async () => {
    blocks = await walkthroughBlocks();
  });

  it('registers, sends, and reads back the point it sent', async () => {
    const [register, query] = blocks.graphql!;
    const [send, sendOverMqtt, variablesCommand] = blocks.sh!;
    const port = new URL(app.baseUrl).port;

    const registered = await graphql<{
      registerDevice: { token: string; device: { id: string } };
    }>(register!);
    const DEVICE_TOKEN = registered.registerDevice.token;
    const DEVICE_ID = registered.registerDevice.device.id;

    // The server is not on 4000 here: the command must follow PORT.
    const sent = await shell(send!, { PORT: port, DEVICE_TOKEN });
    expect(sent).toContain('{"accepted":1}');
    // mosquitto_pub fails if the connection is refused (a wrong port or token).
    await shell(sendOverMqtt!, { MQTT_PORT: String(app.mqtt!.tcp), DEVICE_TOKEN });

    const variables = JSON.parse(await shell(variablesCommand!, { DEVICE_ID })) as {
      id: string;
    };
    expect(variables.id).toBe(DEVICE_ID);

    // The pipeline stores the point asynchronously: ask until it is there.
    const { device } = await eventually(
      async () => {
        const answer = await graphql<WalkthroughAnswer>(query!, variables);
        // Latest values show as soon as ingest has them; the buckets once the store has the point.
        const { latest, telemetry } = answer.device;
        return latest.length > 0 && telemetry.length > 0 ? answer : undefined;
      },
      10_000,
      'the point stored',
    );
    expect(device.latest).toEqual([
      { metric: 'door_open', value: false, ts: expect.any(String) },
      { metric: 'temperature', value: 21.5, ts: expect.any(String) },
    ]);
    // What the README says the answer holds: one bucket, the point's, and no nulls.
    expect(device.telemetry).toEqual([
      {
        start: expect.any(String),
        metrics: [{ metric: 'temperature', mean: 21.5, min: 21.5, max: 21.5, p95: 21.5 }],
      },
    ]);
  }, 60_000);
});
