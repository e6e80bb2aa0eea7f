-- CreateEnum
CREATE TYPE "alert_rule_kind" AS ENUM ('THRESHOLD', 'NO_DATA');

-- AlterTable
ALTER TABLE "alert_rules" ADD COLUMN     "kind" "alert_rule_kind" NOT NULL DEFAULT 'THRESHOLD',
ALTER COLUMN "metric" DROP NOT NULL,
ALTER COLUMN "condition" DROP NOT NULL,
ALTER COLUMN "threshold" DROP NOT NULL;

-- AlterTable
ALTER TABLE "alert_states" ADD COLUMN     "deadline" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "alert_states_deadline_idx" ON "alert_states"("deadline");
