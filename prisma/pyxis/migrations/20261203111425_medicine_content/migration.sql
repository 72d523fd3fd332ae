-- AlterTable
ALTER TABLE "Medicine" ADD COLUMN     "content" TEXT;

