-- CreateTable
CREATE TABLE "WitnessUse" (
    "id" UUID NOT NULL,
    "witnessId" UUID NOT NULL,
    "actorId" UUID NOT NULL,
    "act" TEXT NOT NULL,
    "subjectId" UUID NOT NULL,
    "quantity" INTEGER,
    "usedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WitnessUse_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WitnessUse_witnessId_usedAt_idx" ON "WitnessUse"("witnessId", "usedAt");

