import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertEvent } from '../../src/domain/alerts.js';
import type { ConnectivityChange } from '../../src/domain/connectivity.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import type { LiveHub } from '../../src/ports/live-hub.js';

export interface LiveHubFixture {
  hub: LiveHub;
  cleanup?: () => Promise<void>;
}

const point = (orgId: string, deviceId: string, ts: number): TelemetryPoint => ({
  orgId,
  deviceId,
  ts,
  metrics: { temperature: 21.5 + ts, door: ts % 2 === 0, firmware: `v${ts}` },
});

const alert = (organizationId: string, ts: number): AlertEvent => ({
  organizationId,
  ruleId: '0190b5a0-0000-7000-8000-000000000001',
  deviceId: '0190b5a0-0000-7000-8000-000000000002',
  status: ts % 2 === 0 ? 'FIRING' : 'OK',
  value: ts % 3 === 0 ? 'stuck' : 30 + ts,
  ts,
  episodeId: '0190b5a0-0000-8000-8000-000000000004',
});

const transition = (organizationId: string, since: number): ConnectivityChange => ({
  organizationId,
  deviceId: '0190b5a0-0000-7000-8000-000000000003',
  state: since % 2 === 0 ? 'OFFLINE' : 'ONLINE',
  previous: since % 2 === 0 ? 'ONLINE' : 'NEVER_SEEN',
  since,
});

/** Collects what a listener receives, for assertions that wait for asynchronous delivery. */
function recorder<Message = TelemetryPoint>() {
  const received: Message[] = [];
  return { received, listener: (message: Message) => void received.push(message) };
}

const eventually = (check: () => void) => vi.waitFor(check, { timeout: 5_000, interval: 10 });

/**
 * One contract for every LiveHub adapter. Negative checks ("X never arrives") publish X and then a
 * marker on a channel the subscriber does see: once the marker arrived, X would have arrived too.
 */
export function describeLiveHubContract(name: string, open: () => Promise<LiveHubFixture>) {
  describe(`LiveHub contract: ${name}`, () => {
    let fixture: LiveHubFixture;
    let hub: LiveHub;

    beforeEach(async () => {
      fixture = await open();
      hub = fixture.hub;
    });
    afterEach(async () => {
      await hub.close();
      await fixture.cleanup?.();
    });

    it('answers ping', async () => {
      await expect(hub.ping()).resolves.toBeUndefined();
    });

    it('delivers points intact to a subscriber of their (organization, device)', async () => {
      const { received, listener } = recorder();
      await hub.subscribe('org-a', 'dev-1', listener);
      const sent = [point('org-a', 'dev-1', 1), point('org-a', 'dev-1', 2)];
      await hub.publish(sent);
      await eventually(() => expect(received).toEqual(sent));
      expect(typeof received[0]!.metrics.door).toBe('boolean');
    });

    it("never delivers another organization's device with the same id, or another device", async () => {
      const { received, listener } = recorder();
      await hub.subscribe('org-a', 'dev-1', listener);
      await hub.publish([point('org-b', 'dev-1', 1), point('org-a', 'dev-2', 2)]);
      await hub.publish([point('org-a', 'dev-1', 3)]);
      await eventually(() => expect(received.map((p) => p.ts)).toContain(3));
      expect(received).toEqual([point('org-a', 'dev-1', 3)]);
    });

    it('keeps the order of points of one device', async () => {
      const { received, listener } = recorder();
      await hub.subscribe('org-a', 'dev-1', listener);
      const sent = Array.from({ length: 200 }, (_, i) => point('org-a', 'dev-1', i));
      await hub.publish(sent.slice(0, 100));
      await hub.publish(sent.slice(100));
      await eventually(() => expect(received).toHaveLength(200));
      expect(received.map((p) => p.ts)).toEqual(sent.map((p) => p.ts));
    });

    it('gives every subscriber of one channel each point', async () => {
      const recorders = Array.from({ length: 5 }, recorder);
      await Promise.all(recorders.map((r) => hub.subscribe('org-a', 'dev-1', r.listener)));
      await hub.publish([point('org-a', 'dev-1', 1), point('org-a', 'dev-1', 2)]);
      for (const r of recorders) await eventually(() => expect(r.received).toHaveLength(2));
    });

    it('stops delivering after unsubscribe, and keeps delivering to the others', async () => {
      const leaving = recorder();
      const staying = recorder();
      const unsubscribe = await hub.subscribe('org-a', 'dev-1', leaving.listener);
      await hub.subscribe('org-a', 'dev-1', staying.listener);
      await hub.publish([point('org-a', 'dev-1', 1)]);
      await eventually(() => expect(leaving.received).toHaveLength(1));
      unsubscribe();
      unsubscribe(); // twice is harmless
      await hub.publish([point('org-a', 'dev-1', 2)]);
      await eventually(() => expect(staying.received).toHaveLength(2));
      expect(leaving.received.map((p) => p.ts)).toEqual([1]);
    });

    it('delivers again after the last listener left and a new one subscribed', async () => {
      const first = recorder();
      const unsubscribeFirst = await hub.subscribe('org-a', 'dev-1', first.listener);
      unsubscribeFirst();
      const second = recorder();
      await hub.subscribe('org-a', 'dev-1', second.listener);
      unsubscribeFirst(); // a stale unsubscribe must not cut the new listener off
      await hub.publish([point('org-a', 'dev-1', 1)]);
      await eventually(() => expect(second.received).toHaveLength(1));
      expect(first.received).toEqual([]);
    });

    it('lets a throwing listener harm no one', async () => {
      const before = recorder();
      const after = recorder();
      await hub.subscribe('org-a', 'dev-1', before.listener);
      await hub.subscribe('org-a', 'dev-1', () => {
        throw new Error('broken dashboard');
      });
      await hub.subscribe('org-a', 'dev-1', after.listener);
      await hub.publish([point('org-a', 'dev-1', 1), point('org-a', 'dev-1', 2)]);
      await eventually(() => expect(after.received).toHaveLength(2));
      expect(before.received).toHaveLength(2);
    });

    it("delivers every device's points of the organization to its organization subscriber, in order, never another's", async () => {
      const { received, listener } = recorder();
      const device = recorder();
      await hub.subscribeOrganization('org-a', listener);
      await hub.subscribe('org-a', 'dev-1', device.listener);
      await hub.publish([
        point('org-a', 'dev-1', 1),
        point('org-b', 'dev-1', 2),
        point('org-a', 'dev-new', 3),
        point('org-ab', 'dev-1', 4),
      ]);
      await hub.publishAlerts([alert('org-a', 5)]);
      await hub.publish([point('org-a', 'dev-2', 6)]);
      await eventually(() => expect(received.map((p) => p.ts)).toContain(6));
      expect(received).toEqual([
        point('org-a', 'dev-1', 1),
        point('org-a', 'dev-new', 3),
        point('org-a', 'dev-2', 6),
      ]);
      // The device's own subscriber still gets its points once.
      expect(device.received.map((p) => p.ts)).toEqual([1]);
    });

    it('takes an organization id literally, glob characters and all, and stops after unsubscribe', async () => {
      const { received, listener } = recorder();
      const unsubscribe = await hub.subscribeOrganization('org-*', listener);
      await hub.publish([point('org-a', 'dev-1', 1), point('org-*', 'dev-1', 2)]);
      await eventually(() => expect(received.map((p) => p.ts)).toEqual([2]));
      unsubscribe();
      const marker = recorder();
      await hub.subscribeOrganization('org-*', marker.listener);
      await hub.publish([point('org-*', 'dev-1', 3)]);
      await eventually(() => expect(marker.received).toHaveLength(1));
      expect(received.map((p) => p.ts)).toEqual([2]);
    });

    it("delivers an organization's alerts intact and in order to each of its subscribers", async () => {
      const recorders = [recorder<AlertEvent>(), recorder<AlertEvent>()];
      for (const r of recorders) await hub.subscribeAlerts('org-a', r.listener);
      const sent = [alert('org-a', 2), alert('org-a', 3), alert('org-a', 4)];
      await hub.publishAlerts(sent);
      for (const r of recorders) await eventually(() => expect(r.received).toEqual(sent));
    });

    it("never delivers another organization's alerts, nor telemetry on the alert channel", async () => {
      const alerts = recorder<AlertEvent>();
      const points = recorder();
      await hub.subscribeAlerts('org-a', alerts.listener);
      await hub.subscribe('org-a', 'dev-1', points.listener);
      await hub.publishAlerts([alert('org-b', 1)]);
      await hub.publish([point('org-a', 'dev-1', 7)]);
      await hub.publishAlerts([alert('org-a', 2)]);
      await eventually(() => expect(alerts.received.map((a) => a.ts)).toContain(2));
      expect(alerts.received).toEqual([alert('org-a', 2)]);
      expect(points.received).toEqual([point('org-a', 'dev-1', 7)]);
    });

    it('stops delivering alerts after unsubscribe', async () => {
      const leaving = recorder<AlertEvent>();
      const staying = recorder<AlertEvent>();
      const unsubscribe = await hub.subscribeAlerts('org-a', leaving.listener);
      await hub.subscribeAlerts('org-a', staying.listener);
      unsubscribe();
      await hub.publishAlerts([alert('org-a', 1)]);
      await eventually(() => expect(staying.received).toHaveLength(1));
      expect(leaving.received).toEqual([]);
    });

    it("delivers an organization's connectivity transitions in order, never another's nor its alerts", async () => {
      const transitions = recorder<ConnectivityChange>();
      const alerts = recorder<AlertEvent>();
      const unsubscribe = await hub.subscribeConnectivity('org-a', transitions.listener);
      await hub.subscribeAlerts('org-a', alerts.listener);
      await hub.publishConnectivity([transition('org-b', 1)]);
      await hub.publishAlerts([alert('org-a', 5)]);
      const sent = [transition('org-a', 2), transition('org-a', 3)];
      await hub.publishConnectivity(sent);
      await eventually(() => expect(transitions.received).toEqual(sent));
      expect(alerts.received).toEqual([alert('org-a', 5)]);

      unsubscribe();
      await hub.publishConnectivity([transition('org-a', 4)]);
      await hub.publishAlerts([alert('org-a', 6)]);
      await eventually(() => expect(alerts.received).toHaveLength(2));
      expect(transitions.received).toEqual(sent);
    });
  });
}
