import { z } from 'zod';
import { port, positiveInt } from './fields.js';

const mode = z.enum(['embedded', 'production']);
/** `embedded`: one process on in-process engines; `production`: one role per process. */
export type Mode = z.output<typeof mode>;

/** Where each process serves, where embedded mode keeps its data, and how long a stop may take. */
export const serverSettings = z
  .object({
    MODE: mode.default('embedded'),
    HOST: z.string().default('127.0.0.1'),
    PORT: port(4000),
    INGEST_PORT: port(4001),
    PIPELINE_PORT: port(4002),
    DATA_DIR: z.string().default('./data'),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  })
  .transform((env) => ({
    mode: env.MODE,
    host: env.HOST,
    ports: { api: env.PORT, ingest: env.INGEST_PORT, pipeline: env.PIPELINE_PORT },
    /** PGlite, DuckDB, the write-ahead log, dead letters and the generated JWT secret. */
    dataDir: env.DATA_DIR,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  }));
