/** Prints the SDL of the code-first schema to the committed schema.graphql (`npm run codegen`). */
import { writeFile } from 'node:fs/promises';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.js';

const target = new URL('../schema.graphql', import.meta.url);
await writeFile(target, `${printSchema(schema)}\n`);
console.log(`wrote ${target.pathname}`);
