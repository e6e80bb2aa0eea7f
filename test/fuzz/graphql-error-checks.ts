/**
 * How the GraphQL fuzzer judges an answer's errors: each must carry an `extensions.code` other
 * than INTERNAL_SERVER_ERROR (and not be the masked 'Unexpected error.'). Every outcome is
 * counted per target and way of sending, to show at the end what the run reached.
 */
import { Violation } from './fuzz-support.js';
import { visible } from './string-escapes.js';

interface GraphQLErrorBody {
  message?: unknown;
  extensions?: { code?: unknown };
}

/** Per target and way of sending: how often it was answered with data, or refused with a code. */
const outcomes = new Map<string, Map<string, number>>();

export function recordOutcome(where: string, outcome: string): void {
  const counts = outcomes.get(where) ?? new Map<string, number>();
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  outcomes.set(where, counts);
}

/** The outcomes so far, a line per target and way of sending. */
export function outcomeReport(): string {
  const lines = [...outcomes.entries()].map(
    ([where, counts]) => `  ${where}: ${JSON.stringify(Object.fromEntries(counts))}`,
  );
  return `GraphQL fuzz outcomes:\n${lines.join('\n')}`;
}

/**
 * A message with its variable parts (quoted values, numbers) blanked: the failure's class. An
 * error coercing a variable is one class whatever the type that refused the value.
 */
function classOf(message: string): string {
  const variable = /^Variable "\$[^"]*" (got invalid value|of non-null type|of required type)/.exec(
    message,
  );
  if (variable) return `Variable "$…" ${variable[1]} …`;
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/U\+[0-9A-F]{4,6}/g, 'U+XXXX')
    .replace(/\d+/g, 'N')
    .slice(0, 120);
}

/**
 * Fails unless every error carries a code other than INTERNAL_SERVER_ERROR. `hint` says what in
 * the input could explain an internal error (hintOf).
 */
export function checkErrors(errors: unknown, where: string, hint: string): void {
  const codes = Array.isArray(errors)
    ? [...new Set((errors as GraphQLErrorBody[]).map((error) => String(error.extensions?.code)))]
    : [];
  recordOutcome(where, codes.length > 0 ? codes.join('+') : 'answered');
  if (errors === undefined) return;
  if (!Array.isArray(errors)) throw new Violation(`${where}: errors is not a list`, String(errors));
  for (const error of errors as GraphQLErrorBody[]) {
    const code = error.extensions?.code;
    const message = typeof error.message === 'string' ? error.message : '';
    const detail = visible(JSON.stringify(error), 1_000);
    if (typeof code !== 'string' || code === '') {
      throw new Violation(`${where}: error without extensions.code: ${classOf(message)}`, detail);
    }
    if (code === 'INTERNAL_SERVER_ERROR' || message === 'Unexpected error.') {
      throw new Violation(`${where}: ${code} ${classOf(message)} (${hint})`, detail);
    }
  }
}

/** The `errors` of a JSON result; text that is not JSON is a Violation of `kind`. */
export function errorsOf(text: string, kind: string, detail: string): unknown {
  let body: { errors?: unknown };
  try {
    body = JSON.parse(text) as { errors?: unknown };
  } catch {
    throw new Violation(kind, detail);
  }
  return body.errors;
}
