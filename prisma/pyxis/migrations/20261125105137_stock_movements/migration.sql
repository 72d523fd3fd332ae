-- CreateEnum
CREATE TYPE "StockMovementKind" AS ENUM ('ASSIGN', 'RESTOCK', 'ADJUST');

-- AlterTable
ALTER TABLE "Dispenser" ADD COLUMN     "retiredAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "StockItem" ADD COLUMN     "expiresAt" DATE,
ADD COLUMN     "lot" TEXT;

-- CreateTable
CREATE TABLE "DispenserAssistance" (
    "dispenserId" UUID NOT NULL,
    "assistanceTypeId" UUID NOT NULL,

    CONSTRAINT "DispenserAssistance_pkey" PRIMARY KEY ("dispenserId","assistanceTypeId")
);

-- CreateTable
CREATE TABLE "StockMovement" (
    "id" UUID NOT NULL,
    "stockItemId" UUID NOT NULL,
    "kind" "StockMovementKind" NOT NULL,
    "delta" INTEGER NOT NULL,
    "quantityAfter" INTEGER NOT NULL,
    "reason" TEXT,
    "lot" TEXT,
    "actorId" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StockMovement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StockMovement_stockItemId_at_idx" ON "StockMovement"("stockItemId", "at");

-- CreateIndex
CREATE INDEX "StockItem_expiresAt_idx" ON "StockItem"("expiresAt");

-- AddForeignKey
ALTER TABLE "DispenserAssistance" ADD CONSTRAINT "DispenserAssistance_dispenserId_fkey" FOREIGN KEY ("dispenserId") REFERENCES "Dispenser"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DispenserAssistance" ADD CONSTRAINT "DispenserAssistance_assistanceTypeId_fkey" FOREIGN KEY ("assistanceTypeId") REFERENCES "AssistanceType"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StockMovement" ADD CONSTRAINT "StockMovement_stockItemId_fkey" FOREIGN KEY ("stockItemId") REFERENCES "StockItem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

