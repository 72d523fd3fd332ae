-- AlterEnum
ALTER TYPE "StockMovementKind" ADD VALUE 'RETURN';

-- AlterTable
ALTER TABLE "StockItem" ADD COLUMN     "reserved" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "StockReservation" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "stockItemId" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "actorId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMPTZ(3),
    "outcome" TEXT,

    CONSTRAINT "StockReservation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StockReservation_stockItemId_idx" ON "StockReservation"("stockItemId");

-- CreateIndex
CREATE UNIQUE INDEX "StockReservation_requestId_stockItemId_key" ON "StockReservation"("requestId", "stockItemId");

-- AddForeignKey
ALTER TABLE "StockReservation" ADD CONSTRAINT "StockReservation_stockItemId_fkey" FOREIGN KEY ("stockItemId") REFERENCES "StockItem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

