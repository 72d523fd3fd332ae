-- AlterEnum
ALTER TYPE "StockMovementKind" ADD VALUE 'COUNT';

-- AlterTable
ALTER TABLE "StockMovement" ADD COLUMN     "materialId" UUID,
ADD COLUMN     "medicineId" UUID,
ADD COLUMN     "requestId" UUID;

-- CreateTable
CREATE TABLE "StockLot" (
    "id" UUID NOT NULL,
    "stockItemId" UUID NOT NULL,
    "lot" TEXT,
    "expiresAt" DATE,
    "quantity" INTEGER NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StockLot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StockDiscrepancy" (
    "id" UUID NOT NULL,
    "stockItemId" UUID NOT NULL,
    "medicineId" UUID,
    "materialId" UUID,
    "source" TEXT NOT NULL,
    "expected" INTEGER NOT NULL,
    "counted" INTEGER NOT NULL,
    "requestId" UUID,
    "openedById" UUID NOT NULL,
    "openedWitnessId" UUID,
    "openedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedById" UUID,
    "resolvedWitnessId" UUID,
    "resolvedAt" TIMESTAMPTZ(3),
    "resolution" TEXT,

    CONSTRAINT "StockDiscrepancy_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StockLot_expiresAt_idx" ON "StockLot"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "StockLot_stockItemId_lot_key" ON "StockLot"("stockItemId", "lot");

-- CreateIndex
CREATE INDEX "StockDiscrepancy_resolvedAt_openedAt_idx" ON "StockDiscrepancy"("resolvedAt", "openedAt");

-- CreateIndex
CREATE INDEX "StockDiscrepancy_stockItemId_idx" ON "StockDiscrepancy"("stockItemId");

-- CreateIndex
CREATE INDEX "StockMovement_medicineId_at_idx" ON "StockMovement"("medicineId", "at");

-- AddForeignKey
ALTER TABLE "StockLot" ADD CONSTRAINT "StockLot_stockItemId_fkey" FOREIGN KEY ("stockItemId") REFERENCES "StockItem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StockDiscrepancy" ADD CONSTRAINT "StockDiscrepancy_stockItemId_fkey" FOREIGN KEY ("stockItemId") REFERENCES "StockItem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Each slot's one lot becomes its first StockLot (what it holds keeps its lot and expiry).
INSERT INTO "StockLot" ("id", "stockItemId", "lot", "expiresAt", "quantity", "receivedAt")
SELECT gen_random_uuid(), "id", "lot", "expiresAt", "quantity", "updatedAt" FROM "StockItem" WHERE "quantity" > 0;

-- Movements name their item and request: the slot's item now (slots change item only when empty),
-- and the request their reason names (DISPENSE and RETURN movements: the kind is not compared,
-- as init-db runs every migration in one transaction, where enum values just added cannot be).
UPDATE "StockMovement" m SET "medicineId" = i."medicineId", "materialId" = i."materialId"
FROM "StockItem" i WHERE i."id" = m."stockItemId";
UPDATE "StockMovement" SET "requestId" = substring("reason" from 'request ([0-9a-f-]{36})')::uuid
WHERE "reason" ~ '^request [0-9a-f-]{36} (completed|closed in transit)';

-- DropIndex
DROP INDEX "StockItem_expiresAt_idx";

-- AlterTable
ALTER TABLE "StockItem" DROP COLUMN "expiresAt",
DROP COLUMN "lot";
