import { z } from 'zod';
import { optionalString, portOrOff } from './fields.js';

/**
 * Where each process serves Prometheus `/metrics`: a port of its own, never the public one, so
 * a load balancer or an Ingress that exposes the API does not expose the metrics (they name
 * operations, routes and error codes). Each role has its own default so the three can run on one
 * host; `off` serves none. METRICS_TOKEN, when set, is required as `Authorization: Bearer …`
 * (for a metrics port that other tenants of the network can reach).
 */
export const metricsSettings = z
  .object({
    METRICS_HOST: optionalString,
    /** The api's, and the embedded app's. */
    METRICS_PORT: portOrOff('9464'),
    INGEST_METRICS_PORT: portOrOff('9465'),
    PIPELINE_METRICS_PORT: portOrOff('9466'),
    METRICS_TOKEN: optionalString.pipe(
      z.string().min(16, 'must be at least 16 characters').optional(),
    ),
  })
  .transform((env) => ({
    metrics: {
      /** Undefined: the process's HOST. */
      host: env.METRICS_HOST,
      ports: {
        api: env.METRICS_PORT,
        ingest: env.INGEST_METRICS_PORT,
        pipeline: env.PIPELINE_METRICS_PORT,
      },
      token: env.METRICS_TOKEN,
    },
  }));

export type MetricsSettings = z.output<typeof metricsSettings>['metrics'];
