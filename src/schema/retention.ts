import type { Retention } from '../domain/retention.js';
import { retentionView, setRetention, type RetentionView } from '../resolvers/retention.js';
import { builder } from './builder.js';

const RetentionRef = builder.objectRef<RetentionView>('Retention').implement({
  description:
    "How long the organization's telemetry is kept. Reads never show what is past it, and the " +
    'store deletes it within the hour; ingest refuses points older than `raw`. Periods read like ' +
    '`720h`, `90d` or `52w`; null: for ever.',
  fields: (t) => {
    /** A period of one of the view's retentions, as text. */
    const period = (of: keyof RetentionView, which: keyof Retention, description: string) =>
      t.string({ nullable: true, description, resolve: (view) => view[of][which]?.text ?? null });
    return {
      raw: period(
        'applied',
        'raw',
        "Raw points, in force: the shorter of the organization's own and the server's.",
      ),
      rollups: period(
        'applied',
        'rollups',
        'Rollups (whole buckets of long ranges, once their points are gone), in force; never shorter than `raw`.',
      ),
      organizationRaw: period(
        'organization',
        'raw',
        "What the organization set for raw points; null: the server's.",
      ),
      organizationRollups: period(
        'organization',
        'rollups',
        "What the organization set for rollups; null: the server's.",
      ),
      serverRaw: period(
        'server',
        'raw',
        "The server's RAW_RETENTION: the longest any organization keeps raw points.",
      ),
      serverRollups: period(
        'server',
        'rollups',
        "The server's ROLLUP_RETENTION: the longest any organization keeps rollups.",
      ),
    };
  },
});

const SetRetentionInput = builder.inputType('SetRetentionInput', {
  description:
    "The organization's own retention, at most the server's; a period left out or null: the server's.",
  fields: (t) => ({
    raw: t.string({ description: 'Raw points, like `30d`.' }),
    rollups: t.string({ description: 'Rollups, like `52w`; at least the raw retention.' }),
  }),
});

builder.queryField('retention', (t) =>
  t.field({
    type: RetentionRef,
    authScopes: { permission: 'telemetry:read' },
    description: "How long the caller's organization's telemetry is kept.",
    resolve: (_root, _args, context) => retentionView(context),
  }),
);

builder.mutationField('setRetention', (t) =>
  t.field({
    type: RetentionRef,
    authScopes: { permission: 'organization:manage' },
    description:
      'Sets how long the organization keeps its telemetry. Shorter hides older data from every read at once and deletes it within the hour; longer cannot bring back what is gone. Admins only; no API key can.',
    args: { input: t.arg({ type: SetRetentionInput, required: true }) },
    resolve: (_root, args, context) => setRetention(context, args.input),
  }),
);
