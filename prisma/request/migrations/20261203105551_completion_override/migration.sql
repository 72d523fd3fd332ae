-- AlterTable
ALTER TABLE "StatusHistory" ADD COLUMN     "overrideReason" TEXT;

