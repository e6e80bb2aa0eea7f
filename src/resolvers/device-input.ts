import { MAX_HEARTBEAT_TIMEOUT_SECONDS } from '../domain/connectivity.js';
import type { GeoLocation } from '../ports/device-repository.js';
import { badUserInput } from './errors.js';

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,62}$/;
const MAX_LABELS = 50;
const MAX_ALTITUDE_METRES = 1_000_000;

export interface LabelInput {
  key: string;
  value: string;
}

export function requireText(value: string, field: string, maxLength: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badUserInput(`${field} must not be empty`, field);
  if (trimmed.length > maxLength) {
    throw badUserInput(`${field} must be at most ${maxLength} characters`, field);
  }
  return trimmed;
}

/** BAD_USER_INPUT unless `key` is a key a label can have. */
export function checkLabelKey(key: string, field: string) {
  if (!LABEL_KEY.test(key)) {
    throw badUserInput(
      `label key "${key.slice(0, 64)}" must be 1-63 letters, digits, '_', '.', '-' or '/'`,
      field,
    );
  }
}

/** Labels are key/value pairs in GraphQL (typed, orderable) and a map in the ports. */
export function labelsToMap(
  labels: readonly LabelInput[],
  field = 'labels',
): Record<string, string> {
  if (labels.length > MAX_LABELS) throw badUserInput(`at most ${MAX_LABELS} labels`, field);
  const map: Record<string, string> = {};
  for (const { key, value } of labels) {
    checkLabelKey(key, field);
    if (key in map) throw badUserInput(`label key "${key}" appears twice`, field);
    if (value.length > 256) throw badUserInput(`label "${key}" value is too long`, field);
    map[key] = value;
  }
  return map;
}

export function checkLocation(location: GeoLocation | null | undefined): GeoLocation | null {
  if (!location) return null;
  const { latitude, longitude } = location;
  if (latitude < -90 || latitude > 90)
    throw badUserInput('latitude must be within ±90', 'location');
  if (longitude < -180 || longitude > 180) {
    throw badUserInput('longitude must be within ±180', 'location');
  }
  const altitude = location.altitude ?? null;
  // Metres; from the deepest trench to low Earth orbit. Also keeps Infinity out of the column.
  if (altitude !== null && !(Math.abs(altitude) <= MAX_ALTITUDE_METRES)) {
    throw badUserInput('altitude must be within ±1,000,000 metres', 'location');
  }
  return { latitude, longitude, altitude };
}

/** BAD_USER_INPUT unless a heartbeat timeout a device or type can have (null: inherit). */
export function checkHeartbeatTimeout(seconds: number | null | undefined, field: string) {
  if (seconds === null || seconds === undefined) return seconds;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_HEARTBEAT_TIMEOUT_SECONDS) {
    throw badUserInput(
      `${field} must be a whole number of seconds from 1 to ${MAX_HEARTBEAT_TIMEOUT_SECONDS} (30 days), or null to inherit`,
      field,
    );
  }
  return seconds;
}
