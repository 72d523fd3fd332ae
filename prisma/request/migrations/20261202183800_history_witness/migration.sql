-- AlterTable
ALTER TABLE "StatusHistory" ADD COLUMN     "witnessId" UUID;

