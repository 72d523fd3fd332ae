-- DropTable
DROP TABLE "ProcessedEvent";

-- CreateTable
CREATE TABLE "DispensedRequest" (
    "requestId" UUID NOT NULL,
    "dispensedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DispensedRequest_pkey" PRIMARY KEY ("requestId")
);


-- Requests dispensed before this migration (their movement names them), so a late
-- redelivery of an old completion does not dispense again.
INSERT INTO "DispensedRequest" ("requestId", "dispensedAt")
SELECT (regexp_match("reason", '^request ([0-9a-f-]{36}) completed'))[1]::uuid, min("at")
FROM "StockMovement"
WHERE "reason" ~ '^request [0-9a-f-]{36} completed'
GROUP BY 1
ON CONFLICT DO NOTHING;
