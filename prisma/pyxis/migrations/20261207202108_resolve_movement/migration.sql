-- AlterEnum
ALTER TYPE "StockMovementKind" ADD VALUE 'RESOLVE';

