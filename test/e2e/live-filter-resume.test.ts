/**
 * The telemetry subscription by `filter` and resumed with `since`, end to end on the embedded app
 * over graphql-ws. A filter follows the devices that match, registered later or relabelled
 * included, and needs devices:read. `since` replays what was stored after it, then goes live,
 * with no gap and no duplicate while a device keeps sending; more than 10,000 points to replay
 * is refused naming `since`.
 */
import { describe, expect, it } from 'vitest';
import {
  CreateApiKeyDocument,
  LiveTelemetryFilteredDocument,
  LiveTelemetryResumedDocument,
  RegisterDeviceDocument,
  UpdateDeviceDocument,
  type LiveTelemetryFilteredSubscription,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { keepSending } from '../support/keep-sending.js';
import { subscribeLive, untilLive } from '../support/live-subscription.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

type Point = LiveTelemetryFilteredSubscription['telemetry'];

const app = useEmbeddedApp({
  // A device sending every few milliseconds: the rate limit is not what is tested here.
  RATE_LIMIT_DEVICE_PER_SECOND: '100000',
  RATE_LIMIT_DEVICE_BURST: '100000',
});
const admin = () => createGraphQLClient(app.baseUrl, app.adminToken);

async function register(externalId: string, site: string) {
  const data = await expectData(
    admin()(RegisterDeviceDocument, {
      input: {
        externalId,
        name: externalId,
        type: 'meter',
        labels: [{ key: 'site', value: site }],
      },
    }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

async function send(token: string, ts: number | number[]) {
  const points = (Array.isArray(ts) ? ts : [ts]).map((each) => ({
    ts: each,
    metrics: { power: each % 1000 },
  }));
  const response = await postTelemetry(app.baseUrl, token, JSON.stringify(points));
  expect(response.status).toBe(202);
}

const subscribe = (
  document: typeof LiveTelemetryFilteredDocument | typeof LiveTelemetryResumedDocument,
  variables: Record<string, unknown>,
  token = app.adminToken,
) =>
  subscribeLive(
    app.baseUrl,
    token,
    { document, variables },
    (data) => (data as LiveTelemetryFilteredSubscription).telemetry,
  );

const times = (points: Point[], deviceId?: string) =>
  points.filter((p) => !deviceId || p.deviceId === deviceId).map((p) => Date.parse(p.ts));

let clock = Date.UTC(2026, 0, 1);
const tick = () => ++clock;

describe('telemetry(filter)', () => {
  it('follows the devices that match: registered later, relabelled, never the others', async () => {
    const north = await register('filter-north', 'north');
    const south = await register('filter-south', 'south');
    const live = subscribe(LiveTelemetryFilteredDocument, {
      filter: { labels: [{ key: 'site', value: 'north' }] },
    });
    try {
      await untilLive(
        live,
        () => send(north.token, tick()),
        (p) => p.deviceId === north.id,
      );
      // South, then a marker from north: once the marker arrived, south would have.
      await send(south.token, tick());
      const marker = tick();
      await send(north.token, marker);
      await eventually(async () => (times(live.received).includes(marker) ? 1 : undefined));
      expect(live.received.some((p) => p.deviceId === south.id)).toBe(false);

      const later = await register('filter-north-later', 'north');
      const fromLater = tick();
      await send(later.token, fromLater);
      await eventually(async () =>
        times(live.received, later.id).includes(fromLater) ? 1 : undefined,
      );

      // Relabelled to north: its points come within the 10 s a filter trusts what it read.
      await expectData(
        admin()(UpdateDeviceDocument, {
          id: south.id,
          input: { labels: [{ key: 'site', value: 'north' }] },
        }),
      );
      await untilLive(
        live,
        () => send(south.token, tick()),
        (p) => p.deviceId === south.id,
        'the relabelled device to be followed',
        20_000,
      );
      expect(live.errors).toEqual([]);
    } finally {
      await live.close();
    }
  }, 60_000);

  it('needs devices:read, and exactly one of deviceIds and filter', async () => {
    const { createApiKey } = await expectData(
      admin()(CreateApiKeyDocument, {
        input: { name: 'telemetry only', scopes: ['READ_TELEMETRY'] },
      }),
    );
    const device = await register('filter-scope', 'north');
    const refusals = [
      [{ filter: { type: 'meter' } }, createApiKey.key, 'FORBIDDEN'],
      [
        { filter: { type: 'meter' }, deviceIds: [device.id], since: new Date(0).toISOString() },
        app.adminToken,
        'BAD_USER_INPUT',
      ],
      [{ since: new Date(0).toISOString() }, app.adminToken, 'BAD_USER_INPUT'],
    ] as const;
    for (const [variables, token, code] of refusals) {
      const document =
        'since' in variables ? LiveTelemetryResumedDocument : LiveTelemetryFilteredDocument;
      const live = subscribe(document, variables, token);
      try {
        await eventually(async () => (live.errors.length > 0 ? true : undefined), 5_000, code);
        expect(live.errors[0]).toMatchObject({ extensions: { code } });
        expect(live.received).toEqual([]);
      } finally {
        await live.close();
      }
    }
  });
});

describe('telemetry(since)', () => {
  it('replays what was missed, then goes live: no gap, no duplicate, while the device keeps sending', async () => {
    const device = await register('resume', 'north');
    // The device sends a point every few milliseconds for the whole test.
    const sender = keepSending((ts) => send(device.token, ts), { nextTs: tick, pauseMs: 5 });
    const { sent } = sender;
    try {
      const first = subscribe(LiveTelemetryResumedDocument, {
        deviceIds: [device.id],
        since: new Date(clock).toISOString(),
      });
      await eventually(
        async () => (first.received.length >= 20 ? true : undefined),
        10_000,
        'some points',
      );
      await first.close();
      const seen = times(first.received);
      const last = seen.at(-1)!;
      // Disconnected a while, the device sending on.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const second = subscribe(LiveTelemetryResumedDocument, {
        deviceIds: [device.id],
        since: new Date(last).toISOString(),
      });
      try {
        await eventually(
          async () => (second.received.length >= 150 ? true : undefined),
          15_000,
          'the resumed stream',
        );
        await sender.stop();
        const final = sent.at(-1)!;
        await eventually(
          async () => (times(second.received).includes(final) ? true : undefined),
          10_000,
          'the last point',
        );
        const resumed = times(second.received);
        // Exactly what was sent after `last`, each once, in order.
        expect(resumed).toEqual(sent.filter((ts) => ts > last));
        expect(seen).toEqual(sent.filter((ts) => ts <= last && ts >= seen[0]!));
        expect(second.errors).toEqual([]);
      } finally {
        await second.close();
      }
    } finally {
      await sender.stop();
    }
  }, 60_000);

  it('refuses more than 10,000 points to replay, naming `since`', async () => {
    const device = await register('resume-too-many', 'north');
    const since = clock;
    const batch = () => Array.from({ length: 5_001 }, tick);
    await send(device.token, batch());
    await send(device.token, batch());
    const last = clock;
    // Until both batches are stored: a resume from just before the last point sees it.
    const probe = subscribe(LiveTelemetryResumedDocument, {
      deviceIds: [device.id],
      since: new Date(last - 1).toISOString(),
    });
    await eventually(
      async () => (times(probe.received).includes(last) ? true : undefined),
      20_000,
      'the points to be stored',
    );
    await probe.close();
    const live = subscribe(LiveTelemetryResumedDocument, {
      deviceIds: [device.id],
      since: new Date(since).toISOString(),
    });
    try {
      await eventually(
        async () => (live.errors.length > 0 ? true : undefined),
        10_000,
        'the refusal',
      );
      expect(live.errors[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'since' },
      });
      expect(live.received).toEqual([]);
    } finally {
      await live.close();
    }
  }, 60_000);
});
