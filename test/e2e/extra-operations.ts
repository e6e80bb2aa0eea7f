/**
 * Operations the authorization matrices need that test/operations/*.graphql does not hold,
 * typed by hand (the generated documents cover what the product's own tests use).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';

export const EnableDeviceDocument = parse(
  'mutation EnableDevice($id: ID!) { enableDevice(id: $id) { id status } }',
) as TypedDocumentNode<{ enableDevice: { id: string; status: string } }, { id: string }>;

/** Only `latest` under the device: needs devices:read and telemetry:read. */
export const DeviceLatestDocument = parse(
  'query DeviceLatest($id: ID!) { device(id: $id) { latest { metric value ts } } }',
) as TypedDocumentNode<
  { device: { latest: { metric: string; value: unknown; ts: string }[] } },
  { id: string }
>;

/** Device metadata only: needs devices:read alone. */
export const DeviceNameDocument = parse(
  'query DeviceName($id: ID!) { device(id: $id) { id name } }',
) as TypedDocumentNode<{ device: { id: string; name: string } }, { id: string }>;
