-- AlterTable
ALTER TABLE "Request" ADD COLUMN     "encounterId" TEXT,
ADD COLUMN     "orderId" TEXT,
ADD COLUMN     "patientBed" TEXT,
ADD COLUMN     "patientIdentifier" TEXT;

