// RFC 3339 date-time with a mandatory offset ("2026-11-24T12:00:00.123Z", "...+02:00").
// Date.parse would also take local times, RFC 2822 and whatever else V8 guesses at, so the format
// is checked here. It is read character by character rather than with a regex because it runs for
// every point that carries a string ts: a regex match allocates an array and a dozen substrings,
// which made it several times slower than the JSON.parse of the whole point.

const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;
const ZERO = 48;

/** The number written by `length` ASCII digits at `at`, or -1 if any is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch milliseconds of an RFC 3339 timestamp (sub-millisecond digits truncated), or undefined. */
export function parseRfc3339(text: string): number | undefined {
  if (text.length < 20) return undefined;
  const separator = text[10];
  if (text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return undefined;
  if (separator !== 'T' && separator !== 't' && separator !== ' ') return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return undefined;
  }

  let at = 19;
  let millis = 0;
  if (text[at] === '.') {
    const start = ++at;
    while (at < text.length && digits(text, at, 1) >= 0) at++;
    if (at === start) return undefined;
    // Milliseconds are the first three fraction digits; anything finer is truncated.
    for (let i = 0; i < 3; i++)
      millis = millis * 10 + (start + i < at ? digits(text, start + i, 1) : 0);
  }

  let offsetMinutes: number;
  const zone = text[at];
  if ((zone === 'Z' || zone === 'z') && at + 1 === text.length) {
    offsetMinutes = 0;
  } else if ((zone === '+' || zone === '-') && at + 6 === text.length && text[at + 3] === ':') {
    const offsetHours = digits(text, at + 1, 2);
    const offsetMins = digits(text, at + 4, 2);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) return undefined;
    offsetMinutes = (zone === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  } else {
    return undefined;
  }

  // Date.UTC maps years 0-99 to 1900-1999; shifting by 400 years (exactly 146,097 days, one
  // Gregorian cycle) keeps every year as written.
  const utc =
    Date.UTC(year + 400, month - 1, day, hour, minute, second, millis) - GREGORIAN_CYCLE_MS;
  return utc - offsetMinutes * 60_000;
}
