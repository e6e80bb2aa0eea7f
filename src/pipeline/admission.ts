import { metricNameProblem } from '../domain/metric-name.js';
import type { TelemetryPoint } from '../domain/telemetry.js';
import { textProblem } from '../domain/text-rule.js';

/**
 * Why a point on the bus breaks a rule ingest enforces (the text rule, the metric-name rule), or
 * undefined. Ingest refuses such points with 400, but the bus may still carry some: written by
 * an older version, replayed from a dead-letter topic, produced by another client. Checked
 * before any stage, so none of them is stored (a lone surrogate would be, silently changed) or
 * half-processed before a later stage refuses it.
 */
export function admissionProblem(point: TelemetryPoint): string | undefined {
  const idProblem = textProblem(point.orgId) ?? textProblem(point.deviceId);
  if (idProblem !== undefined) return `the point's organization or device id ${idProblem}`;
  for (const [name, value] of Object.entries(point.metrics)) {
    const nameProblem = metricNameProblem(name);
    if (nameProblem !== undefined) return `metric name ${JSON.stringify(name)}: ${nameProblem}`;
    const valueProblem = typeof value === 'string' ? textProblem(value) : undefined;
    if (valueProblem !== undefined) return `metrics.${name} ${valueProblem}`;
  }
  return undefined;
}
