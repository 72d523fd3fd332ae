-- AlterTable
ALTER TABLE "Request" ADD COLUMN     "escalatedAt" TIMESTAMPTZ(3),
ADD COLUMN     "escalationLevel" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Request_status_priority_createdAt_idx" ON "Request"("status", "priority", "createdAt");

