/**
 * `ts` values for the ingest fuzzer, as raw JSON text: epoch milliseconds and RFC 3339 strings
 * at every edge (the epoch, 24 h ahead, leap days and seconds, offsets, precision), strings that
 * only look like dates, and values of other kinds; and the legal ones alone.
 */
import fc from 'fast-check';
import { oddString } from './odd-strings.js';
import { quoted } from './string-escapes.js';
import { quoteMode } from './ingest-values.js';

const HOUR = 3_600_000;
export const DAY = 86_400_000;
const YEAR = 365 * DAY;

/** Options of an RFC 3339 rendering. */
interface Rfc3339Style {
  offsetMinutes: number;
  fractionDigits: number;
  separator: 'T' | 't' | ' ';
  zulu: 'Z' | 'z' | '+00:00' | '-00:00';
}

const rfc3339Style: fc.Arbitrary<Rfc3339Style> = fc.record({
  offsetMinutes: fc.oneof(
    fc.constant(0),
    fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
    fc.constantFrom(330, -570, 345, 14 * 60, -12 * 60),
  ),
  fractionDigits: fc.constantFrom(0, 0, 1, 3, 6, 9, 12),
  separator: fc.constantFrom('T', 'T', 't', ' '),
  zulu: fc.constantFrom('Z', 'Z', 'z', '+00:00', '-00:00'),
});

/** `ms` in RFC 3339, in the given offset and style; years 0000–9999 only. */
function rfc3339(ms: number, style: Rfc3339Style): string {
  const local = new Date(ms + style.offsetMinutes * 60_000);
  const iso = local.toISOString();
  const base = `${iso.slice(0, 10)}${style.separator}${iso.slice(11, 19)}`;
  const fraction =
    style.fractionDigits === 0
      ? ''
      : `.${`${iso.slice(20, 23)}987654321`.slice(0, style.fractionDigits)}`;
  const minutes = Math.abs(style.offsetMinutes);
  const zone =
    style.offsetMinutes === 0
      ? style.zulu
      : `${style.offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return `${base}${fraction}${zone}`;
}

/** `ts` values at every edge, as raw JSON text (computed when generated, relative to now). */
export const tsText: fc.Arbitrary<string> = fc.oneof(
  // epoch ms around now: past decades up to 2 days ahead (the limit is 24 h ahead).
  fc.integer({ min: -50 * YEAR, max: 2 * DAY }).map((offset) => String(Date.now() + offset)),
  // around the 24 h boundary, both sides.
  fc.integer({ min: -120_000, max: 120_000 }).map((offset) => String(Date.now() + DAY + offset)),
  fc.constantFrom(
    '0',
    '-0',
    '-1',
    '1',
    '-1e15',
    '1e12',
    '1.7e12',
    '1.7645e12',
    '1764000000000.5',
    '1764000000000.0',
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    // The largest Date, listed twice (so drawn twice as often).
    '8.64e15',
    '8.64e15',
    '1e400',
    '-1e400',
    'NaN',
    'Infinity',
    'null',
    'true',
    '[]',
    '{}',
    '""',
    '[1764000000000]',
    '"1764000000000"',
  ),
  // RFC 3339 renderings from 1970 to two days ahead, in every allowed style.
  fc
    .tuple(fc.integer({ min: -56 * YEAR, max: 2 * DAY }), rfc3339Style)
    .map(([offset, style]) => JSON.stringify(rfc3339(Math.max(0, Date.now() + offset), style))),
  fc
    .tuple(fc.integer({ min: -120_000, max: 120_000 }), rfc3339Style)
    .map(([offset, style]) => JSON.stringify(rfc3339(Date.now() + DAY + offset, style))),
  // Strings that look like dates.
  fc
    .constantFrom(
      '1970-01-01T00:00:00Z',
      '1970-01-01T00:00:00.000+00:00',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T01:00:00+01:00',
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '2024-02-29T12:00:00Z',
      '2026-02-29T12:00:00Z',
      '2026-02-30T12:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2016-12-31T23:59:60Z',
      '2026-01-01T23:59:61Z',
      '2026-01-01',
      '2026-01-01T00:00:00',
      '2026-01-01T00:00Z',
      '2026-01-01T00:00:00+2:00',
      '2026-01-01T00:00:00+0200',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00+23:60',
      '2026-01-01T00:00:00.Z',
      '2026-01-01T00:00:00,5Z',
      '2026-01-01T00:00:00.1234567890123456789Z',
      '2026-01-01T00:00:00ZZ',
      '2026-01-01T00:00:00Z ',
      ' 2026-01-01T00:00:00Z',
      '+002026-01-01T00:00:00Z',
      '-000001-01-01T00:00:00Z',
      '2026-W01-1T00:00:00Z',
      'Mon, 24 Nov 2026 12:00:00 GMT',
      'Tue Nov 24 2026 12:00:00 GMT+0000',
      '1764000000000',
      'now',
      'Infinity',
      '１９７０-01-01T00:00:00Z',
      '2026-01-01T00:00:00\u0000Z',
      '2026-01-01T00:00:00Z\u0000',
      '2026-01-01T00:00:00\ud800',
    )
    .chain((text) => quoteMode.map((mode) => quoted(text, mode))),
  fc.tuple(oddString, quoteMode).map(([text, mode]) => quoted(text, mode)),
);

/** A legal ts as raw JSON text: epoch ms or RFC 3339 from 1970 to 23 h ahead. */
export const legalTsText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -50 * YEAR, max: 23 * HOUR }).map((offset) => String(Date.now() + offset)),
  fc.constantFrom('0', '-0', '1e12', '1764000000000'),
  fc
    .tuple(fc.integer({ min: -55 * YEAR, max: 23 * HOUR }), rfc3339Style)
    .map(([offset, style]) => JSON.stringify(rfc3339(Math.max(0, Date.now() + offset), style))),
  fc.constant('"1970-01-01T00:00:00Z"'),
);
