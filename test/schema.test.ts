import { readFile } from 'node:fs/promises';
import { Kind, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { printSchemaSdl } from '../src/schema/sdl.js';

describe('schema.graphql', () => {
  it('matches the code-first schema (run `npm run codegen` after changing the schema)', async () => {
    const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaSdl());
  });
});

describe('the README', () => {
  it('shows only GraphQL documents the schema accepts', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const documents = [...readme.matchAll(/^ *```graphql\n([\s\S]*?)^ *```$/gm)].map(
      ([, body]) => body!,
    );
    expect(documents.length).toBeGreaterThan(3);
    for (const document of documents) {
      // A block may show several operations side by side: each is checked on its own.
      const { definitions } = parse(document);
      const fragments = definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
      for (const operation of definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
        const alone = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } as const;
        const errors = validate(schema, alone).map((error) => error.message);
        expect(errors, document).toEqual([]);
      }
    }
  });
});
