import { InputRefusedError } from '../../ports/input-refused.js';

/**
 * SQLSTATE classes that depend on the statement's input, not on the server's state: 22 data
 * exception (e.g. 22P05, a NUL in JSON), 23 integrity constraint violation, 54 program limit
 * exceeded (e.g. an index row too large). Retrying the same input can never succeed.
 */
const INPUT_SQLSTATE_CLASSES = new Set(['22', '23', '54']);

/** The SQLSTATE behind a Prisma driver-adapter error (PGlite and pg alike), or a pg error's. */
function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { meta, code } = error as { meta?: unknown; code?: unknown };
  const cause = (meta as { driverAdapterError?: { cause?: { originalCode?: unknown } } })
    ?.driverAdapterError?.cause;
  if (typeof cause?.originalCode === 'string') return cause.originalCode;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function translate(error: unknown): unknown {
  const state = sqlState(error);
  if (state === undefined || !INPUT_SQLSTATE_CLASSES.has(state.slice(0, 2))) return error;
  const message = (error as Error).message.split('\n').at(-1) ?? '';
  return new InputRefusedError(`the database refused the input (SQLSTATE ${state}): ${message}`, {
    cause: error,
  });
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
