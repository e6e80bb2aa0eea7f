-- AlterEnum
ALTER TYPE "alert_rule_kind" ADD VALUE 'ANOMALY';

-- AlterTable
ALTER TABLE "alert_rules" ADD COLUMN     "window_points" INTEGER;

-- AlterTable
ALTER TABLE "alert_states" ADD COLUMN     "window" JSONB;
