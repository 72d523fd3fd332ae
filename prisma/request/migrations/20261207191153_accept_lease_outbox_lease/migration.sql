-- AlterTable
ALTER TABLE "OutboxEvent" ADD COLUMN     "claimedUntil" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "Request" ADD COLUMN     "acceptingById" UUID,
ADD COLUMN     "acceptingId" UUID,
ADD COLUMN     "acceptingUntil" TIMESTAMPTZ(3);

