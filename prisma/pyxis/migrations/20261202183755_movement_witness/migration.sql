-- AlterEnum
ALTER TYPE "StockMovementKind" ADD VALUE 'WASTE';

-- AlterTable
ALTER TABLE "StockMovement" ADD COLUMN     "witnessId" UUID;

