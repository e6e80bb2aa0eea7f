/** Prints the SDL of the code-first schema to the committed schema.graphql (`npm run codegen`). */
import { writeFile } from 'node:fs/promises';
import { printSchemaSdl } from '../src/schema/sdl.js';

const target = new URL('../schema.graphql', import.meta.url);
await writeFile(target, printSchemaSdl());
console.log(`wrote ${target.pathname}`);
