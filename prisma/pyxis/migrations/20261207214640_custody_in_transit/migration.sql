-- AlterEnum
ALTER TYPE "StockMovementKind" ADD VALUE 'PICK_UP';

-- AlterTable
ALTER TABLE "StockMovement" ADD COLUMN     "carried" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "StockCustody" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "stockItemId" UUID NOT NULL,
    "medicineId" UUID,
    "materialId" UUID,
    "lot" TEXT,
    "expiresAt" DATE,
    "quantity" INTEGER NOT NULL,
    "carrierId" UUID NOT NULL,
    "pickedUpAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMPTZ(3),
    "outcome" TEXT,

    CONSTRAINT "StockCustody_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StockCustody_requestId_idx" ON "StockCustody"("requestId");

-- CreateIndex
CREATE INDEX "StockCustody_stockItemId_idx" ON "StockCustody"("stockItemId");

-- CreateIndex
CREATE INDEX "StockCustody_endedAt_medicineId_idx" ON "StockCustody"("endedAt", "medicineId");

-- AddForeignKey
ALTER TABLE "StockCustody" ADD CONSTRAINT "StockCustody_stockItemId_fkey" FOREIGN KEY ("stockItemId") REFERENCES "StockItem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

