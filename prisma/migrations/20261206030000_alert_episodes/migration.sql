-- AlterTable
ALTER TABLE "alert_rules" ADD COLUMN     "clear_threshold" JSONB,
ADD COLUMN     "for_duration_ms" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "alert_states" ADD COLUMN     "peak" JSONB,
ADD COLUMN     "pending_since" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "alert_episodes" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "rule_id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "start_value" JSONB NOT NULL,
    "peak_value" JSONB NOT NULL,
    "end_value" JSONB,
    "rule_snapshot" JSONB NOT NULL,
    "acknowledged_at" TIMESTAMPTZ(3),
    "acknowledged_by" TEXT,
    "acknowledgement_note" TEXT,

    CONSTRAINT "alert_episodes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "alert_episodes_organization_id_started_at_idx" ON "alert_episodes"("organization_id", "started_at");

-- CreateIndex
CREATE INDEX "alert_episodes_rule_id_device_id_idx" ON "alert_episodes"("rule_id", "device_id");

-- AddForeignKey
ALTER TABLE "alert_episodes" ADD CONSTRAINT "alert_episodes_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
