import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printSchemaSdl } from '../src/schema/sdl.js';

describe('schema.graphql', () => {
  it('matches the code-first schema (run `npm run codegen` after changing the schema)', async () => {
    const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaSdl());
  });
});
