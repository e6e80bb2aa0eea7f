import { readFileSync } from 'node:fs';
import { EngineConnectionError, type Engine } from './engine-errors.js';

/**
 * The PEM text of a CA file (one or more certificates) the engine's server certificate must chain
 * to, instead of Node's built-in public CAs. Read when the client is made, so a file that went
 * missing since the config was checked fails the start naming the engine and the path.
 */
export function readCaFile(engine: Engine, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new EngineConnectionError(engine, 'other', `cannot read the CA file ${path} (${code})`, {
      cause: error,
    });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new EngineConnectionError(
      engine,
      'other',
      `the CA file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return text;
}
