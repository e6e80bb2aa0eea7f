import DataLoader from 'dataloader';
import type { Bucket } from '../domain/telemetry.js';
import type { ApiServices, Loaders, TelemetryLoad, TelemetryQuestion } from '../schema/context.js';

const questionKey = (question: TelemetryQuestion) =>
  JSON.stringify([
    question.metrics,
    question.from,
    question.to,
    question.every,
    question.origin,
    question.aggregates,
    question.percentiles,
    question.counterFrom,
  ]);

/** The devices of one batch asking one question, and the store's answer for them. */
interface TelemetryGroup {
  question: TelemetryQuestion;
  deviceIds: string[];
  byDevice?: Map<string, Bucket[]>;
}

/**
 * Devices asking the same question (a page of devices with the same `telemetry(...)` arguments)
 * are answered by one store call; different questions in one request each get their own.
 */
function createTelemetryLoader(services: ApiServices, organizationId: string) {
  return new DataLoader<TelemetryLoad, Bucket[], string>(
    async (loads) => {
      const groups = new Map<string, TelemetryGroup>();
      const groupOf = loads.map(({ deviceId, question }) => {
        const key = questionKey(question);
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { question, deviceIds: [] }));
        group.deviceIds.push(deviceId);
        return group;
      });
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const { question } = group;
          group.byDevice = await services.telemetry.aggregateDevices({
            orgId: organizationId,
            deviceIds: group.deviceIds,
            metrics: [...question.metrics],
            from: question.from,
            to: question.to,
            every: question.every,
            origin: question.origin,
            aggregates: [...question.aggregates],
            percentiles: question.percentiles,
            counterFrom: question.counterFrom,
          });
        }),
      );
      return loads.map(({ deviceId }, i) => groupOf[i]!.byDevice?.get(deviceId) ?? []);
    },
    { cacheKeyFn: ({ deviceId, question }) => `${questionKey(question)}${deviceId}` },
  );
}

export function createLoaders(services: ApiServices, organizationId: string): Loaders {
  return {
    telemetry: createTelemetryLoader(services, organizationId),
    device: new DataLoader((ids) => services.devices.findDevices(organizationId, ids)),
    // Not memoized (batched only): a subscription's context lives across events, and each
    // event must show the activity as it is then.
    activity: new DataLoader(
      async (ids) => {
        const found = await services.devices.findActivity(organizationId, ids);
        return ids.map((id) => found.get(id.toLowerCase()) ?? null);
      },
      { cache: false },
    ),
    latest: new DataLoader(async (deviceIds) => {
      const byDevice = await services.telemetry.latest(organizationId, deviceIds);
      return deviceIds.map((id) => byDevice.get(id) ?? []);
    }),
    alertRule: new DataLoader(async (ids) => {
      const rules = await services.alerts.findRules(organizationId, ids);
      const byId = new Map(rules.map((rule) => [rule.id, rule]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
    notificationChannel: new DataLoader(async (ids) => {
      const channels = await services.notifications.findChannels(organizationId, ids);
      const byId = new Map(channels.map((channel) => [channel.id, channel]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
    ruleChannelIds: new DataLoader(async (ruleIds) => {
      const routes = await services.notifications.channelIdsOfRules(organizationId, ruleIds);
      return ruleIds.map((id) => routes.get(id.toLowerCase()) ?? []);
    }),
    // One organization per request: read once, by the first read that clamps its range.
    organizationRetention: new DataLoader((organizationIds) =>
      Promise.all(organizationIds.map((id) => services.devices.getRetention(id))),
    ),
  };
}
