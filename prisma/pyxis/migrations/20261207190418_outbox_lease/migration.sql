-- AlterTable
ALTER TABLE "OutboxEvent" ADD COLUMN     "claimedUntil" TIMESTAMPTZ(3);

