-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'CHARGE_NURSE';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "units" TEXT[] DEFAULT ARRAY[]::TEXT[];

