-- Who called an invocation: the api key (id, name when called) and the HTTP client's address.
ALTER TABLE "Invocation" ADD COLUMN     "callerAddress" TEXT,
ADD COLUMN     "callerKeyId" TEXT,
ADD COLUMN     "callerKeyName" TEXT;

-- CreateTable
-- UNLOGGED: no WAL, so a call's upsert does not wait for a WAL flush (on PostgreSQL under load
-- ~0.4 ms p50 against ~2 ms logged). What it costs: after a database crash, and on a standby
-- promoted by failover, the table starts empty, which gives every client a full bucket once.
CREATE UNLOGGED TABLE "TriggerRateBucket" (
    "namespace" TEXT NOT NULL,
    "functionName" TEXT NOT NULL,
    "client" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "atS" DOUBLE PRECISION NOT NULL,
    "fullAtS" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "TriggerRateBucket_pkey" PRIMARY KEY ("namespace","functionName","client")
);

-- CreateIndex
CREATE INDEX "TriggerRateBucket_fullAtS_idx" ON "TriggerRateBucket"("fullAtS");
