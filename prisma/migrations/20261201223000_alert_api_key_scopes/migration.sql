-- AlterEnum
ALTER TYPE "api_key_scope" ADD VALUE 'READ_ALERTS';
ALTER TYPE "api_key_scope" ADD VALUE 'MANAGE_ALERTS';
