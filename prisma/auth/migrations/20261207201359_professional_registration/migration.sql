-- AlterTable
ALTER TABLE "User" ADD COLUMN     "registration" TEXT;

