import { compareMetricNames } from '../domain/telemetry.js';
import type { FleetMember } from '../ports/device-repository.js';
import { checkLabelKey } from './device-input.js';
import { badUserInput } from './errors.js';

/** `groupBy` as GraphQL takes it: exactly one of its fields (a oneOf input). */
export interface FleetGroupByInput {
  label?: string | null;
  type?: boolean | null;
  device?: boolean | null;
}

export type Grouping = 'FLEET' | 'LABEL' | 'TYPE' | 'DEVICE';

/** One group of a fleet answer: what it groups by and its devices. */
export interface FleetGroup {
  by: Grouping;
  /** The label key when grouped by label. */
  label: string | null;
  /** The label's value (null for devices without the label), the type, or the device id. */
  value: string | null;
  deviceIds: string[];
}

export function checkGroupBy(input: FleetGroupByInput | null | undefined) {
  if (!input) return { by: 'FLEET' as const, label: null };
  // GraphQL checks a oneOf input written in the document; variables reach graphql-jit's compiled
  // queries unchecked, so the rule is enforced here for every path.
  const given = (['label', 'type', 'device'] as const).filter((key) => input[key] != null);
  if (given.length !== 1) {
    throw badUserInput('groupBy takes exactly one of label, type and device', 'groupBy');
  }
  if (input.label != null) {
    checkLabelKey(input.label, 'groupBy');
    return { by: 'LABEL' as const, label: input.label };
  }
  if (input.type === false || input.device === false) {
    throw badUserInput('groupBy takes { type: true } or { device: true }, not false', 'groupBy');
  }
  return { by: input.type ? ('TYPE' as const) : ('DEVICE' as const), label: null };
}

/** Null (devices without the label) after every value; values in code-unit order. */
function compareGroupValues(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareMetricNames(a, b);
}

/**
 * The fleet's devices in groups, ordered by value (devices without the label last). Ungrouped,
 * the whole fleet is one group, even an empty one: its series is then empty, not missing.
 */
export function groupMembers(
  members: readonly FleetMember[],
  grouping: { by: Grouping; label: string | null },
): FleetGroup[] {
  const { by, label } = grouping;
  if (by === 'FLEET') {
    return [{ by, label: null, value: null, deviceIds: members.map((member) => member.id) }];
  }
  const byValue = new Map<string | null, string[]>();
  for (const member of members) {
    const value =
      by === 'LABEL' ? (member.labels[label!] ?? null) : by === 'TYPE' ? member.type : member.id;
    const devices = byValue.get(value);
    if (devices) devices.push(member.id);
    else byValue.set(value, [member.id]);
  }
  return [...byValue.keys()]
    .sort(compareGroupValues)
    .map((value) => ({ by, label, value, deviceIds: byValue.get(value)! }));
}
