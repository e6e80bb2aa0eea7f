/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AlertCondition =
  /** value = threshold (same type and value) */
  | 'EQ'
  /** value > threshold (numbers only) */
  | 'GT'
  /** value ≥ threshold (numbers only) */
  | 'GTE'
  /** value < threshold (numbers only) */
  | 'LT'
  /** value ≤ threshold (numbers only) */
  | 'LTE'
  /** value ≠ threshold */
  | 'NEQ';

export type AlertEpisodeEventKind =
  /** Someone acknowledged it. */
  | 'ACKNOWLEDGED'
  /** The episode began. */
  | 'FIRING'
  /** It ended: the alert is OK again. */
  | 'RESOLVED';

export type AlertRuleKind =
  /** A value more than `deviations` median absolute deviations from the median of the device's own `windowPoints` newest values. */
  | 'ANOMALY'
  /** Silence: no point of the metric (of any metric when it has none) received from a device for forDuration. */
  | 'NO_DATA'
  /** "metric <condition> threshold", on every stored point. */
  | 'THRESHOLD';

/** What an API key may do. No scope lets a key manage API keys. */
export type ApiKeyScope =
  /** Grants alerts:manage. */
  | 'MANAGE_ALERTS'
  /** Grants devices:manage. */
  | 'MANAGE_DEVICES'
  /** Grants alerts:read. */
  | 'READ_ALERTS'
  /** Grants devices:read. */
  | 'READ_DEVICES'
  /** Grants telemetry:read. */
  | 'READ_TELEMETRY';

/** Whether a device has been heard from within its heartbeat timeout (its own, else its type's, else the server's HEARTBEAT_TIMEOUT_SECONDS). Heard from: the server received a point from it, whatever the point's own time. */
export type ConnectivityState =
  /** No point received yet. */
  | 'NEVER_SEEN'
  /** Silent for longer than the heartbeat timeout. */
  | 'OFFLINE'
  /** A point received within the heartbeat timeout. */
  | 'ONLINE';

export type CreateAlertRuleInput = {
  /** The notification channels its episodes are sent to, when they begin and end (at most 10; needs alerts:manage, like the channels). */
  channelIds?: Array<string | number> | null | undefined;
  /** GT, GTE, LT and LTE only: while FIRING, the value is compared with this instead, so a value hovering at the threshold does not flap (for GT 80, say 75: it clears at or below 75). */
  clearThreshold?: number | boolean | string | null | undefined;
  /** THRESHOLD: required. */
  condition?: AlertCondition | null | undefined;
  /** ANOMALY: how many median absolute deviations from the median make a value anomalous, 0.5 to 100 (default 3.5). */
  deviations?: number | null | undefined;
  /** Only devices carrying every one of these labels. */
  deviceLabels?: Array<LabelInput> | null | undefined;
  /** Only devices of this type; omit for every type. */
  deviceType?: string | null | undefined;
  /** Defaults to true. */
  enabled?: boolean | null | undefined;
  /** THRESHOLD: how long the condition must hold before FIRING, and fail to hold before OK again: 0s (the default, at once) to 24h, like 30s or 5m. NO_DATA (required): how long a device may be silent, 1s to 24h. */
  forDuration?: string | null | undefined;
  kind?: AlertRuleKind | null | undefined;
  /** THRESHOLD: required. NO_DATA: the metric whose silence counts; omit for any point. */
  metric?: string | null | undefined;
  name: string;
  /** THRESHOLD: required. */
  threshold?: number | boolean | string | null | undefined;
  /** ANOMALY: how many of the device's newest values the median is taken over, 10 to 1000 (default 100); nothing is anomalous before 10 have arrived. */
  windowPoints?: number | null | undefined;
};

export type CreateApiKeyInput = {
  /** Omit for a key that does not expire. */
  expiresAt?: string | null | undefined;
  name: string;
  scopes: Array<ApiKeyScope>;
};

export type CreateNotificationChannelInput = {
  kind: NotificationChannelKind;
  name: string;
  /** PAGERDUTY (required): the Events API v2 integration key of the service. */
  routingKey?: string | null | undefined;
  /** WEBHOOK (required): http or https, at most 2048 characters, a public address unless NOTIFICATION_ALLOWED_NETWORKS allows it. */
  url?: string | null | undefined;
};

export type DeviceFilter = {
  /** Any of these states. */
  connectivity?: Array<ConnectivityState> | null | undefined;
  /** Every pair must match. */
  labels?: Array<LabelInput> | null | undefined;
  /** Case-insensitive part of the name or externalId. */
  search?: string | null | undefined;
  status?: DeviceStatus | null | undefined;
  type?: string | null | undefined;
};

export type DeviceStatus =
  /** Accepts telemetry. */
  | 'ACTIVE'
  /** Telemetry is refused with 403 until the device is enabled. */
  | 'DISABLED';

export type LabelInput = {
  key: string;
  value: string;
};

export type LocationInput = {
  /** Metres, within ±1,000,000. */
  altitude?: number | null | undefined;
  /** Degrees, within ±90. */
  latitude: number;
  /** Degrees, within ±180. */
  longitude: number;
};

export type NotificationChannelKind =
  /** A PagerDuty service, sent Events API v2 events: trigger when an episode begins, resolve when it ends (dedup_key: the episode id). */
  | 'PAGERDUTY'
  /** An HTTPS (or HTTP) endpoint, sent Standard Webhooks messages signed with the channel secret. */
  | 'WEBHOOK';

export type NotificationDeliveryStatus =
  /** The receiver answered 2xx. */
  | 'DELIVERED'
  /** Given up: NOTIFICATION_RETRY_FOR passed, the channel was disabled, or PagerDuty refused the event. */
  | 'FAILED'
  /** Not delivered yet: the next attempt is at nextAttemptAt. */
  | 'PENDING';

export type NotificationEvent =
  /** The episode began. */
  | 'FIRING'
  /** It ended. */
  | 'RESOLVED';

/** What a caller may do: a user's role grants a set (viewer: the reads; operator: also devices and alerts; admin: also API keys), an API key its scopes. */
export type Permission =
  /** `alerts:manage` */
  | 'ALERTS_MANAGE'
  /** `alerts:read` */
  | 'ALERTS_READ'
  /** `devices:manage` */
  | 'DEVICES_MANAGE'
  /** `devices:read` */
  | 'DEVICES_READ'
  /** `keys:manage` */
  | 'KEYS_MANAGE'
  /** `organization:manage` */
  | 'ORGANIZATION_MANAGE'
  /** `telemetry:read` */
  | 'TELEMETRY_READ';

export type RegisterDeviceInput = {
  externalId: string;
  /** 1 to 2592000 (30 days); omitted or null: the type's, else the server's. */
  heartbeatTimeoutSeconds?: number | null | undefined;
  labels?: Array<LabelInput> | null | undefined;
  location?: LocationInput | null | undefined;
  name: string;
  type: string;
};

/** The organization's own retention, at most the server's; a period left out or null: the server's. */
export type SetRetentionInput = {
  /** Raw points, like `30d`. */
  raw?: string | null | undefined;
  /** Rollups, like `52w`; at least the raw retention. */
  rollups?: string | null | undefined;
};

export type UpdateAlertRuleInput = {
  /** The notification channels its episodes are sent to, when they begin and end (at most 10; needs alerts:manage, like the channels). Replaces all of them; [] routes it nowhere. */
  channelIds?: Array<string | number> | null | undefined;
  /** GT, GTE, LT and LTE only: while FIRING, the value is compared with this instead, so a value hovering at the threshold does not flap (for GT 80, say 75: it clears at or below 75). null clears it. */
  clearThreshold?: number | boolean | string | null | undefined;
  condition?: AlertCondition | null | undefined;
  /** ANOMALY: how many median absolute deviations from the median make a value anomalous, 0.5 to 100 (default 3.5). */
  deviations?: number | null | undefined;
  /** Replaces all of them. */
  deviceLabels?: Array<LabelInput> | null | undefined;
  /** null applies the rule to every type again. */
  deviceType?: string | null | undefined;
  /** Disabling clears the rule's alerts. */
  enabled?: boolean | null | undefined;
  /** THRESHOLD: how long the condition must hold before FIRING, and fail to hold before OK again: 0s (the default, at once) to 24h, like 30s or 5m. NO_DATA (required): how long a device may be silent, 1s to 24h. */
  forDuration?: string | null | undefined;
  /** NO_DATA: null watches any point again. THRESHOLD and ANOMALY: never null. */
  metric?: string | null | undefined;
  name?: string | null | undefined;
  threshold?: number | boolean | string | null | undefined;
  /** ANOMALY: how many of the device's newest values the median is taken over, 10 to 1000 (default 100); nothing is anomalous before 10 have arrived. */
  windowPoints?: number | null | undefined;
};

export type ViewerKind =
  /** A third-party app, with an API key. */
  | 'API_KEY'
  /** A person, signed in with a JWT. */
  | 'USER';

export type ConsoleRegisterDeviceMutationVariables = Exact<{
  input: RegisterDeviceInput;
}>;


export type ConsoleRegisterDeviceMutation = { registerDevice: { token: string, device: { id: string, name: string } } };

export type ConsoleRotateTokenMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleRotateTokenMutation = { rotateDeviceToken: { token: string, device: { id: string } } };

export type ConsoleDisableDeviceMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDisableDeviceMutation = { disableDevice: { id: string, status: DeviceStatus } };

export type ConsoleEnableDeviceMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleEnableDeviceMutation = { enableDevice: { id: string, status: DeviceStatus } };

export type ConsoleApiKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleApiKeysQuery = { apiKeys: Array<{ id: string, name: string, prefix: string, scopes: Array<ApiKeyScope>, createdAt: string, expiresAt: string | null, lastUsedAt: string | null, revokedAt: string | null }> };

export type ConsoleCreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type ConsoleCreateApiKeyMutation = { createApiKey: { key: string, apiKey: { id: string } } };

export type ConsoleRevokeApiKeyMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleRevokeApiKeyMutation = { revokeApiKey: { id: string, revokedAt: string | null } };

export type ConsoleRetentionFieldsFragment = { raw: string | null, rollups: string | null, organizationRaw: string | null, organizationRollups: string | null, serverRaw: string | null, serverRollups: string | null };

export type ConsoleRetentionQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleRetentionQuery = { retention: { raw: string | null, rollups: string | null, organizationRaw: string | null, organizationRollups: string | null, serverRaw: string | null, serverRollups: string | null } };

export type ConsoleSetRetentionMutationVariables = Exact<{
  input: SetRetentionInput;
}>;


export type ConsoleSetRetentionMutation = { setRetention: { raw: string | null, rollups: string | null, organizationRaw: string | null, organizationRollups: string | null, serverRaw: string | null, serverRollups: string | null } };

export type ConsoleEpisodeFragment = { id: string, firing: boolean, startedAt: string, endedAt: string | null, startValue: number | boolean | string, peakValue: number | boolean | string, deviceId: string, device: { id: string, name: string } | null, ruleAtStart: { name: string }, acknowledgement: { at: string, note: string | null } | null };

export type ConsoleAlertsQueryVariables = Exact<{
  firing?: boolean | null | undefined;
  deviceId?: string | number | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ConsoleAlertsQuery = { alertEpisodes: { edges: Array<{ node: { id: string, firing: boolean, startedAt: string, endedAt: string | null, startValue: number | boolean | string, peakValue: number | boolean | string, deviceId: string, device: { id: string, name: string } | null, ruleAtStart: { name: string }, acknowledgement: { at: string, note: string | null } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleAcknowledgeMutationVariables = Exact<{
  id: string | number;
  note?: string | null | undefined;
}>;


export type ConsoleAcknowledgeMutation = { acknowledgeAlertEpisode: { id: string, firing: boolean, startedAt: string, endedAt: string | null, startValue: number | boolean | string, peakValue: number | boolean | string, deviceId: string, device: { id: string, name: string } | null, ruleAtStart: { name: string }, acknowledgement: { at: string, note: string | null } | null } };

export type ConsoleAlertEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAlertEventsSubscription = { alertEvents: { kind: AlertEpisodeEventKind, episode: { id: string, firing: boolean, startedAt: string, endedAt: string | null, startValue: number | boolean | string, peakValue: number | boolean | string, deviceId: string, device: { id: string, name: string } | null, ruleAtStart: { name: string }, acknowledgement: { at: string, note: string | null } | null } } };

export type ConsoleDeviceRowFragment = { id: string, externalId: string, name: string, type: string, status: DeviceStatus, lastSeenAt: string | null, labels: Array<{ key: string, value: string }>, connectivity: { state: ConnectivityState, since: string } };

export type ConsoleDevicesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: DeviceFilter | null | undefined;
}>;


export type ConsoleDevicesQuery = { devices: { edges: Array<{ node: { id: string, externalId: string, name: string, type: string, status: DeviceStatus, lastSeenAt: string | null, labels: Array<{ key: string, value: string }>, connectivity: { state: ConnectivityState, since: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleDeviceQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeviceQuery = { device: { id: string, externalId: string, name: string, type: string, status: DeviceStatus, lastSeenAt: string | null, latest: Array<{ metric: string, value: number | boolean | string, ts: string }>, labels: Array<{ key: string, value: string }>, connectivity: { state: ConnectivityState, since: string } } };

export type ConsoleChartQueryVariables = Exact<{
  id: string | number;
  metric: string;
  from: string;
  to: string;
  maxPoints: number;
}>;


export type ConsoleChartQuery = { device: { id: string, telemetry: Array<{ start: string, metrics: Array<{ metric: string, mean: number | null, min: number | null, max: number | null }> }> } };

export type ConsoleLivePointsSubscriptionVariables = Exact<{
  deviceIds: Array<string | number> | string | number;
}>;


export type ConsoleLivePointsSubscription = { telemetry: { deviceId: string, ts: string, metrics: Array<{ metric: string, value: number | boolean | string }> } };

export type ConsoleConnectivitySubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleConnectivitySubscription = { deviceConnectivity: { deviceId: string, state: ConnectivityState, since: string } };

export type ConsoleOverviewQueryVariables = Exact<{
  from: string;
  to: string;
  topMetric: string;
}>;


export type ConsoleOverviewQuery = { fleet: { deviceCount: number, connectivity: { online: number, offline: number, neverSeen: number }, top: Array<{ deviceId: string, value: number, device: { id: string, name: string } }> } };

export type ConsoleFleetLatestSubscriptionVariables = Exact<{
  metric: string;
  label: string;
}>;


export type ConsoleFleetLatestSubscription = { fleetLatest: { at: string, groups: Array<{ group: { value: string | null, deviceCount: number }, metrics: Array<{ metric: string, sum: number | null, count: number | null }> }> } };

export type ConsoleRuleFragment = { id: string, name: string, kind: AlertRuleKind, metric: string | null, condition: AlertCondition | null, threshold: number | boolean | string | null, clearThreshold: number | boolean | string | null, deviations: number | null, windowPoints: number | null, forDuration: string, deviceType: string | null, enabled: boolean, deviceLabels: Array<{ key: string, value: string }>, channels?: Array<{ id: string, name: string }> };

export type ConsoleChannelFragment = { id: string, name: string, kind: NotificationChannelKind, url: string | null, enabled: boolean, createdAt: string };

export type ConsoleRulesQueryVariables = Exact<{
  withChannels: boolean;
}>;


export type ConsoleRulesQuery = { alertRules: Array<{ id: string, name: string, kind: AlertRuleKind, metric: string | null, condition: AlertCondition | null, threshold: number | boolean | string | null, clearThreshold: number | boolean | string | null, deviations: number | null, windowPoints: number | null, forDuration: string, deviceType: string | null, enabled: boolean, deviceLabels: Array<{ key: string, value: string }>, channels?: Array<{ id: string, name: string }> }> };

export type ConsoleChannelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleChannelsQuery = { notificationChannels: Array<{ id: string, name: string, kind: NotificationChannelKind, url: string | null, enabled: boolean, createdAt: string }> };

export type ConsoleCreateRuleMutationVariables = Exact<{
  input: CreateAlertRuleInput;
  withChannels: boolean;
}>;


export type ConsoleCreateRuleMutation = { createAlertRule: { id: string, name: string, kind: AlertRuleKind, metric: string | null, condition: AlertCondition | null, threshold: number | boolean | string | null, clearThreshold: number | boolean | string | null, deviations: number | null, windowPoints: number | null, forDuration: string, deviceType: string | null, enabled: boolean, deviceLabels: Array<{ key: string, value: string }>, channels?: Array<{ id: string, name: string }> } };

export type ConsoleSetRuleEnabledMutationVariables = Exact<{
  id: string | number;
  enabled: boolean;
  withChannels: boolean;
}>;


export type ConsoleSetRuleEnabledMutation = { updateAlertRule: { id: string, name: string, kind: AlertRuleKind, metric: string | null, condition: AlertCondition | null, threshold: number | boolean | string | null, clearThreshold: number | boolean | string | null, deviations: number | null, windowPoints: number | null, forDuration: string, deviceType: string | null, enabled: boolean, deviceLabels: Array<{ key: string, value: string }>, channels?: Array<{ id: string, name: string }> } };

export type ConsoleUpdateRuleMutationVariables = Exact<{
  id: string | number;
  input: UpdateAlertRuleInput;
  withChannels: boolean;
}>;


export type ConsoleUpdateRuleMutation = { updateAlertRule: { id: string, name: string, kind: AlertRuleKind, metric: string | null, condition: AlertCondition | null, threshold: number | boolean | string | null, clearThreshold: number | boolean | string | null, deviations: number | null, windowPoints: number | null, forDuration: string, deviceType: string | null, enabled: boolean, deviceLabels: Array<{ key: string, value: string }>, channels?: Array<{ id: string, name: string }> } };

export type ConsoleDeleteRuleMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeleteRuleMutation = { deleteAlertRule: string };

export type ConsoleCreateChannelMutationVariables = Exact<{
  input: CreateNotificationChannelInput;
}>;


export type ConsoleCreateChannelMutation = { createNotificationChannel: { signingSecret: string | null, channel: { id: string, name: string, kind: NotificationChannelKind, url: string | null, enabled: boolean, createdAt: string } } };

export type ConsoleDeleteChannelMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeleteChannelMutation = { deleteNotificationChannel: string };

export type ConsoleSetChannelEnabledMutationVariables = Exact<{
  id: string | number;
  enabled: boolean;
}>;


export type ConsoleSetChannelEnabledMutation = { updateNotificationChannel: { id: string, name: string, kind: NotificationChannelKind, url: string | null, enabled: boolean, createdAt: string } };

export type ConsoleRotateChannelSecretMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleRotateChannelSecretMutation = { rotateNotificationChannelSecret: { signingSecret: string | null, channel: { id: string, name: string, kind: NotificationChannelKind, url: string | null, enabled: boolean, createdAt: string } } };

export type ConsoleDeliveriesQueryVariables = Exact<{
  status?: NotificationDeliveryStatus | null | undefined;
}>;


export type ConsoleDeliveriesQuery = { notificationDeliveries: { edges: Array<{ node: { id: string, event: NotificationEvent, status: NotificationDeliveryStatus, createdAt: string, finishedAt: string | null, nextAttemptAt: string | null, channel: { id: string, name: string } | null, episode: { id: string, device: { id: string, name: string } | null, ruleAtStart: { name: string } } | null, attempts: Array<{ at: string, statusCode: number | null, error: string | null, latencyMs: number }> } }> } };

export type ConsoleViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleViewerQuery = { viewer: { kind: ViewerKind, subject: string, organizationId: string, permissions: Array<Permission>, expiresAt: string | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ConsoleRetentionFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleRetentionFields on Retention {
  raw
  rollups
  organizationRaw
  organizationRollups
  serverRaw
  serverRollups
}
    `, {"fragmentName":"ConsoleRetentionFields"}) as unknown as TypedDocumentString<ConsoleRetentionFieldsFragment, unknown>;
export const ConsoleEpisodeFragmentDoc = new TypedDocumentString(`
    fragment ConsoleEpisode on AlertEpisode {
  id
  firing
  startedAt
  endedAt
  startValue
  peakValue
  deviceId
  device {
    id
    name
  }
  ruleAtStart {
    name
  }
  acknowledgement {
    at
    note
  }
}
    `, {"fragmentName":"ConsoleEpisode"}) as unknown as TypedDocumentString<ConsoleEpisodeFragment, unknown>;
export const ConsoleDeviceRowFragmentDoc = new TypedDocumentString(`
    fragment ConsoleDeviceRow on Device {
  id
  externalId
  name
  type
  status
  lastSeenAt
  labels {
    key
    value
  }
  connectivity {
    state
    since
  }
}
    `, {"fragmentName":"ConsoleDeviceRow"}) as unknown as TypedDocumentString<ConsoleDeviceRowFragment, unknown>;
export const ConsoleRuleFragmentDoc = new TypedDocumentString(`
    fragment ConsoleRule on AlertRule {
  id
  name
  kind
  metric
  condition
  threshold
  clearThreshold
  deviations
  windowPoints
  forDuration
  deviceType
  deviceLabels {
    key
    value
  }
  enabled
  channels @include(if: $withChannels) {
    id
    name
  }
}
    `, {"fragmentName":"ConsoleRule"}) as unknown as TypedDocumentString<ConsoleRuleFragment, unknown>;
export const ConsoleChannelFragmentDoc = new TypedDocumentString(`
    fragment ConsoleChannel on NotificationChannel {
  id
  name
  kind
  url
  enabled
  createdAt
}
    `, {"fragmentName":"ConsoleChannel"}) as unknown as TypedDocumentString<ConsoleChannelFragment, unknown>;
export const ConsoleRegisterDeviceDocument = new TypedDocumentString(`
    mutation ConsoleRegisterDevice($input: RegisterDeviceInput!) {
  registerDevice(input: $input) {
    token
    device {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleRegisterDeviceMutation, ConsoleRegisterDeviceMutationVariables>;
export const ConsoleRotateTokenDocument = new TypedDocumentString(`
    mutation ConsoleRotateToken($id: ID!) {
  rotateDeviceToken(id: $id) {
    token
    device {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleRotateTokenMutation, ConsoleRotateTokenMutationVariables>;
export const ConsoleDisableDeviceDocument = new TypedDocumentString(`
    mutation ConsoleDisableDevice($id: ID!) {
  disableDevice(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<ConsoleDisableDeviceMutation, ConsoleDisableDeviceMutationVariables>;
export const ConsoleEnableDeviceDocument = new TypedDocumentString(`
    mutation ConsoleEnableDevice($id: ID!) {
  enableDevice(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<ConsoleEnableDeviceMutation, ConsoleEnableDeviceMutationVariables>;
export const ConsoleApiKeysDocument = new TypedDocumentString(`
    query ConsoleApiKeys {
  apiKeys {
    id
    name
    prefix
    scopes
    createdAt
    expiresAt
    lastUsedAt
    revokedAt
  }
}
    `) as unknown as TypedDocumentString<ConsoleApiKeysQuery, ConsoleApiKeysQueryVariables>;
export const ConsoleCreateApiKeyDocument = new TypedDocumentString(`
    mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    key
    apiKey {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleCreateApiKeyMutation, ConsoleCreateApiKeyMutationVariables>;
export const ConsoleRevokeApiKeyDocument = new TypedDocumentString(`
    mutation ConsoleRevokeApiKey($id: ID!) {
  revokeApiKey(id: $id) {
    id
    revokedAt
  }
}
    `) as unknown as TypedDocumentString<ConsoleRevokeApiKeyMutation, ConsoleRevokeApiKeyMutationVariables>;
export const ConsoleRetentionDocument = new TypedDocumentString(`
    query ConsoleRetention {
  retention {
    ...ConsoleRetentionFields
  }
}
    fragment ConsoleRetentionFields on Retention {
  raw
  rollups
  organizationRaw
  organizationRollups
  serverRaw
  serverRollups
}`) as unknown as TypedDocumentString<ConsoleRetentionQuery, ConsoleRetentionQueryVariables>;
export const ConsoleSetRetentionDocument = new TypedDocumentString(`
    mutation ConsoleSetRetention($input: SetRetentionInput!) {
  setRetention(input: $input) {
    ...ConsoleRetentionFields
  }
}
    fragment ConsoleRetentionFields on Retention {
  raw
  rollups
  organizationRaw
  organizationRollups
  serverRaw
  serverRollups
}`) as unknown as TypedDocumentString<ConsoleSetRetentionMutation, ConsoleSetRetentionMutationVariables>;
export const ConsoleAlertsDocument = new TypedDocumentString(`
    query ConsoleAlerts($firing: Boolean, $deviceId: ID, $first: Int, $after: String) {
  alertEpisodes(
    firing: $firing
    deviceId: $deviceId
    first: $first
    after: $after
  ) {
    edges {
      node {
        ...ConsoleEpisode
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment ConsoleEpisode on AlertEpisode {
  id
  firing
  startedAt
  endedAt
  startValue
  peakValue
  deviceId
  device {
    id
    name
  }
  ruleAtStart {
    name
  }
  acknowledgement {
    at
    note
  }
}`) as unknown as TypedDocumentString<ConsoleAlertsQuery, ConsoleAlertsQueryVariables>;
export const ConsoleAcknowledgeDocument = new TypedDocumentString(`
    mutation ConsoleAcknowledge($id: ID!, $note: String) {
  acknowledgeAlertEpisode(id: $id, note: $note) {
    ...ConsoleEpisode
  }
}
    fragment ConsoleEpisode on AlertEpisode {
  id
  firing
  startedAt
  endedAt
  startValue
  peakValue
  deviceId
  device {
    id
    name
  }
  ruleAtStart {
    name
  }
  acknowledgement {
    at
    note
  }
}`) as unknown as TypedDocumentString<ConsoleAcknowledgeMutation, ConsoleAcknowledgeMutationVariables>;
export const ConsoleAlertEventsDocument = new TypedDocumentString(`
    subscription ConsoleAlertEvents {
  alertEvents {
    kind
    episode {
      ...ConsoleEpisode
    }
  }
}
    fragment ConsoleEpisode on AlertEpisode {
  id
  firing
  startedAt
  endedAt
  startValue
  peakValue
  deviceId
  device {
    id
    name
  }
  ruleAtStart {
    name
  }
  acknowledgement {
    at
    note
  }
}`) as unknown as TypedDocumentString<ConsoleAlertEventsSubscription, ConsoleAlertEventsSubscriptionVariables>;
export const ConsoleDevicesDocument = new TypedDocumentString(`
    query ConsoleDevices($first: Int, $after: String, $filter: DeviceFilter) {
  devices(first: $first, after: $after, filter: $filter) {
    edges {
      node {
        ...ConsoleDeviceRow
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment ConsoleDeviceRow on Device {
  id
  externalId
  name
  type
  status
  lastSeenAt
  labels {
    key
    value
  }
  connectivity {
    state
    since
  }
}`) as unknown as TypedDocumentString<ConsoleDevicesQuery, ConsoleDevicesQueryVariables>;
export const ConsoleDeviceDocument = new TypedDocumentString(`
    query ConsoleDevice($id: ID!) {
  device(id: $id) {
    ...ConsoleDeviceRow
    latest {
      metric
      value
      ts
    }
  }
}
    fragment ConsoleDeviceRow on Device {
  id
  externalId
  name
  type
  status
  lastSeenAt
  labels {
    key
    value
  }
  connectivity {
    state
    since
  }
}`) as unknown as TypedDocumentString<ConsoleDeviceQuery, ConsoleDeviceQueryVariables>;
export const ConsoleChartDocument = new TypedDocumentString(`
    query ConsoleChart($id: ID!, $metric: String!, $from: DateTime!, $to: DateTime!, $maxPoints: Int!) {
  device(id: $id) {
    id
    telemetry(
      metrics: [$metric]
      from: $from
      to: $to
      maxPoints: $maxPoints
      aggregates: [MEAN, MIN, MAX]
    ) {
      start
      metrics {
        metric
        mean
        min
        max
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleChartQuery, ConsoleChartQueryVariables>;
export const ConsoleLivePointsDocument = new TypedDocumentString(`
    subscription ConsoleLivePoints($deviceIds: [ID!]!) {
  telemetry(deviceIds: $deviceIds) {
    deviceId
    ts
    metrics {
      metric
      value
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleLivePointsSubscription, ConsoleLivePointsSubscriptionVariables>;
export const ConsoleConnectivityDocument = new TypedDocumentString(`
    subscription ConsoleConnectivity {
  deviceConnectivity {
    deviceId
    state
    since
  }
}
    `) as unknown as TypedDocumentString<ConsoleConnectivitySubscription, ConsoleConnectivitySubscriptionVariables>;
export const ConsoleOverviewDocument = new TypedDocumentString(`
    query ConsoleOverview($from: DateTime!, $to: DateTime!, $topMetric: String!) {
  fleet {
    deviceCount
    connectivity {
      online
      offline
      neverSeen
    }
    top(metric: $topMetric, aggregate: MAX, from: $from, to: $to, n: 5) {
      deviceId
      value
      device {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleOverviewQuery, ConsoleOverviewQueryVariables>;
export const ConsoleFleetLatestDocument = new TypedDocumentString(`
    subscription ConsoleFleetLatest($metric: String!, $label: String!) {
  fleetLatest(
    metrics: [$metric]
    aggregates: [SUM, COUNT]
    groupBy: {label: $label}
    every: "5s"
  ) {
    at
    groups {
      group {
        value
        deviceCount
      }
      metrics {
        metric
        sum
        count
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleFleetLatestSubscription, ConsoleFleetLatestSubscriptionVariables>;
export const ConsoleRulesDocument = new TypedDocumentString(`
    query ConsoleRules($withChannels: Boolean!) {
  alertRules {
    ...ConsoleRule
  }
}
    fragment ConsoleRule on AlertRule {
  id
  name
  kind
  metric
  condition
  threshold
  clearThreshold
  deviations
  windowPoints
  forDuration
  deviceType
  deviceLabels {
    key
    value
  }
  enabled
  channels @include(if: $withChannels) {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleRulesQuery, ConsoleRulesQueryVariables>;
export const ConsoleChannelsDocument = new TypedDocumentString(`
    query ConsoleChannels {
  notificationChannels {
    ...ConsoleChannel
  }
}
    fragment ConsoleChannel on NotificationChannel {
  id
  name
  kind
  url
  enabled
  createdAt
}`) as unknown as TypedDocumentString<ConsoleChannelsQuery, ConsoleChannelsQueryVariables>;
export const ConsoleCreateRuleDocument = new TypedDocumentString(`
    mutation ConsoleCreateRule($input: CreateAlertRuleInput!, $withChannels: Boolean!) {
  createAlertRule(input: $input) {
    ...ConsoleRule
  }
}
    fragment ConsoleRule on AlertRule {
  id
  name
  kind
  metric
  condition
  threshold
  clearThreshold
  deviations
  windowPoints
  forDuration
  deviceType
  deviceLabels {
    key
    value
  }
  enabled
  channels @include(if: $withChannels) {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleCreateRuleMutation, ConsoleCreateRuleMutationVariables>;
export const ConsoleSetRuleEnabledDocument = new TypedDocumentString(`
    mutation ConsoleSetRuleEnabled($id: ID!, $enabled: Boolean!, $withChannels: Boolean!) {
  updateAlertRule(id: $id, input: {enabled: $enabled}) {
    ...ConsoleRule
  }
}
    fragment ConsoleRule on AlertRule {
  id
  name
  kind
  metric
  condition
  threshold
  clearThreshold
  deviations
  windowPoints
  forDuration
  deviceType
  deviceLabels {
    key
    value
  }
  enabled
  channels @include(if: $withChannels) {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleSetRuleEnabledMutation, ConsoleSetRuleEnabledMutationVariables>;
export const ConsoleUpdateRuleDocument = new TypedDocumentString(`
    mutation ConsoleUpdateRule($id: ID!, $input: UpdateAlertRuleInput!, $withChannels: Boolean!) {
  updateAlertRule(id: $id, input: $input) {
    ...ConsoleRule
  }
}
    fragment ConsoleRule on AlertRule {
  id
  name
  kind
  metric
  condition
  threshold
  clearThreshold
  deviations
  windowPoints
  forDuration
  deviceType
  deviceLabels {
    key
    value
  }
  enabled
  channels @include(if: $withChannels) {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleUpdateRuleMutation, ConsoleUpdateRuleMutationVariables>;
export const ConsoleDeleteRuleDocument = new TypedDocumentString(`
    mutation ConsoleDeleteRule($id: ID!) {
  deleteAlertRule(id: $id)
}
    `) as unknown as TypedDocumentString<ConsoleDeleteRuleMutation, ConsoleDeleteRuleMutationVariables>;
export const ConsoleCreateChannelDocument = new TypedDocumentString(`
    mutation ConsoleCreateChannel($input: CreateNotificationChannelInput!) {
  createNotificationChannel(input: $input) {
    signingSecret
    channel {
      ...ConsoleChannel
    }
  }
}
    fragment ConsoleChannel on NotificationChannel {
  id
  name
  kind
  url
  enabled
  createdAt
}`) as unknown as TypedDocumentString<ConsoleCreateChannelMutation, ConsoleCreateChannelMutationVariables>;
export const ConsoleDeleteChannelDocument = new TypedDocumentString(`
    mutation ConsoleDeleteChannel($id: ID!) {
  deleteNotificationChannel(id: $id)
}
    `) as unknown as TypedDocumentString<ConsoleDeleteChannelMutation, ConsoleDeleteChannelMutationVariables>;
export const ConsoleSetChannelEnabledDocument = new TypedDocumentString(`
    mutation ConsoleSetChannelEnabled($id: ID!, $enabled: Boolean!) {
  updateNotificationChannel(id: $id, input: {enabled: $enabled}) {
    ...ConsoleChannel
  }
}
    fragment ConsoleChannel on NotificationChannel {
  id
  name
  kind
  url
  enabled
  createdAt
}`) as unknown as TypedDocumentString<ConsoleSetChannelEnabledMutation, ConsoleSetChannelEnabledMutationVariables>;
export const ConsoleRotateChannelSecretDocument = new TypedDocumentString(`
    mutation ConsoleRotateChannelSecret($id: ID!) {
  rotateNotificationChannelSecret(id: $id) {
    signingSecret
    channel {
      ...ConsoleChannel
    }
  }
}
    fragment ConsoleChannel on NotificationChannel {
  id
  name
  kind
  url
  enabled
  createdAt
}`) as unknown as TypedDocumentString<ConsoleRotateChannelSecretMutation, ConsoleRotateChannelSecretMutationVariables>;
export const ConsoleDeliveriesDocument = new TypedDocumentString(`
    query ConsoleDeliveries($status: NotificationDeliveryStatus) {
  notificationDeliveries(first: 25, status: $status) {
    edges {
      node {
        id
        event
        status
        createdAt
        finishedAt
        nextAttemptAt
        channel {
          id
          name
        }
        episode {
          id
          device {
            id
            name
          }
          ruleAtStart {
            name
          }
        }
        attempts {
          at
          statusCode
          error
          latencyMs
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleDeliveriesQuery, ConsoleDeliveriesQueryVariables>;
export const ConsoleViewerDocument = new TypedDocumentString(`
    query ConsoleViewer {
  viewer {
    kind
    subject
    organizationId
    permissions
    expiresAt
  }
}
    `) as unknown as TypedDocumentString<ConsoleViewerQuery, ConsoleViewerQueryVariables>;