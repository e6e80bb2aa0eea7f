-- Finished deliveries are deleted past NOTIFICATION_HISTORY (src/notifications/delivery-history.ts).
CREATE INDEX "notification_deliveries_finished_at_idx" ON "notification_deliveries"("finished_at");
