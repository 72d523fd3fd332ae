-- AlterTable
ALTER TABLE "StockMovement" ADD COLUMN     "doseAmount" DOUBLE PRECISION,
ADD COLUMN     "doseUnit" TEXT;

