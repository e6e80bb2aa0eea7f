-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "raw_retention_hours" INTEGER,
ADD COLUMN     "rollup_retention_hours" INTEGER;
