import { printSchema } from 'graphql';
import { schema } from './index.js';

/** The SDL committed as schema.graphql (printed here so printer and schema share one graphql). */
export const printSchemaSdl = () => `${printSchema(schema)}\n`;
