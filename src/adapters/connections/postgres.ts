import type { ConnectionOptions } from 'node:tls';
import { readCaFile } from './ca-file.js';
import {
  describeConnectionError,
  EngineConnectionError,
  type Classifier,
} from './engine-errors.js';
import { readPostgresTls } from './postgres-url.js';

/**
 * node-postgres's connection settings for a URL: the URL without its TLS parameters, and an
 * explicit `ssl` (false, or the TLS options its sslmode means: postgres-url.ts), so pg applies
 * neither its own reading of sslmode nor PGSSLMODE. Every pg.Pool and pg.Client the product makes
 * goes through here: the metadata pool (and so Prisma's adapter on it) and the migration runner.
 */
export function postgresClientConfig(url: string): {
  connectionString: string;
  ssl: false | ConnectionOptions;
} {
  const { tls, connectionString, problems } = readPostgresTls(new URL(url));
  if (problems.length > 0) {
    throw new EngineConnectionError(
      'postgres',
      'other',
      `bad TLS settings: ${problems.join('; ')}`,
    );
  }
  if (tls.mode === 'disable') return { connectionString, ssl: false };
  const ca = tls.caFile === undefined ? undefined : readCaFile('postgres', tls.caFile);
  const caOption = ca === undefined ? {} : { ca };
  switch (tls.mode) {
    case 'require':
      // libpq: encrypted; verified only against a CA file given (then as verify-ca).
      return {
        connectionString,
        ssl:
          ca === undefined
            ? { rejectUnauthorized: false }
            : { ...caOption, checkServerIdentity: () => undefined },
      };
    case 'verify-ca':
      return { connectionString, ssl: { ...caOption, checkServerIdentity: () => undefined } };
    case 'verify-full':
      // Node's defaults: the chain verified, and the certificate must name the URL's host (pg
      // passes the host to tls.connect, for names and addresses alike).
      return { connectionString, ssl: { ...caOption } };
  }
}

const classifyPostgres: Classifier = (error) => {
  // SQLSTATE 28P01 invalid_password; 28000 invalid_authorization_specification (pg_hba.conf
  // refused the connection: no line for this user, address or encryption, or a `reject` line).
  if (error.code === '28P01') {
    return { failure: 'authentication', message: `authentication failed (${error.message})` };
  }
  if (error.code === '28000') {
    return { failure: 'not-allowed', message: `connection not allowed (${error.message})` };
  }
  if (error.message === 'The server does not support SSL connections') {
    return { failure: 'tls-unavailable', message: 'the server does not accept TLS (ssl is off)' };
  }
  return undefined;
};

/** A pg failure as "postgres: <cause>" (engine-errors.ts). */
export const describePostgresError = (error: unknown) =>
  describeConnectionError('postgres', error, classifyPostgres);
