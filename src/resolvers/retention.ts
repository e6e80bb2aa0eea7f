/**
 * Retention as resolvers see it: what applies to the caller's organization (the server's bound
 * and the organization's own, domain/retention.ts), which every telemetry read clamps its range
 * to, and the organization's own setting, which its admins change.
 */
import {
  effectiveRetention,
  RETENTION_FORMAT,
  retentionPeriod,
  type Retention,
  type RetentionPeriod,
} from '../domain/retention.js';
import type { GraphQLContext } from '../schema/context.js';
import { badUserInput } from './errors.js';

/** Query.retention: what applies, what the organization set, and the server's bound. */
export interface RetentionView {
  applied: Retention;
  organization: Retention;
  server: Retention;
}

export async function retentionView(context: GraphQLContext): Promise<RetentionView> {
  const server = context.settings.retention ?? {};
  const organization = await context.loaders.organizationRetention.load(
    context.viewer.organizationId,
  );
  return { applied: effectiveRetention(server, organization), organization, server };
}

/** What applies to the caller's organization now: read once per request. */
export const retentionIn = async (context: GraphQLContext): Promise<Retention> =>
  (await retentionView(context)).applied;

const SERVER_SETTING = { raw: 'RAW_RETENTION', rollups: 'ROLLUP_RETENTION' } as const;

/** A period asked for, within the server's bound, or BAD_USER_INPUT naming the field. */
function checkPeriod(
  text: string | null | undefined,
  field: 'raw' | 'rollups',
  bound: RetentionPeriod | undefined,
): RetentionPeriod | undefined {
  if (text === null || text === undefined) return undefined;
  const period = retentionPeriod(text);
  if (!period) {
    throw badUserInput(
      `${field} must be ${RETENTION_FORMAT}; got ${JSON.stringify(text.slice(0, 32))}`,
      field,
    );
  }
  if (bound && period.ms > bound.ms) {
    throw badUserInput(
      `${field} must be at most the server's ${SERVER_SETTING[field]} of ${bound.text}`,
      field,
    );
  }
  return period;
}

/**
 * Mutation.setRetention: the organization's own retention (a period left out or null: the
 * server's). Shorter takes effect at once for every read; the data past it is deleted within the
 * hour (pipeline/retention.ts). Longer cannot bring back what is gone.
 */
export async function setRetention(
  context: GraphQLContext,
  input: { raw?: string | null; rollups?: string | null },
): Promise<RetentionView> {
  const server = context.settings.retention ?? {};
  const own: Retention = {};
  const raw = checkPeriod(input.raw, 'raw', server.raw);
  const rollups = checkPeriod(input.rollups, 'rollups', server.rollups);
  if (raw) own.raw = raw;
  if (rollups) {
    const points = effectiveRetention(server, own).raw;
    if (!points || rollups.ms < points.ms) {
      throw badUserInput(
        `rollups must be at least the raw retention (${points?.text ?? 'for ever'}): they answer what the points no longer can`,
        'rollups',
      );
    }
    own.rollups = rollups;
  }
  const { organizationId } = context.viewer;
  await context.services.devices.setRetention(organizationId, own);
  // Read back, as every later read sees it (`720h` reads `30d`).
  context.loaders.organizationRetention.clear(organizationId);
  return retentionView(context);
}
