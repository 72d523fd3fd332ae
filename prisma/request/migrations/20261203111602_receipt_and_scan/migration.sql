-- AlterTable
ALTER TABLE "Request" ADD COLUMN     "receivedAt" TIMESTAMPTZ(3),
ADD COLUMN     "receivedById" UUID;

-- AlterTable
ALTER TABLE "StatusHistory" ADD COLUMN     "scannedBarcode" TEXT;

