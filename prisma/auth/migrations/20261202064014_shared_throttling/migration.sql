-- CreateTable
CREATE TABLE "ThrottleEvent" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ThrottleEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KnownClient" (
    "account" TEXT NOT NULL,
    "client" TEXT NOT NULL,
    "lastAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "KnownClient_pkey" PRIMARY KEY ("account","client")
);

-- CreateIndex
CREATE INDEX "ThrottleEvent_key_at_idx" ON "ThrottleEvent"("key", "at");

