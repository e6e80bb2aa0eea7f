import { InputRefusedError } from '../../ports/input-refused.js';

/**
 * SQLSTATE classes that depend on the statement's input, not on the server's state: 22 data
 * exception (e.g. 22P05, a NUL in JSON), 23 integrity constraint violation, 54 program limit
 * exceeded (e.g. an index row too large). Retrying the same input can never succeed.
 */
const INPUT_SQLSTATE_CLASSES = new Set(['22', '23', '54']);

/** A driver adapter's description of a database error (PGlite and pg alike). */
interface AdapterCause {
  originalCode?: unknown;
  originalMessage?: unknown;
  detail?: unknown;
}

/**
 * What PostgreSQL said, from a Prisma error (under `meta.driverAdapterError.cause`) or a pg
 * error itself.
 */
function databaseRefusal(error: unknown) {
  if (typeof error !== 'object' || error === null) return undefined;
  const { meta, code, message, detail } = error as {
    meta?: { driverAdapterError?: { cause?: AdapterCause } };
  } & Record<string, unknown>;
  const cause = meta?.driverAdapterError?.cause;
  const said = cause
    ? { code: cause.originalCode, message: cause.originalMessage, detail: cause.detail }
    : { code, message, detail };
  if (typeof said.code !== 'string' || !/^[0-9A-Z]{5}$/.test(said.code)) return undefined;
  return {
    code: said.code,
    message: typeof said.message === 'string' ? said.message : 'refused',
    detail: typeof said.detail === 'string' ? said.detail : undefined,
  };
}

function translate(error: unknown): unknown {
  const refusal = databaseRefusal(error);
  if (!refusal || !INPUT_SQLSTATE_CLASSES.has(refusal.code.slice(0, 2))) return error;
  const detail = refusal.detail ? ` (${refusal.detail})` : '';
  return new InputRefusedError(
    `the database refused the input: ${refusal.message}${detail} [SQLSTATE ${refusal.code}]`,
    { cause: error },
  );
}

/**
 * The repository with every method's database refusals of the input itself turned into
 * InputRefusedError; the errors a method translates itself (a duplicate externalId) and every
 * other failure pass through as they are.
 */
export function refusingBadInput<Repository extends object>(repository: Repository): Repository {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    wrapped[name] =
      typeof member === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (member as (...a: unknown[]) => unknown).apply(repository, args);
            } catch (error) {
              throw translate(error);
            }
          }
        : member;
  }
  return wrapped as Repository;
}
