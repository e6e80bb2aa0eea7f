/**
 * The ingest limits the fuzzer works around. The points and body limits are set low for the
 * run (INGEST_LIMITS_ENV), so that the fuzzer reaches both sides of each cheaply; the metrics and
 * string limits are the server's own.
 */

export const MAX_POINTS = 300;
export const MAX_BODY_BYTES = 200_000;
export const MAX_METRICS = 100;
export const MAX_STRING = 256;

/** The app settings for the low limits above. */
export const INGEST_LIMITS_ENV = {
  INGEST_MAX_POINTS: String(MAX_POINTS),
  INGEST_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
};
