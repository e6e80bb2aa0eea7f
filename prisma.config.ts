/**
 * Prisma 7 reads its CLI settings here (the schema no longer holds a datasource url). The url is
 * only for `prisma migrate deploy/status` where the schema engine exists; the app connects
 * through driver adapters and applies migrations with src/adapters/prisma/migrations.ts.
 */
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
