-- CreateEnum
CREATE TYPE "connectivity_state" AS ENUM ('NEVER_SEEN', 'ONLINE', 'OFFLINE');

-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "connectivity" "connectivity_state" NOT NULL DEFAULT 'NEVER_SEEN',
ADD COLUMN     "connectivity_since" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "heartbeat_timeout_seconds" INTEGER,
ADD COLUMN     "offline_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "device_types" (
    "organization_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "heartbeat_timeout_seconds" INTEGER,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "device_types_pkey" PRIMARY KEY ("organization_id","type")
);

-- CreateIndex
CREATE INDEX "devices_connectivity_offline_at_idx" ON "devices"("connectivity", "offline_at");

-- AddForeignKey
ALTER TABLE "device_types" ADD CONSTRAINT "device_types_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
