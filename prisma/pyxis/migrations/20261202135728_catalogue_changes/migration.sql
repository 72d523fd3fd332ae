-- CreateTable
CREATE TABLE "CatalogueChange" (
    "id" UUID NOT NULL,
    "medicineId" UUID,
    "materialId" UUID,
    "actorId" UUID NOT NULL,
    "reason" TEXT,
    "fields" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CatalogueChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CatalogueChange_medicineId_at_idx" ON "CatalogueChange"("medicineId", "at");

-- CreateIndex
CREATE INDEX "CatalogueChange_materialId_at_idx" ON "CatalogueChange"("materialId", "at");

